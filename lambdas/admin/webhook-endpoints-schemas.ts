// The outgoing-webhook endpoint routes' answers as zod/mini schemas, for the API description
// (lambdas/openapi/openapi.generated.json). Imported by no handler.
import * as z from 'zod/mini';
import { OUTGOING_EVENT_TYPES } from '../core/outgoing-webhooks.ts';

const events = z.array(z.enum(OUTGOING_EVENT_TYPES));
const profiles = z.nullable(z.array(z.string())).check(z.describe('Lower-cased usernames; null: every profile.'));

export const endpointAnswerSchema = z.object({
  id: z.string(),
  url: z.string(),
  events,
  profiles,
  enabled: z.boolean(),
  disabledReason: z.nullable(z.string()).check(z.describe('Why it was disabled (410, retries exhausted, failing for days).')),
  createdAt: z.iso.datetime(),
});

export const createdEndpointAnswerSchema = z.extend(endpointAnswerSchema, {
  secret: z.string().check(z.describe('`whsec_` + base64: the Standard Webhooks signing secret, shown once.')),
});

export const endpointListAnswerSchema = z.object({ endpoints: z.array(endpointAnswerSchema) });

export const deliveriesAnswerSchema = z.object({
  deliveries: z.array(
    z.object({
      webhookId: z.string(),
      type: z.enum(OUTGOING_EVENT_TYPES),
      attempt: z.number().check(z.int(), z.minimum(1)),
      at: z.iso.datetime(),
      responseCode: z.nullable(z.number().check(z.int())).check(z.describe('null when no answer came.')),
      durationMs: z.number().check(z.int(), z.minimum(0)),
      error: z.optional(z.string()),
    }),
  ),
});
