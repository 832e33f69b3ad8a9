// Making and publishing queue events; their shape and type names are in contracts/events.ts.
import { randomFillSync } from 'node:crypto';
import type { EventType, QueueEvent } from '../contracts/events.ts';

export type { EventType, QueueEvent };

const pool = new Uint8Array(16 * 256);
let pooled = pool.length;

/**
 * A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Time-ordered,
 * so the consumer's ledger inserts land at the right edge of its index instead of all over it.
 */
export const uuidv7 = (ms = Date.now()): string => {
  if (pooled === pool.length) {
    randomFillSync(pool);
    pooled = 0;
  }
  const b = pool.subarray(pooled, pooled + 16);
  pooled += 16;
  // 48-bit big-endian timestamp: the high 16 bits and the low 32 bits separately (bitwise ops are 32-bit).
  const hi = Math.floor(ms / 2 ** 32);
  const lo = ms >>> 0;
  b[0] = (hi >>> 8) & 0xff;
  b[1] = hi & 0xff;
  b[2] = lo >>> 24;
  b[3] = (lo >>> 16) & 0xff;
  b[4] = (lo >>> 8) & 0xff;
  b[5] = lo & 0xff;
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  let h = '';
  for (let i = 0; i < 16; i++) {
    h += HEX[b[i]];
    if (i === 3 || i === 5 || i === 7 || i === 9) h += '-';
  }
  return h;
};
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export const newEvent = (type: EventType, data: Record<string, unknown>, occurredAt = new Date()): QueueEvent => ({
  id: uuidv7(),
  type,
  occurredAt: occurredAt.toISOString(),
  data,
});

/** The port every producer uses; `sqs-event-publisher.ts` is the adapter. */
export interface EventPublisher {
  /** Resolves once the queue has accepted the event; rejects after bounded retries. */
  publish(event: QueueEvent): Promise<void>;
  /** All or nothing from the caller's view: resolves only when every event is accepted. */
  publishBatch(events: QueueEvent[]): Promise<void>;
}

/** How far in the future a client may date an event (`occurredAt`): clocks drift. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
