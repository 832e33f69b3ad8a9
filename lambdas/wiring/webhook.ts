// The webhook function's production dependencies.
import { secret } from '../adapters/secrets.ts';
import { config } from '../config/config.ts';
import type { WebhookDeps } from '../webhook/handler.ts';
import { idempotencyStore } from './idempotency.ts';
import { profileInvalidator } from './invalidator.ts';
import { eventPublisher } from './queue.ts';

export const wireWebhook = (): WebhookDeps => ({
  secret: () => secret('WEBHOOK_SECRET'),
  idempotency: idempotencyStore(),
  publisher: eventPublisher(),
  invalidator: profileInvalidator(),
  leaseMs: config().IDEMPOTENCY_LEASE_MS,
});
