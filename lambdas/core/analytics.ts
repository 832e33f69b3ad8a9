// Click and view analytics, as plain functions: what a countable event is, how a batch of them
// folds into 10-second aggregates (the rows the consumer upserts), and the analytics query's
// parameters. No I/O here; the Postgres adapter (adapters/pg-analytics-store.ts) does that.
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { EventTypes } from '../contracts/events.ts';
import { firstIssue, safeText } from '../shared/validation.ts';

/** Aggregation granularity (contract section 4): occurredAt floored to 10 s, UTC. */
export const WINDOW_MS = 10_000;

/** The event types the analytics pipeline counts; other queue events are acknowledged and skipped. */
export const COUNTED_TYPES = [EventTypes.LinkClicked, EventTypes.ProfileViewed] as const;
export type CountedType = (typeof COUNTED_TYPES)[number];

export const DIRECT_REFERRER = '(direct)';
export const UNKNOWN_COUNTRY = '(unknown)';

/** A countable event as the consumer sees it, after validation. */
export interface AnalyticsEvent {
  id: string;
  type: CountedType;
  occurredAt: Date;
  profileId: string;
  linkId?: string;
  referrer?: string;
  country?: string;
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
  return {
    kind: 'counted',
    event: {
      id: m.id,
      type: m.type,
      occurredAt: new Date(m.occurredAt),
      profileId: m.data.profileId,
      ...(m.data.linkId ? { linkId: m.data.linkId } : {}),
      ...(m.data.referrer ? { referrer: m.data.referrer } : {}),
      ...(m.data.country ? { country: m.data.country } : {}),
    },
  };
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
  return {
    id: m.id,
    type: m.type,
    occurredAt: at,
    profileId: d.profileId,
    ...(typeof d.linkId === 'string' ? { linkId: d.linkId } : {}),
    ...(typeof d.referrer === 'string' && d.referrer ? { referrer: d.referrer } : {}),
    ...(typeof d.country === 'string' && d.country ? { country: d.country } : {}),
  };
};

export interface LinkClickRow {
  profileId: string;
  windowStart: Date;
  linkId: string;
  n: number;
}
export interface ProfileViewRow {
  profileId: string;
  windowStart: Date;
  n: number;
}
export interface ReferrerRow {
  profileId: string;
  windowStart: Date;
  referrer: string;
  n: number;
}
export interface CountryRow {
  profileId: string;
  windowStart: Date;
  country: string;
  n: number;
}

/** The rows one batch adds, each list unique by key and sorted by it (the lock order of the upserts). */
export interface Aggregates {
  linkClicks: LinkClickRow[];
  profileViews: ProfileViewRow[];
  referrers: ReferrerRow[];
  countries: CountryRow[];
}

const SEP = '\u0000';

const bump = <R extends { n: number }>(map: Map<string, R>, key: string, make: () => R): void => {
  const row = map.get(key);
  if (row) row.n++;
  else map.set(key, make());
};

/** Plain code-unit order: any fixed total order works, as long as every batch uses the same one. */
const byKey = <R>(map: Map<string, R>): R[] =>
  [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);

/**
 * Folds events into 10-second aggregates: clicks per link, views per profile, and (for clicks)
 * counts per referrer host and per country. Each event must appear once (dedupe by id first).
 */
export const aggregate = (events: Iterable<AnalyticsEvent>): Aggregates => {
  const links = new Map<string, LinkClickRow>();
  const views = new Map<string, ProfileViewRow>();
  const referrers = new Map<string, ReferrerRow>();
  const countries = new Map<string, CountryRow>();
  // Per-batch memos: a batch repeats the same few referrers, countries and windows.
  const hosts = new Map<string | undefined, string>();
  const codes = new Map<string | undefined, string>();
  const windows = new Map<number, Date>();
  for (const e of events) {
    const ms = Math.floor(e.occurredAt.getTime() / WINDOW_MS) * WINDOW_MS;
    let windowStart = windows.get(ms);
    if (!windowStart) {
      windowStart = new Date(ms);
      windows.set(ms, windowStart);
    }
    // Keys sort by profile, then window, then the rest. Window keys are fixed-width (epoch ms
    // offset so they stay 14 digits and non-negative), so string order is chronological.
    const base = `${e.profileId}${SEP}${ms + 1e13}`;
    if (e.type === EventTypes.ProfileViewed) {
      bump(views, base, () => ({ profileId: e.profileId, windowStart, n: 1 }));
      continue;
    }
    const linkId = e.linkId ?? '';
    bump(links, `${base}${SEP}${linkId}`, () => ({ profileId: e.profileId, windowStart, linkId, n: 1 }));
    let referrer = hosts.get(e.referrer);
    if (referrer === undefined) {
      referrer = referrerHost(e.referrer);
      hosts.set(e.referrer, referrer);
    }
    bump(referrers, `${base}${SEP}${referrer}`, () => ({ profileId: e.profileId, windowStart, referrer, n: 1 }));
    let country = codes.get(e.country);
    if (country === undefined) {
      country = normalizeCountry(e.country);
      codes.set(e.country, country);
    }
    bump(countries, `${base}${SEP}${country}`, () => ({ profileId: e.profileId, windowStart, country, n: 1 }));
  }
  return { linkClicks: byKey(links), profileViews: byKey(views), referrers: byKey(referrers), countries: byKey(countries) };
};

export const rowCount = (a: Aggregates): number =>
  a.linkClicks.length + a.profileViews.length + a.referrers.length + a.countries.length;

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
}
export interface SeriesPoint {
  t: string;
  views: number;
  clicks: number;
}

export interface AnalyticsReport {
  totals: AnalyticsTotals;
  series: SeriesPoint[];
  links: Array<{ linkId: string; clicks: number }>;
  referrers: Array<{ referrer: string; clicks: number }>;
  countries: Array<{ country: string; clicks: number }>;
}

/** Sparse rows from the store → the dense series the contract returns (empty buckets are zeros). */
export const denseSeries = (q: AnalyticsQuery, rows: Array<{ t: number; views: number; clicks: number }>): SeriesPoint[] => {
  const byT = new Map(rows.map((r) => [r.t, r]));
  return seriesBuckets(q).map((t) => {
    const r = byT.get(t);
    return { t: new Date(t).toISOString(), views: r?.views ?? 0, clicks: r?.clicks ?? 0 };
  });
};

/** The store the consumer writes and the analytics route reads (adapters/pg-analytics-store.ts). */
export interface AnalyticsStore {
  /**
   * Applies a batch in one transaction: records the event ids, skips those already applied
   * (redelivery), adds the rest to the aggregates. All or nothing; rejects when the store fails.
   */
  apply(events: AnalyticsEvent[]): Promise<{ applied: number; duplicates: number; rows: number }>;
  report(profileId: string, q: AnalyticsQuery): Promise<AnalyticsReport>;
}
