// The analytics query and report (GET /api/profiles/{username}/analytics) as zod/mini schemas, for
// the API description (lambdas/openapi/openapi.generated.json). parseAnalyticsQuery stays the
// parser (it also bounds the range and the number of buckets, which a schema cannot say);
// test/unit/openapi holds it and the schema to the same accepted forms, and the report schema to
// what the store returns. A module of its own, imported by no handler, so no bundle carries it.
import * as z from 'zod/mini';
import { type AnalyticsReport, DEVICES, type Device, INTERVALS, type Interval } from './analytics.ts';

// The forms parseInstant accepts: epoch seconds (10–12 digits) or milliseconds (13), or ISO-8601
// with a zone (or a date alone, UTC midnight). Letters in either case, as the parser reads them.
export const INSTANT_PATTERN = /^(\d{10,13}|\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2}))?)$/;

/** A country filter: two letters (read upper-cased) or `(unknown)`. */
export const COUNTRY_PATTERN = /^([A-Za-z]{2}|\(unknown\))$/;

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
  linkId: z.optional(z.string().check(z.minLength(1), z.maxLength(128), z.describe('Only events of this link.'))),
  country: z.optional(
    z
      .string()
      .check(
        z.regex(COUNTRY_PATTERN),
        z.describe('Only events from this ISO 3166-1 alpha-2 country (either case), or `(unknown)`.'),
      ),
  ),
  device: z.optional(z.enum(DEVICES as unknown as [Device, ...Device[]]).check(z.describe('Only events from this device type.'))),
  format: z
    ._default(z.enum(['json', 'csv']), 'json')
    .check(z.describe('`csv`: the series as text/csv (`t,views,clicks,visitors`), as an attachment.')),
});

const count = z.number().check(z.int(), z.minimum(0));
const bucketStart = z.iso.datetime().check(z.describe('Bucket start, ISO-8601 UTC.'));

const visitors = count.check(z.describe('Visitors first seen that UTC day within this bucket: the series sums to the total.'));
const valueCounts = (what: string) =>
  z.array(z.object({ value: z.string(), views: count, clicks: count })).check(z.describe(`Views and clicks per ${what}.`));

export const analyticsReportSchema = z.object({
  totals: z.object({
    views: count,
    clicks: count,
    visitors: count.check(z.describe('One browser on one UTC day (a salted hash of IP, User-Agent and profile; no cookie).')),
  }),
  series: z
    .array(z.object({ t: bucketStart, views: count, clicks: count, visitors }))
    .check(z.describe('Every bucket overlapping the range, zeros included.')),
  links: z
    .array(z.object({ linkId: z.string(), clicks: count, uniqueClicks: count.check(z.describe('Visitors who clicked it.')) }))
    .check(z.describe('Clicks per link, top 100, highest first.')),
  referrers: z
    .array(z.object({ referrer: z.string(), clicks: count }))
    .check(z.describe('Clicks per referrer host (`(direct)` when none), top 50.')),
  countries: z
    .array(z.object({ country: z.string(), clicks: count }))
    .check(z.describe('Clicks per ISO 3166-1 alpha-2 country (`(unknown)` otherwise), top 250.')),
  regions: z
    .array(z.object({ country: z.string(), region: z.string(), clicks: count }))
    .check(z.describe('Clicks per region (CloudFront-Viewer-Country-Region) within its country.')),
  cities: z
    .array(z.object({ country: z.string(), city: z.string(), clicks: count }))
    .check(z.describe('Clicks per city (CloudFront-Viewer-City) within its country.')),
  devices: z
    .array(z.object({ device: z.string(), views: count, clicks: count }))
    .check(z.describe('Views and clicks per device type: mobile, tablet, desktop, other.')),
  browsers: z
    .array(z.object({ browser: z.string(), views: count, clicks: count }))
    .check(z.describe('Views and clicks per browser family (Chrome, Safari, Firefox, Edge, ..., Other).')),
  os: z
    .array(z.object({ os: z.string(), views: count, clicks: count }))
    .check(z.describe('Views and clicks per OS family (iOS, Android, Windows, macOS, Linux, ..., Other).')),
  utm: z.object({ source: valueCounts('utm_source'), medium: valueCounts('utm_medium'), campaign: valueCounts('utm_campaign') }),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** A type error here means AnalyticsReport and the schema no longer describe the same report. */
export type AnalyticsReportMatchesCode = Assert<Same<z.infer<typeof analyticsReportSchema>, AnalyticsReport>>;
