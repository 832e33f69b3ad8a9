// Events on the queue (contract section 4): the message shape and the type names producers and
// consumers agree on. Dependency-free, like the other contracts, so any side can import it.

export const EventTypes = {
  /** A counted redirect through /r/{username}/{linkId}, or a click beacon. */
  LinkClicked: 'link.clicked',
  /** A page-view beacon. */
  ProfileViewed: 'profile.viewed',
  /** Webhook: the profile's fields changed. */
  ProfileUpdated: 'profile.updated',
  /** Webhook or admin write: the profile's links changed. */
  LinksUpdated: 'links.updated',
  /** Webhook: the profile is gone. */
  ProfileDeleted: 'profile.deleted',
} as const;

/** The event types this system names. */
export type KnownEventType = (typeof EventTypes)[keyof typeof EventTypes];

/** Every known type, in declaration order. */
export const EVENT_TYPES: readonly KnownEventType[] = Object.values(EventTypes);

/**
 * A queue event's type: the known ones, or any other string, because webhooks pass the sender's
 * type through unchanged and consumers acknowledge types they do not handle.
 */
export type EventType = KnownEventType | (string & {});

/** The message body on the queue; `id` is unique per event and is what exactly-once counting keys on. */
export interface QueueEvent {
  id: string;
  type: EventType;
  /** ISO-8601, UTC. */
  occurredAt: string;
  data: Record<string, unknown>;
}
