// Events on the queue (contract section 4): `{id, type, occurredAt, data}`; `id` is unique per
// event and is what exactly-once counting keys on.
import { randomUUID } from 'node:crypto';

export type EventType =
  | 'link.clicked'
  | 'profile.viewed'
  | 'profile.updated'
  | 'links.updated'
  | 'profile.deleted'
  | (string & {});

export interface QueueEvent {
  id: string;
  type: EventType;
  /** ISO-8601, UTC. */
  occurredAt: string;
  data: Record<string, unknown>;
}

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
