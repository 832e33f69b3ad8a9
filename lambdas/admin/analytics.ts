// GET /api/profiles/{username}/analytics?from=&to=&interval=10s|1m|1h|1d&linkId=&country=&device=&format=json|csv
// (private; the admin handler checks the key before routing here).
//
// The username is resolved through the cached read path (unknown → 404 PROFILE_NOT_FOUND) and the
// aggregates are read by profile id: analytics follow the profile, not a username that can be
// renamed or handed to someone else. The JSON answer is cached in Redis for ANALYTICS_TTL_S, keyed
// by (profile id, range, interval, filters), and listed in the profile's analytics index so a
// webhook's invalidation deletes it; `format=csv` is the same report's series, rendered per request.
import { createHash } from 'node:crypto';
import {
  type AnalyticsQuery,
  type AnalyticsReport,
  type AnalyticsStore,
  DEVICES,
  type Device,
  INTERVALS,
  parseAnalyticsQuery,
  type SeriesPoint,
} from '../core/analytics.ts';
import type { ProfileService } from '../core/profile-service.ts';
import { AppError, DependencyUnavailableError, ValidationError } from '../shared/errors.ts';
import { type HttpEvent, type HttpResult, JSON_TYPE } from '../shared/http.ts';
import { telemetry } from '../shared/telemetry.ts';
import { parseUsername } from '../shared/username.ts';
import { isSafeText } from '../shared/validation.ts';

export interface AnalyticsCache {
  get(username: string, queryHash: string): Promise<string | undefined>;
  set(username: string, queryHash: string, body: string, ttlS: number): Promise<void>;
}

export interface AnalyticsDeps {
  service: Pick<ProfileService, 'profile'>;
  /** The aggregates; built on first use (the pool connects lazily). */
  store: () => AnalyticsStore;
  /** Undefined when Redis is not configured. */
  cache: () => AnalyticsCache | undefined;
  /** ANALYTICS_TTL_S; 0 disables caching. */
  ttlS: () => number;
  now?: () => number;
}

export const CSV_TYPE = 'text/csv; charset=utf-8';
export type Format = 'json' | 'csv';
const MAX_LINK_ID = 128;

export interface Filters {
  linkId?: string;
  country?: string;
  device?: Device;
}

/** The filters and format of the query string; a bad value is a 400, never ignored. */
export const parseFilters = (params: Record<string, string | undefined>): { filters: Filters; format: Format } => {
  const filters: Filters = {};
  const { linkId, country, device, format } = params;
  if (linkId !== undefined && linkId !== '') {
    if (linkId.length > MAX_LINK_ID || !isSafeText(linkId))
      throw new ValidationError('"linkId" must be 1-128 characters without control characters.');
    filters.linkId = linkId;
  }
  if (country !== undefined && country !== '') {
    if (/^[A-Za-z]{2}$/.test(country)) filters.country = country.toUpperCase();
    else if (country === '(unknown)') filters.country = country;
    else throw new ValidationError('"country" must be an ISO 3166-1 alpha-2 code (e.g. DE) or (unknown).');
  }
  if (device !== undefined && device !== '') {
    if (!(DEVICES as readonly string[]).includes(device))
      throw new ValidationError(`"device" must be one of ${DEVICES.join(', ')}.`);
    filters.device = device as Device;
  }
  const f = format || 'json';
  if (f !== 'json' && f !== 'csv') throw new ValidationError('"format" must be json or csv.');
  return { filters, format: f };
};

export const queryHash = (profileId: string, q: AnalyticsQuery): string =>
  createHash('sha256')
    .update(
      [profileId, q.from.toISOString(), q.to.toISOString(), q.interval, q.linkId ?? '', q.country ?? '', q.device ?? ''].join(
        '\u0000',
      ),
    )
    .digest('base64url')
    .slice(0, 22);

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export const csvField = (v: string | number): string => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** The series as CSV: a header row `t,views,clicks,visitors`, then one row per bucket (CRLF). */
export const seriesCsv = (series: SeriesPoint[]): string =>
  `${['t,views,clicks,visitors', ...series.map((p) => [p.t, p.views, p.clicks, p.visitors].map(csvField).join(','))].join('\r\n')}\r\n`;

/** `analytics-demo-20260301T000000Z-20260302T000000Z.csv`: usernames are [A-Za-z0-9._] already. */
export const csvFilename = (username: string, from: Date, to: Date): string => {
  const stamp = (d: Date) =>
    d
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  return `analytics-${username.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp(from)}-${stamp(to)}.csv`;
};

export const analyticsRoute = (deps: AnalyticsDeps) => {
  const { store, cache, ttlS } = deps;
  const now = deps.now ?? Date.now;

  const answer = (username: string, q: AnalyticsQuery, format: Format, body: string, xCache: 'HIT' | 'MISS'): HttpResult => {
    if (format === 'json') {
      return {
        statusCode: 200,
        headers: { 'content-type': JSON_TYPE, 'cache-control': 'private, no-store', 'x-cache': xCache },
        body,
      };
    }
    const { series } = JSON.parse(body) as { series: SeriesPoint[] };
    return {
      statusCode: 200,
      headers: {
        'content-type': CSV_TYPE,
        'content-disposition': `attachment; filename="${csvFilename(username, q.from, q.to)}"`,
        'cache-control': 'private, no-store',
        'x-cache': xCache,
      },
      body: seriesCsv(series),
    };
  };

  return async (event: HttpEvent): Promise<HttpResult> => {
    const username = parseUsername(event.pathParameters?.username);
    const params = event.queryStringParameters ?? {};
    const parsed = parseAnalyticsQuery(params, now());
    if (!parsed.ok) throw new ValidationError(parsed.message);
    const { filters, format } = parseFilters(params);
    const q: AnalyticsQuery = { ...parsed.query, ...filters };
    // Finer than what is kept for `from` (10-second windows expire first): 400, not a silent zero.
    const finest = store().finestInterval?.(q.from);
    if (finest && INTERVALS[q.interval] < INTERVALS[finest]) {
      throw new ValidationError(
        `interval ${q.interval} is finer than the data kept for ${q.from.toISOString()}: use ${finest} or coarser.`,
      );
    }
    const { profile } = await deps.service.profile(username);
    const hash = queryHash(profile.id, q);

    const c = ttlS() > 0 ? cache() : undefined;
    if (c) {
      const hit = await c.get(username, hash).catch((err) => {
        telemetry.warn('analytics cache read failed; querying the database', { error: String(err) });
        return undefined;
      });
      if (hit) return answer(username, q, format, hit, 'HIT');
    }

    let report: AnalyticsReport;
    try {
      report = await store().report(profile.id, q);
    } catch (err) {
      // The store's own refusals (an interval finer than what it keeps) are the client's.
      if (err instanceof AppError && err.status < 500) throw err;
      throw new DependencyUnavailableError('analytics database', { cause: err });
    }
    const body = JSON.stringify({
      username,
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      interval: q.interval,
      ...report,
    });
    if (c) {
      await c.set(username, hash, body, ttlS()).catch((err) => {
        telemetry.warn('analytics cache write failed', { error: String(err) });
      });
    }
    return answer(username, q, format, body, 'MISS');
  };
};
