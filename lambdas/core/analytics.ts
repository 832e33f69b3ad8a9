// Click and view analytics, as plain functions: what a countable event is, how a batch of them
// folds into the raw 10-second rows the consumer appends (the rollup job sums them into hours and
// days), which tier answers which interval, and the analytics query's parameters and report.
// No I/O here; the Postgres adapter (adapters/pg-analytics-store.ts) does that.
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { EventTypes } from '../contracts/events.ts';
import { ValidationError } from '../shared/errors.ts';
import { firstIssue, isSafeText, safeText } from '../shared/validation.ts';

/** Aggregation granularity (contract section 4): occurredAt floored to 10 s, UTC. */
export const WINDOW_MS = 10_000;

/** The event types the analytics pipeline counts; other queue events are acknowledged and skipped. */
export const COUNTED_TYPES = [EventTypes.LinkClicked, EventTypes.ProfileViewed] as const;
export type CountedType = (typeof COUNTED_TYPES)[number];

export const DIRECT_REFERRER = '(direct)';
export const UNKNOWN_COUNTRY = '(unknown)';
/** Browser or OS family the edge could not tell. */
export const OTHER_FAMILY = 'Other';

export const DEVICES = ['mobile', 'tablet', 'desktop', 'other'] as const;
export type Device = (typeof DEVICES)[number];

export interface Utm {
  source?: string;
  medium?: string;
  campaign?: string;
  term?: string;
  content?: string;
}

/** A countable event as the consumer sees it, after validation (the dimensions come from the edge). */
export interface AnalyticsEvent {
  id: string;
  type: CountedType;
  occurredAt: Date;
  profileId: string;
  linkId?: string;
  referrer?: string;
  country?: string;
  /** CloudFront-Viewer-Country-Region (≤ 16). */
  region?: string;
  /** CloudFront-Viewer-City (≤ 128). */
  city?: string;
  device?: Device;
  browser?: string;
  os?: string;
  /** 32 lowercase hex chars: the day's keyed visitor hash. */
  visitor?: string;
  utm?: Utm;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The key an event id is recorded under in the exactly-once ledger (a uuid column): the id itself
 * when it is a UUID (lower-cased, as Postgres prints it), else md5(id) as a UUID, the same value
 * Postgres computes with `md5(id)::uuid`.
 */
export const ledgerId = (id: string): string => {
  if (UUID_RE.test(id)) return id.toLowerCase();
  const h = createHash('md5').update(id, 'utf8').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export const floorToWindow = (t: Date | number): Date => {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / WINDOW_MS) * WINDOW_MS);
};

/**
 * Referrers are counted by host (`https://www.instagram.com/p/x?y` → `www.instagram.com`): full
 * URLs carry per-user paths and tokens, an unbounded number of rows and personal data.
 */
export const referrerHost = (raw: string | undefined | null): string => {
  if (!raw) return DIRECT_REFERRER;
  const trimmed = raw.trim();
  if (!trimmed) return DIRECT_REFERRER;
  try {
    const u = new URL(trimmed);
    if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'android-app:') {
      return u.hostname.toLowerCase().slice(0, 253) || DIRECT_REFERRER;
    }
    return DIRECT_REFERRER;
  } catch {
    // A bare host ("instagram.com") is kept as a host; anything else is not a referrer.
    return /^[a-z0-9.-]{1,253}$/i.test(trimmed) && trimmed.includes('.') ? trimmed.toLowerCase() : DIRECT_REFERRER;
  }
};

/** ISO 3166-1 alpha-2 as CloudFront sends it; anything else (including CloudFront's `XX`) is unknown. */
export const normalizeCountry = (raw: string | undefined | null): string => {
  const c = (raw ?? '').trim().toUpperCase();
  return /^[A-Z]{2}$/.test(c) && c !== 'XX' ? c : UNKNOWN_COUNTRY;
};

const idSchema = z.string().check(z.minLength(1), z.maxLength(128));
// Stored as is (the other fields are hashed or normalized first): safe text, or the message is
// set aside here rather than failing its batch in Postgres.
const shortId = safeText({ min: 1, max: 128 });

/** A queue message body (contract section 4) that the analytics pipeline counts. */
const countedMessageSchema = z.object({
  id: idSchema,
  type: z.enum(COUNTED_TYPES),
  occurredAt: z.iso.datetime({ offset: true }),
  data: z.object({
    profileId: shortId,
    linkId: z.optional(shortId),
    referrer: z.nullish(z.string().check(z.maxLength(4096))),
    country: z.nullish(z.string().check(z.maxLength(16))),
  }),
});

const anyMessageSchema = z.object({
  id: idSchema,
  type: z.string().check(z.minLength(1)),
  occurredAt: z.string(),
  data: z.unknown(),
});

export type ParsedMessage =
  | { kind: 'counted'; event: AnalyticsEvent }
  | { kind: 'ignored'; type: string }
  /** `id` when the envelope had one. */
  | { kind: 'invalid'; reason: string; id?: string };

/**
 * One SQS message body → a countable event, an event of another type (skipped: the events queue
 * also carries profile/link updates), or invalid (malformed: the consumer sets it aside).
 */
export const parseMessage = (body: string): ParsedMessage => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'invalid', reason: 'body is not JSON' };
  }
  // Hand-written checks for the common, valid case (10,000 records a batch); the zod schemas
  // below decide every other case and explain what is wrong.
  const fast = fastCounted(json);
  if (fast) return { kind: 'counted', event: fast };
  const envelope = anyMessageSchema.safeParse(json);
  if (!envelope.success) return { kind: 'invalid', reason: `not an event: ${envelope.error.issues[0]?.message ?? 'bad shape'}` };
  if (!(COUNTED_TYPES as readonly string[]).includes(envelope.data.type)) return { kind: 'ignored', type: envelope.data.type };
  const parsed = countedMessageSchema.safeParse(json);
  if (!parsed.success) {
    return { kind: 'invalid', reason: firstIssue(parsed.error, 'event'), id: envelope.data.id };
  }
  const m = parsed.data;
  if (m.type === EventTypes.LinkClicked && !m.data.linkId)
    return { kind: 'invalid', reason: 'data.linkId: required for link.clicked', id: m.id };
  const event: AnalyticsEvent = {
    id: m.id,
    type: m.type,
    occurredAt: new Date(m.occurredAt),
    profileId: m.data.profileId,
    ...(m.data.linkId ? { linkId: m.data.linkId } : {}),
    ...(m.data.referrer ? { referrer: m.data.referrer } : {}),
    ...(m.data.country ? { country: m.data.country } : {}),
  };
  addDimensions(event, (json as { data: Record<string, unknown> }).data);
  return { kind: 'counted', event };
};

const VISITOR_RE = /^[0-9a-f]{32}$/;
const DIM_MAX = { region: 16, city: 128, browser: 64, os: 64, utm: 256 } as const;
const UTM_FIELDS = ['source', 'medium', 'campaign', 'term', 'content'] as const;

/** A dimension value worth storing: a non-empty string of safe text within `max`. */
const dimText = (v: unknown, max: number): string | undefined => {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) return undefined;
  return plain(v) || isSafeText(v) ? v : undefined;
};

/**
 * Copies the edge's dimensions onto the event. A dimension that is missing or unusable is left
 * out (the event still counts, under `Other`/unknown): a garbled header must not lose a click.
 */
const addDimensions = (e: AnalyticsEvent, d: Record<string, unknown>): void => {
  const region = dimText(d.region, DIM_MAX.region);
  if (region) e.region = region;
  const city = dimText(d.city, DIM_MAX.city);
  if (city) e.city = city;
  if (typeof d.device === 'string' && (DEVICES as readonly string[]).includes(d.device)) e.device = d.device as Device;
  const browser = dimText(d.browser, DIM_MAX.browser);
  if (browser) e.browser = browser;
  const os = dimText(d.os, DIM_MAX.os);
  if (os) e.os = os;
  if (typeof d.visitor === 'string' && VISITOR_RE.test(d.visitor)) e.visitor = d.visitor;
  if (typeof d.utm === 'object' && d.utm !== null && !Array.isArray(d.utm)) {
    const raw = d.utm as Record<string, unknown>;
    const utm: Utm = {};
    let any = false;
    for (const f of UTM_FIELDS) {
      const v = dimText(raw[f], DIM_MAX.utm);
      if (v) {
        utm[f] = v;
        any = true;
      }
    }
    if (any) e.utm = utm;
  }
};

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const okId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 128;
/** No control character and no surrogate at all: a valid pair (an emoji) is left to zod, which tells them apart. */
const plain = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
};
const okStored = (v: unknown): v is string => okId(v) && plain(v);
const okOptional = (v: unknown, max: number): boolean =>
  v === undefined || v === null || (typeof v === 'string' && v.length <= max);

/** The event when `json` is a well-formed countable event, else undefined (then zod decides). */
const fastCounted = (json: unknown): AnalyticsEvent | undefined => {
  if (typeof json !== 'object' || json === null) return undefined;
  const m = json as { id?: unknown; type?: unknown; occurredAt?: unknown; data?: unknown };
  if (!okId(m.id) || (m.type !== EventTypes.LinkClicked && m.type !== EventTypes.ProfileViewed)) return undefined;
  if (typeof m.occurredAt !== 'string' || !ISO_RE.test(m.occurredAt)) return undefined;
  const at = new Date(m.occurredAt);
  if (Number.isNaN(at.getTime())) return undefined;
  if (typeof m.data !== 'object' || m.data === null || Array.isArray(m.data)) return undefined;
  const d = m.data as { profileId?: unknown; linkId?: unknown; referrer?: unknown; country?: unknown };
  if (!okStored(d.profileId)) return undefined;
  if (m.type === EventTypes.LinkClicked ? !okStored(d.linkId) : d.linkId !== undefined && !okStored(d.linkId)) return undefined;
  if (!okOptional(d.referrer, 4096) || !okOptional(d.country, 16)) return undefined;
  // Every field present (undefined where absent): one object shape for every event of a batch,
  // so the aggregation's property reads stay monomorphic, and no spread temporaries.
  const e: AnalyticsEvent = {
    id: m.id,
    type: m.type,
    occurredAt: at,
    profileId: d.profileId,
    linkId: typeof d.linkId === 'string' ? d.linkId : undefined,
    referrer: typeof d.referrer === 'string' && d.referrer ? d.referrer : undefined,
    country: typeof d.country === 'string' && d.country ? d.country : undefined,
    region: undefined,
    city: undefined,
    device: undefined,
    browser: undefined,
    os: undefined,
    visitor: undefined,
    utm: undefined,
  };
  addDimensions(e, d as Record<string, unknown>);
  return e;
};

/** The three storage tiers, by bucket width: raw (10 s), hourly, daily. */
export const TIERS = ['10s', '1h', '1d'] as const;
export type Tier = (typeof TIERS)[number];
export const TIER_MS: Record<Tier, number> = { '10s': 10_000, '1h': 3_600_000, '1d': 86_400_000 };

/**
 * The report's dimensions (the `dim` column of the hourly and daily dims tables): 0 the totals,
 * 1-8 the breakdowns, 9-11 the filter columns.
 */
export const DIM = {
  total: 0,
  referrer: 1,
  region: 2,
  city: 3,
  browser: 4,
  os: 5,
  utmSource: 6,
  utmMedium: 7,
  utmCampaign: 8,
  link: 9,
  country: 10,
  device: 11,
} as const;
export type DimCode = (typeof DIM)[keyof typeof DIM];

/**
 * A (profile, bucket) with at least this many events in one rollup run also gets summed dims
 * rows; below it, its signatures alone hold its breakdowns (a busy profile's signatures would be
 * many to read, a quiet one's dims rows many to write).
 */
export const COVER_MIN = 64;

/**
 * One raw row: the counts of one signature (every dimension at once; '' where absent) in one
 * 10-second window of one batch. `visitors` counts the visitors whose first event of the UTC day
 * this row holds; `uniques`, the visitors whose first click of the day on this link it holds.
 */
export interface RawRow {
  profileId: string;
  /** Window start, epoch ms. */
  bucket: number;
  /** '' for views. */
  linkId: string;
  country: string;
  device: Device;
  referrer: string;
  region: string;
  city: string;
  browser: string;
  os: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  views: number;
  clicks: number;
  visitors: number;
  uniques: number;
}

/** A visitor of a profile on a UTC day (`visitor` as Postgres prints a uuid). */
export interface VisitorKey {
  day: string;
  profileId: string;
  visitor: string;
}
export interface LinkVisitorKey extends VisitorKey {
  linkId: string;
}

/**
 * The keys the store dedupes visitors by, uuids in the ledger's own table. A visitor's is its hash
 * itself: the edge's keyed hash already covers the profile, and its salt the UTC day (core/
 * visitors.ts), so it is unique per (day, profile, browser). A link visitor's is md5 of the
 * profile, link and visitor. Neither can meet an event id but by a 128-bit collision.
 */
export const visitorKey = (v: VisitorKey): string => v.visitor;
export const linkVisitorKey = (v: LinkVisitorKey): string =>
  dashed(createHash('md5').update(`${v.profileId}\u0001${v.linkId}\u0001${v.visitor}`, 'utf8').digest('hex'));

/** What one batch adds: its raw rows (unique by window and signature), and the visitors it saw. */
export interface Aggregates {
  rows: RawRow[];
  /** The earliest and latest window of the rows (epoch ms); 0 when there are none. */
  lo: number;
  hi: number;
  /** Each visitor of the batch once: the store records them and answers which are new. */
  visitors: VisitorKey[];
  /** Each (link, visitor) of the batch's clicks once. */
  linkVisitors: LinkVisitorKey[];
  /** visitorKey / linkVisitorKey of each, in the same order. */
  visitorKeys: string[];
  linkVisitorKeys: string[];
  /**
   * Adds 1 to `visitors` (`uniques`) of the row of the batch's first event (click) of each visitor
   * the store found new: the series then sums to the total. Each key is credited as often as it is
   * passed: the store passes the keys its insert returned, each once.
   */
  credit(newVisitors: Iterable<string>, newLinkVisitors: Iterable<string>): void;
}

const dayString = (dayMs: number): string => new Date(dayMs).toISOString().slice(0, 10);
const dashed = (hex: string): string =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/**
 * Folds events into raw rows, one per (profile, 10-second window, signature). Each event must
 * appear once (dedupe by id first). The hourly and daily tiers are the rollup job's, in SQL.
 */
export const aggregate = (input: Iterable<AnalyticsEvent>): Aggregates => {
  // Per-batch memos: a batch repeats the same few referrers, countries and days.
  const hosts = new Map<string | undefined, string>();
  const codes = new Map<string | undefined, string>();
  const days = new Map<number, string>();
  const rows = new Map<string, RawRow>();
  const firstVisit = new Map<string, { at: number; row: RawRow; key: VisitorKey }>();
  const firstClick = new Map<string, { at: number; row: RawRow; key: LinkVisitorKey }>();
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const e of input) {
    const view = e.type === EventTypes.ProfileViewed;
    let referrer = hosts.get(e.referrer);
    if (referrer === undefined) {
      referrer = referrerHost(e.referrer);
      hosts.set(e.referrer, referrer);
    }
    let country = codes.get(e.country);
    if (country === undefined) {
      country = normalizeCountry(e.country);
      codes.set(e.country, country);
    }
    const ms = e.occurredAt.getTime();
    const bucket = Math.floor(ms / WINDOW_MS) * WINDOW_MS;
    if (bucket < lo) lo = bucket;
    if (bucket > hi) hi = bucket;
    const linkId = view ? '' : (e.linkId ?? '');
    const device: Device = e.device ?? 'other';
    const browser = e.browser ?? OTHER_FAMILY;
    const os = e.os ?? OTHER_FAMILY;
    const region = e.region ?? '';
    const city = e.city ?? '';
    const utm = e.utm;
    const key = `${e.profileId}\u0000${bucket}\u0000${linkId}\u0000${country}\u0000${device}\u0000${referrer}\u0000${region}\u0000${city}\u0000${browser}\u0000${os}\u0000${utm?.source ?? ''}\u0000${utm?.medium ?? ''}\u0000${utm?.campaign ?? ''}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        profileId: e.profileId,
        bucket,
        linkId,
        country,
        device,
        referrer,
        region,
        city,
        browser,
        os,
        utmSource: utm?.source ?? '',
        utmMedium: utm?.medium ?? '',
        utmCampaign: utm?.campaign ?? '',
        views: 0,
        clicks: 0,
        visitors: 0,
        uniques: 0,
      };
      rows.set(key, row);
    }
    if (view) row.views++;
    else row.clicks++;

    if (e.visitor) {
      const dayMs = Math.floor(ms / 86_400_000) * 86_400_000;
      let day = days.get(dayMs);
      if (day === undefined) {
        day = dayString(dayMs);
        days.set(dayMs, day);
      }
      const visitor = dashed(e.visitor);
      const vk: VisitorKey = { day, profileId: e.profileId, visitor };
      const k = visitorKey(vk);
      const seen = firstVisit.get(k);
      if (!seen) firstVisit.set(k, { at: ms, row, key: vk });
      else if (ms < seen.at) {
        seen.at = ms;
        seen.row = row;
      }
      if (!view) {
        const lk: LinkVisitorKey = { day, profileId: e.profileId, linkId, visitor };
        // Keyed in the batch by the fields (cheap); the md5 key is made once per distinct one.
        const kk = `${e.profileId}\u0001${linkId}\u0001${visitor}`;
        const clicked = firstClick.get(kk);
        if (!clicked) firstClick.set(kk, { at: ms, row, key: lk });
        else if (ms < clicked.at) {
          clicked.at = ms;
          clicked.row = row;
        }
      }
    }
  }
  const empty = rows.size === 0;
  const clicks = new Map<string, { row: RawRow; key: LinkVisitorKey }>();
  for (const c of firstClick.values()) clicks.set(linkVisitorKey(c.key), c);
  return {
    rows: [...rows.values()],
    lo: empty ? 0 : lo,
    hi: empty ? 0 : hi,
    visitors: [...firstVisit.values()].map((v) => v.key),
    linkVisitors: [...clicks.values()].map((v) => v.key),
    visitorKeys: [...firstVisit.keys()],
    linkVisitorKeys: [...clicks.keys()],
    credit(newVisitors, newLinkVisitors) {
      for (const k of newVisitors) {
        const v = firstVisit.get(k);
        if (v) v.row.visitors++;
      }
      for (const k of newLinkVisitors) {
        const c = clicks.get(k);
        if (c) c.row.uniques++;
      }
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Retention: which tier holds which instants

/** Hourly rows are kept this long (contract: 400 days); daily rows for good. */
export const HOURLY_RETENTION_D = 400;

export interface Retention {
  /** `ANALYTICS_RAW_RETENTION_D` (default 14). */
  rawDays: number;
  hourlyDays?: number;
}

/**
 * The finest interval the store can answer for a range starting at `from`: raw 10-second windows
 * are dropped by whole UTC days once the day ended more than `rawDays` ago, hourly rows by whole
 * months past 400 days, so an instant younger than the retention is always still there.
 */
export const finestInterval = (from: Date, now: number, r: Retention): Interval => {
  const t = from.getTime();
  if (t >= now - r.rawDays * 86_400_000) return '10s';
  if (t >= now - (r.hourlyDays ?? HOURLY_RETENTION_D) * 86_400_000) return '1h';
  return '1d';
};

/** Throws ValidationError (400) when `q.interval` is finer than the data kept for `q.from`. */
export const assertIntervalKept = (q: Pick<AnalyticsQuery, 'from' | 'interval'>, now: number, r: Retention): void => {
  const finest = finestInterval(q.from, now, r);
  if (INTERVALS[q.interval] < INTERVALS[finest]) {
    throw new ValidationError(
      `interval ${q.interval} is finer than the data kept for ${q.from.toISOString()}: ${finest} or coarser ` +
        `(10-second windows are kept ${r.rawDays} days, hourly ${r.hourlyDays ?? HOURLY_RETENTION_D} days, daily for good).`,
    );
  }
};

// ---------------------------------------------------------------------------------------------
// The analytics query (GET /api/profiles/{username}/analytics)

export const INTERVALS = { '10s': 10_000, '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
export type Interval = keyof typeof INTERVALS;

export const MAX_RANGE_MS = 90 * 86_400_000;
export const DEFAULT_RANGE_MS = 86_400_000;
/** Dense series are capped so one response stays small; a longer range needs a coarser interval. */
export const MAX_SERIES_POINTS = 10_080;

export interface AnalyticsQuery {
  /** Inclusive, floored to 10 s. */
  from: Date;
  /** Exclusive, rounded up to 10 s. */
  to: Date;
  interval: Interval;
  /** Filters: each narrows every number of the report (totals, series, visitors, breakdowns). */
  linkId?: string;
  /** ISO alpha-2 as stored (upper case), or `(unknown)`. */
  country?: string;
  device?: Device;
}

export type QueryParse = { ok: true; query: AnalyticsQuery } | { ok: false; message: string };

const parseInstant = (raw: string): Date | undefined => {
  // ISO-8601 with a zone (or a date alone, read as UTC midnight), or epoch milliseconds.
  if (/^\d{10,13}$/.test(raw)) return new Date(raw.length === 13 ? Number(raw) : Number(raw) * 1000);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i.test(raw)) return undefined;
  const d = new Date(raw);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

const ceilToWindow = (ms: number): Date => new Date(Math.ceil(ms / WINDOW_MS) * WINDOW_MS);

/**
 * `from`/`to` (ISO-8601 or epoch seconds/ms) and `interval`. Defaults: the last 24 h up to now,
 * interval `1h`. `to` defaults to now rounded up to the minute so repeated default queries share
 * one cache entry for a minute.
 */
export const parseAnalyticsQuery = (params: Record<string, string | undefined>, now: number): QueryParse => {
  const interval = (params.interval || '1h') as Interval;
  if (!(interval in INTERVALS)) return { ok: false, message: 'interval must be one of 10s, 1m, 1h, 1d.' };
  let to: Date;
  if (params.to) {
    const t = parseInstant(params.to);
    if (!t) return { ok: false, message: '"to" must be an ISO-8601 timestamp with a zone, or epoch seconds/milliseconds.' };
    to = ceilToWindow(t.getTime());
  } else {
    to = new Date(Math.ceil(now / 60_000) * 60_000);
  }
  let from: Date;
  if (params.from) {
    const f = parseInstant(params.from);
    if (!f) return { ok: false, message: '"from" must be an ISO-8601 timestamp with a zone, or epoch seconds/milliseconds.' };
    from = floorToWindow(f);
  } else {
    from = new Date(to.getTime() - DEFAULT_RANGE_MS);
  }
  if (from.getTime() >= to.getTime()) return { ok: false, message: '"from" must be before "to".' };
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) return { ok: false, message: 'The range may span at most 90 days.' };
  const points = seriesBuckets({ from, to, interval }).length;
  if (points > MAX_SERIES_POINTS) {
    return {
      ok: false,
      message: `That range has ${points} ${interval} buckets (at most ${MAX_SERIES_POINTS}); use a coarser interval.`,
    };
  }
  return { ok: true, query: { from, to, interval } };
};

/** Bucket starts covering [from, to), aligned to the Unix epoch in UTC (days start at 00:00 UTC). */
export const seriesBuckets = (q: AnalyticsQuery): number[] => {
  const step = INTERVALS[q.interval];
  const out: number[] = [];
  for (let t = Math.floor(q.from.getTime() / step) * step; t < q.to.getTime(); t += step) {
    out.push(t);
    if (out.length > MAX_SERIES_POINTS) break;
  }
  return out;
};

export interface AnalyticsTotals {
  views: number;
  clicks: number;
  visitors: number;
}
export interface SeriesPoint {
  t: string;
  views: number;
  clicks: number;
  visitors: number;
}
export interface ValueCount {
  value: string;
  views: number;
  clicks: number;
}

/** The stored part of the analytics route's answer (the route adds username, from, to, interval). */
export interface AnalyticsReport {
  totals: AnalyticsTotals;
  series: SeriesPoint[];
  links: Array<{ linkId: string; clicks: number; uniqueClicks: number }>;
  referrers: Array<{ referrer: string; clicks: number }>;
  countries: Array<{ country: string; clicks: number }>;
  regions: Array<{ country: string; region: string; clicks: number }>;
  cities: Array<{ country: string; city: string; clicks: number }>;
  devices: Array<{ device: string; views: number; clicks: number }>;
  browsers: Array<{ browser: string; views: number; clicks: number }>;
  os: Array<{ os: string; views: number; clicks: number }>;
  utm: { source: ValueCount[]; medium: ValueCount[]; campaign: ValueCount[] };
}

/** Sparse rows from the store → the dense series the contract returns (empty buckets are zeros). */
export const denseSeries = (
  q: AnalyticsQuery,
  rows: Array<{ t: number; views: number; clicks: number; visitors?: number }>,
): SeriesPoint[] => {
  const byT = new Map(rows.map((r) => [r.t, r]));
  return seriesBuckets(q).map((t) => {
    const r = byT.get(t);
    return { t: new Date(t).toISOString(), views: r?.views ?? 0, clicks: r?.clicks ?? 0, visitors: r?.visitors ?? 0 };
  });
};

/** The store the consumer writes and the analytics route reads (adapters/pg-analytics-store.ts). */
export interface AnalyticsStore {
  /**
   * Applies a batch in one transaction: records the event ids, skips those already applied
   * (redelivery), adds the rest to the aggregates. All or nothing; rejects when the store fails.
   */
  apply(events: AnalyticsEvent[]): Promise<{ applied: number; duplicates: number; rows: number }>;
  /**
   * Sums applied batches into the coarser tiers, exactly once each (the adapter's job); resolves
   * to how many batches it took, and `more` when others may wait. Reports are exact whether or not
   * it ran.
   */
  rollup?(): Promise<RollupRun>;
  /**
   * Rejects with ValidationError when the interval is finer than the data kept for `from`
   * (assertIntervalKept): the route answers 400.
   */
  report(profileId: string, q: AnalyticsQuery): Promise<AnalyticsReport>;
  /** The finest interval answerable for a range starting at `from` (the route's 400 rule). */
  finestInterval?(from: Date): Interval;
}

/** One run of the rollup job. */
export interface RollupRun {
  batches: number;
  rows: number;
  more?: boolean;
}

/**
 * Runs the rollup job run after run while it says more batches wait, starting none once `now()`
 * has reached `until`; resolves to the runs and what they took. A run that fails rejects (its
 * batches stay pending, the next caller takes them).
 */
export const rollupBacklog = async (
  job: { rollup(): Promise<RollupRun> },
  until: number,
  now: () => number = Date.now,
): Promise<{ runs: number; batches: number; rows: number }> => {
  const total = { runs: 0, batches: 0, rows: 0 };
  for (;;) {
    const r = await job.rollup();
    total.runs++;
    total.batches += r.batches;
    total.rows += r.rows;
    if (!r.more || now() >= until) return total;
  }
};
