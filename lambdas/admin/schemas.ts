// The admin routes' answers as zod/mini schemas, for the API description
// (lambdas/openapi/openapi.generated.json); test/unit/openapi holds the routes' real answers to
// them. Imported by no handler, so the admin bundle does not carry them.
import * as z from 'zod/mini';
import { SCOPES } from '../contracts/routes.ts';
import { analyticsReportSchema } from '../core/analytics-schemas.ts';
import { INTERVALS, type Interval } from '../core/analytics.ts';

/** `GET /api/profiles/{username}/analytics`: the query as resolved, then the report. */
export const analyticsAnswerSchema = z.extend(analyticsReportSchema, {
  username: z.string().check(z.describe('Lower-cased.')),
  from: z.iso.datetime().check(z.describe('The resolved start (inclusive).')),
  to: z.iso.datetime().check(z.describe('The resolved end (exclusive).')),
  interval: z.enum(Object.keys(INTERVALS) as [Interval, ...Interval[]]),
});

/** `POST /api/cache/invalidate/{username}`: also when nothing was cached. */
export const invalidateAnswerSchema = z.object({ invalidated: z.literal(true) });

const scopesSchema = z.array(z.enum(SCOPES));
const keyProfilesSchema = z.nullable(z.array(z.string()).check(z.describe('Lower-cased usernames; null: every profile.')));
const keyExpiresSchema = z.nullable(z.iso.datetime().check(z.describe('null: never expires.')));

/** `POST /api/keys` → 201: the only answer that carries the key. */
export const createdKeyAnswerSchema = z.object({
  id: z.string().check(z.regex(/^key_[0-9a-f]{24}$/)),
  key: z.string().check(z.regex(/^lck_[A-Za-z0-9_-]{43}$/), z.describe('The bearer key: shown once, stored only as a hash.')),
  scopes: scopesSchema,
  profiles: keyProfilesSchema,
  expiresAt: keyExpiresSchema,
});

/** `GET /api/keys` → 200: every key, never a secret. */
export const keyListAnswerSchema = z.object({
  keys: z.array(
    z.object({
      id: z.string(),
      scopes: scopesSchema,
      profiles: keyProfilesSchema,
      expiresAt: keyExpiresSchema,
      createdAt: z.iso.datetime(),
      revoked: z.boolean(),
      revokedAt: z.optional(z.iso.datetime()),
    }),
  ),
});

/** `DELETE /api/keys/{id}` → 200 (also when it was revoked already). */
export const revokedKeyAnswerSchema = z.object({ id: z.string(), revoked: z.literal(true) });
