// The answer of `POST /webhooks/linktree` as a zod/mini schema, for the API description
// (lambdas/openapi/openapi.generated.json); test/unit/openapi holds the route's real answers to
// it. Imported by no handler, so the webhook bundle does not carry it.
import * as z from 'zod/mini';

export const webhookAnswerSchema = z.object({
  received: z.literal(true),
  duplicate: z.boolean().check(z.describe('`true`: this webhook-id was done already, nothing was done again.')),
  eventId: z.string().check(z.describe('The queue event id, derived from the webhook-id (the same on a duplicate).')),
});
