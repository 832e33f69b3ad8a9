// The webhook body (contract section 2): `{type, timestamp, data: {profileId, username?, ...}}`.
import * as z from 'zod/mini';
import { ValidationError } from '../shared/errors.ts';
import { EventTypes } from '../contracts/events.ts';
import { USERNAME_RE } from '../shared/username.ts';
import { firstIssue, safeText, safeTextCheck } from '../shared/validation.ts';

// The fields that go into the queue event and the cache keys are safe text (shared/validation.ts).
export const webhookPayloadSchema = z.object({
  // Counted types come only from our own edge (clicks, beacons): a webhook never adds to analytics.
  type: safeText({ min: 1, max: 100 }).check(
    z.refine(
      (t) => t !== EventTypes.LinkClicked && t !== EventTypes.ProfileViewed,
      'is an analytics event type, not a profile change',
    ),
  ),
  timestamp: z.iso.datetime({ offset: true }),
  data: z.looseObject({
    profileId: safeText({ min: 1, max: 200 }),
    username: z.optional(
      z.pipe(
        z.string().check(safeTextCheck, z.regex(USERNAME_RE, 'must be 1-30 letters, digits, "." or "_"')),
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
