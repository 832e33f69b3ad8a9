// What a verified webhook does, exactly once per webhook-id: the shared "a profile changed" effect
// (profile-change.ts: invalidate the profile's cached views for the types that change a profile,
// then enqueue the event). The id is marked done only after both succeeded; any failure releases
// it so the sender's retry runs the whole thing again.
import { MetricNames } from '../contracts/metrics.ts';
import { AppError, DependencyUnavailableError, WebhookInProgressError } from '../shared/errors.ts';
import type { EventPublisher } from './events.ts';
import type { ProfileInvalidator } from './invalidation.ts';
import { type IdempotencyStore, noTelemetry, type Telemetry } from './ports.ts';
import { ProfileChanges, uuidFrom } from './profile-change.ts';

export { INVALIDATING_TYPES } from './profile-change.ts';

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
export const eventIdFor = (webhookId: string): string => uuidFrom(`linktree-webhook:${webhookId}`);

export class WebhookProcessor {
  readonly #deps: WebhookProcessorDeps;
  readonly #telemetry: Telemetry;
  readonly #changes: ProfileChanges;

  constructor(deps: WebhookProcessorDeps) {
    this.#deps = deps;
    this.#telemetry = deps.telemetry ?? noTelemetry;
    this.#changes = new ProfileChanges({ invalidator: deps.invalidator, publisher: deps.publisher });
  }

  async process(msg: WebhookMessage): Promise<WebhookOutcome> {
    const { idempotency, leaseMs } = this.#deps;
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
      ({ invalidated } = await this.#changes.apply({
        eventId,
        type: msg.type,
        occurredAt: msg.timestamp,
        data: { ...msg.data, webhookId: msg.webhookId },
      }));
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
