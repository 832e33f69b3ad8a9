// What a verified webhook does, exactly once per webhook-id: invalidate the profile's cached views
// (for the event types that change a profile), then enqueue the event. The id is marked done only
// after both succeeded; any failure releases it so the sender's retry runs the whole thing again.
import { createHash } from 'node:crypto';
import { EventTypes } from '../contracts/events.ts';
import { MetricNames } from '../contracts/metrics.ts';
import { AppError, DependencyUnavailableError, WebhookInProgressError } from '../shared/errors.ts';
import type { EventPublisher, QueueEvent } from './events.ts';
import type { ProfileInvalidator } from './invalidation.ts';
import { type IdempotencyStore, noTelemetry, type Telemetry } from './ports.ts';

/** Event types after which cached views of the profile are stale. Others are only enqueued. */
export const INVALIDATING_TYPES: ReadonlySet<string> = new Set([
  EventTypes.ProfileUpdated,
  EventTypes.LinksUpdated,
  EventTypes.ProfileDeleted,
]);

export interface WebhookMessage {
  /** The `webhook-id` header: stable across the sender's retries. */
  webhookId: string;
  type: string;
  /** ISO-8601 from the payload. */
  timestamp: string;
  data: { profileId: string; username?: string } & Record<string, unknown>;
}

export interface WebhookOutcome {
  duplicate: boolean;
  eventId: string;
  invalidated: string[];
}

export interface WebhookProcessorDeps {
  idempotency: IdempotencyStore;
  invalidator: Pick<ProfileInvalidator, 'invalidateProfile'>;
  publisher: EventPublisher;
  /** How long a claim blocks concurrent deliveries of the same id (≥ the function timeout). */
  leaseMs: number;
  telemetry?: Telemetry;
}

/** Namespaces the sender's id so other keys in the table never collide with it. */
export const idempotencyKey = (webhookId: string): string => `webhook:linktree:${webhookId}`;

/**
 * The queue event id for a webhook: a UUID derived from the webhook-id, so if an event were ever
 * enqueued twice (a crash between send and completion) consumers still count it once.
 */
export const eventIdFor = (webhookId: string): string => {
  const h = createHash('sha256').update(`linktree-webhook:${webhookId}`).digest();
  h[6] = (h[6] & 0x0f) | 0x80; // version 8 (custom)
  h[8] = (h[8] & 0x3f) | 0x80; // RFC 9562 variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
};

export class WebhookProcessor {
  readonly #deps: WebhookProcessorDeps;
  readonly #telemetry: Telemetry;

  constructor(deps: WebhookProcessorDeps) {
    this.#deps = deps;
    this.#telemetry = deps.telemetry ?? noTelemetry;
  }

  async process(msg: WebhookMessage): Promise<WebhookOutcome> {
    const { idempotency, invalidator, publisher, leaseMs } = this.#deps;
    const key = idempotencyKey(msg.webhookId);
    const eventId = eventIdFor(msg.webhookId);
    const claim = await idempotency.claim(key, leaseMs).catch((err: unknown) => {
      throw new DependencyUnavailableError('idempotency store', { cause: err });
    });
    if (claim.state === 'completed') {
      this.#telemetry.count(MetricNames.WebhookDuplicate);
      return { duplicate: true, eventId, invalidated: [] };
    }
    if (claim.state === 'in_progress') throw new WebhookInProgressError(msg.webhookId, claim.retryAfterMs / 1000);

    let invalidated: string[] = [];
    try {
      if (INVALIDATING_TYPES.has(msg.type)) {
        invalidated = await invalidator.invalidateProfile({ profileId: msg.data.profileId, username: msg.data.username });
      }
      const event: QueueEvent = {
        id: eventId,
        type: msg.type,
        occurredAt: new Date(msg.timestamp).toISOString(),
        data: {
          ...msg.data,
          ...(invalidated[0] && !msg.data.username ? { username: invalidated[0] } : {}),
          webhookId: msg.webhookId,
        },
      };
      await publisher.publish(event).catch((err: unknown) => {
        throw new DependencyUnavailableError('event queue', { cause: err });
      });
    } catch (err) {
      // Not done: forget the claim so the sender's retry (it retries any non-2xx) runs again.
      await idempotency.release(key, claim.token).catch((releaseErr: unknown) => {
        // The lease then expires on its own; retries within it get 409 and try again later.
        this.#telemetry.warn('idempotency release failed; the key frees itself when its lease ends', {
          webhookId: msg.webhookId,
          error: String(releaseErr),
        });
      });
      throw err instanceof AppError ? err : new DependencyUnavailableError('webhook processing', { cause: err });
    }

    // Effects are done and the event accepted: a failure to mark completion must not turn into
    // a 5xx (the retry would enqueue again). The in-progress record's lease lapses instead, and a
    // retry after it re-sends an event with the same id, which consumers count once.
    await idempotency.complete(key, claim.token).catch((err: unknown) => {
      this.#telemetry.warn('idempotency completion failed after the event was enqueued', {
        webhookId: msg.webhookId,
        error: String(err),
      });
    });
    this.#telemetry.count(MetricNames.WebhookProcessed);
    return { duplicate: false, eventId, invalidated };
  }
}
