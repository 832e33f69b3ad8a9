// The analytics query and report (GET /api/profiles/{username}/analytics) as zod/mini schemas, for
// the API description (lambdas/openapi/openapi.generated.json). parseAnalyticsQuery stays the
// parser (it also bounds the range and the number of buckets, which a schema cannot say);
// test/unit/openapi holds it and the schema to the same accepted forms, and the report schema to
// what the store returns. A module of its own, imported by no handler, so no bundle carries it.
import * as z from 'zod/mini';
import { type AnalyticsReport, INTERVALS, type Interval } from './analytics.ts';

// The forms parseInstant accepts: epoch seconds (10–12 digits) or milliseconds (13), or ISO-8601
// with a zone (or a date alone, UTC midnight). Letters in either case, as the parser reads them.
export const INSTANT_PATTERN = /^(\d{10,13}|\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2}))?)$/;

const instant = (what: string) =>
  z.optional(
    z
      .string()
      .check(
        z.regex(INSTANT_PATTERN),
        z.describe(
          `${what}: ISO-8601 with a zone (2026-12-01T12:00:00Z), a date alone (UTC midnight), or epoch seconds (10-12 digits) or milliseconds (13 digits).`,
        ),
      ),
  );

export const analyticsQuerySchema = z.object({
  interval: z
    ._default(z.enum(Object.keys(INTERVALS) as [Interval, ...Interval[]]), '1h')
    .check(z.describe('Bucket size; buckets are aligned to the Unix epoch (UTC days). Empty means the default.')),
  from: instant('Inclusive start, floored to 10 s; default `to` - 24 h'),
  to: instant('Exclusive end, rounded up to 10 s; default now, rounded up to the minute'),
});

const count = z.number().check(z.int(), z.minimum(0));
const bucketStart = z.iso.datetime().check(z.describe('Bucket start, ISO-8601 UTC.'));

export const analyticsReportSchema = z.object({
  totals: z.object({ views: count, clicks: count }),
  series: z
    .array(z.object({ t: bucketStart, views: count, clicks: count }))
    .check(z.describe('Every bucket overlapping the range, zeros included.')),
  links: z.array(z.object({ linkId: z.string(), clicks: count })).check(z.describe('Clicks per link, top 100, highest first.')),
  referrers: z
    .array(z.object({ referrer: z.string(), clicks: count }))
    .check(z.describe('Clicks per referrer host (`(direct)` when none), top 50.')),
  countries: z
    .array(z.object({ country: z.string(), clicks: count }))
    .check(z.describe('Clicks per ISO 3166-1 alpha-2 country (`(unknown)` otherwise), top 250.')),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** A type error here means AnalyticsReport and the schema no longer describe the same report. */
export type AnalyticsReportMatchesCode = Assert<Same<z.infer<typeof analyticsReportSchema>, AnalyticsReport>>;
