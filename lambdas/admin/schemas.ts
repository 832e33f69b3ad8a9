// The admin routes' answers as zod/mini schemas, for the API description
// (lambdas/openapi/openapi.generated.json); test/unit/openapi holds the routes' real answers to
// them. Imported by no handler, so the admin bundle does not carry them.
import * as z from 'zod/mini';
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
