// The webhook body (contract section 2): `{type, timestamp, data: {profileId, username?, ...}}`.
import { z } from 'zod';
import { ValidationError } from '../shared/errors.ts';
import { USERNAME_RE } from '../shared/username.ts';

export const webhookPayloadSchema = z.object({
  type: z.string().min(1).max(100),
  timestamp: z.iso.datetime({ offset: true }),
  data: z.looseObject({
    profileId: z.string().min(1).max(200),
    username: z
      .string()
      .regex(USERNAME_RE, 'must be 1-30 letters, digits, "." or "_"')
      .transform((u) => u.toLowerCase())
      .optional(),
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
    const issue = parsed.error.issues[0];
    throw new ValidationError(`The webhook body has an unknown shape: ${issue.path.join('.') || '(root)'}: ${issue.message}.`);
  }
  return parsed.data;
};
