// "A profile changed": the one effect shared by a verified incoming webhook and the change
// watcher. Every cached view of the profile is dropped at every tier, then the event is enqueued
// (the consumer fans it out: CDN invalidation, outgoing webhooks). Whoever detects a change calls
// this, so a change the watcher finds has exactly the effect of the same change sent as a webhook.
import { createHash } from 'node:crypto';
import { EventTypes } from '../contracts/events.ts';
import { DependencyUnavailableError } from '../shared/errors.ts';
import type { EventPublisher, QueueEvent } from './events.ts';
import type { ProfileInvalidator } from './invalidation.ts';

/** Event types after which cached views of the profile are stale. Others are only enqueued. */
export const INVALIDATING_TYPES: ReadonlySet<string> = new Set([
  EventTypes.ProfileUpdated,
  EventTypes.LinksUpdated,
  EventTypes.ProfileDeleted,
]);

export interface ProfileChange {
  /** Deterministic per change, so a re-run of the same change is counted and fanned out once. */
  eventId: string;
  type: string;
  /** ISO-8601. */
  occurredAt: string;
  data: { profileId: string; username?: string } & Record<string, unknown>;
}

export interface ProfileChangeOutcome {
  event: QueueEvent;
  /** The usernames whose cached views were dropped (empty: never cached and none named). */
  invalidated: string[];
}

export interface ProfileChangesDeps {
  invalidator: Pick<ProfileInvalidator, 'invalidateProfile'>;
  publisher: EventPublisher;
}

export class ProfileChanges {
  readonly #deps: ProfileChangesDeps;

  constructor(deps: ProfileChangesDeps) {
    this.#deps = deps;
  }

  /**
   * Invalidates (for the types that change a profile), then enqueues. Throws
   * DependencyUnavailableError when either could not be done; the caller retries the whole
   * thing, which is safe: invalidation is idempotent and the event id is the same.
   */
  async apply(change: ProfileChange): Promise<ProfileChangeOutcome> {
    const { invalidator, publisher } = this.#deps;
    const invalidated = INVALIDATING_TYPES.has(change.type)
      ? await invalidator.invalidateProfile({ profileId: change.data.profileId, username: change.data.username })
      : [];
    const event: QueueEvent = {
      id: change.eventId,
      type: change.type,
      occurredAt: new Date(change.occurredAt).toISOString(),
      data: {
        ...change.data,
        // A webhook may name only the id: the read path's id → username mapping fills it in.
        ...(invalidated[0] && !change.data.username ? { username: invalidated[0] } : {}),
      },
    };
    await publisher.publish(event).catch((err: unknown) => {
      throw new DependencyUnavailableError('event queue', { cause: err });
    });
    return { event, invalidated };
  }
}

/** A UUID (version 8, RFC 9562 variant) derived from `seed`: the same seed, the same id. */
export const uuidFrom = (seed: string): string => {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6] & 0x0f) | 0x80; // version 8 (custom)
  h[8] = (h[8] & 0x3f) | 0x80; // RFC 9562 variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
};
