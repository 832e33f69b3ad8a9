// Making and publishing queue events; their shape and type names are in contracts/events.ts.
import { randomUUID } from 'node:crypto';
import type { EventType, QueueEvent } from '../contracts/events.ts';

export type { EventType, QueueEvent };

export const newEvent = (type: EventType, data: Record<string, unknown>, occurredAt = new Date()): QueueEvent => ({
  id: randomUUID(),
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
