// The webhook body (contract section 2): `{type, timestamp, data: {profileId, username?, ...}}`.
import * as z from 'zod/mini';
import { ValidationError } from '../shared/errors.ts';
import { USERNAME_RE } from '../shared/username.ts';
import { firstIssue } from '../shared/validation.ts';

export const webhookPayloadSchema = z.object({
  type: z.string().check(z.minLength(1), z.maxLength(100)),
  timestamp: z.iso.datetime({ offset: true }),
  data: z.looseObject({
    profileId: z.string().check(z.minLength(1), z.maxLength(200)),
    username: z.optional(
      z.pipe(
        z.string().check(z.regex(USERNAME_RE, 'must be 1-30 letters, digits, "." or "_"')),
        z.transform((u: string) => u.toLowerCase()),
      ),
    ),
  }),
});

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** Parses the verified body; malformed JSON or an unknown shape is a 400. */
export const parseWebhookPayload = (body: Buffer): WebhookPayload => {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationError('The webhook body is not valid JSON.');
  }
  const parsed = webhookPayloadSchema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(`The webhook body has an unknown shape: ${firstIssue(parsed.error, '(root)')}.`);
  }
  return parsed.data;
};
