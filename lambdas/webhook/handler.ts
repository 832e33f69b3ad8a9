import type { ProfileInvalidator } from '../core/invalidation.ts';
import type { IdempotencyStore } from '../core/ports.ts';
import { WebhookProcessor } from '../core/webhook.ts';
import { PayloadTooLargeError } from '../shared/errors.ts';
import type { EventPublisher } from '../core/events.ts';
import { type HttpEvent, type HttpResult, json, rawBody } from '../shared/http.ts';
import { telemetry } from '../shared/telemetry.ts';
import { parseWebhookPayload } from './payload.ts';
import { verifyWebhook } from './verify.ts';
import { routedHandler } from '../shared/router.ts';

/** Standard Webhooks senders cap payloads well below this; anything larger is refused unread. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

export interface WebhookDeps {
  secret: () => Promise<string>;
  idempotency: IdempotencyStore;
  publisher: EventPublisher;
  invalidator: Pick<ProfileInvalidator, 'invalidateProfile'>;
  /** How long a claimed webhook-id blocks a concurrent duplicate; ≥ the function timeout. */
  leaseMs?: number;
}

export const makeHandler = (deps: WebhookDeps) => {
  const processor = new WebhookProcessor({
    idempotency: deps.idempotency,
    invalidator: deps.invalidator,
    publisher: deps.publisher,
    leaseMs: deps.leaseMs ?? 30_000,
    telemetry,
  });

  const receive = async (event: HttpEvent): Promise<HttpResult> => {
    const body = rawBody(event);
    if (body.length > MAX_WEBHOOK_BYTES) throw new PayloadTooLargeError(MAX_WEBHOOK_BYTES);
    const headers = verifyWebhook(event, body, await deps.secret());
    const payload = parseWebhookPayload(body);
    const outcome = await processor.process({
      webhookId: headers.id,
      type: payload.type,
      timestamp: payload.timestamp,
      data: payload.data,
    });
    return json(200, { received: true, duplicate: outcome.duplicate, eventId: outcome.eventId }, { 'cache-control': 'no-store' });
  };

  const routes: Record<string, (event: HttpEvent) => Promise<HttpResult>> = {
    'POST /webhooks/linktree': receive,
  };

  return routedHandler(routes);
};
