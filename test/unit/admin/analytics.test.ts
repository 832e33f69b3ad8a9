import { describe, expect, it } from 'vitest';
import { type AnalyticsCache, analyticsRoute, csvField, csvFilename, seriesCsv } from '../../../lambdas/admin/analytics.ts';
import {
  type AnalyticsQuery,
  type AnalyticsReport,
  type AnalyticsStore,
  denseSeries,
  INTERVALS,
  type Interval,
} from '../../../lambdas/core/analytics.ts';
import type { Profile } from '../../../lambdas/core/profile.ts';
import { ProfileNotFoundError, ValidationError } from '../../../lambdas/shared/errors.ts';
import { errorResponse, type HttpResult } from '../../../lambdas/shared/http.ts';
import { apiEvent } from '../../helpers/events.ts';

const NOW = Date.parse('2026-03-02T10:17:31Z');
const profile = { id: 'prof-1', username: 'demo', links: [] } as unknown as Profile;
const empty: AnalyticsReport = {
  totals: { views: 0, clicks: 0, visitors: 0 },
  series: [],
  links: [],
  referrers: [],
  countries: [],
  regions: [],
  cities: [],
  devices: [],
  browsers: [],
  os: [],
  utm: { source: [], medium: [], campaign: [] },
};

const setup = (
  opts: { storeFails?: boolean; cacheFails?: boolean; ttlS?: number; finest?: Interval; storeRefuses?: boolean } = {},
) => {
  const queries: Array<{ profileId: string; q: AnalyticsQuery }> = [];
  const store: AnalyticsStore = {
    apply: async () => ({ applied: 0, duplicates: 0, rows: 0 }),
    report: async (profileId, q) => {
      if (opts.storeFails) throw new Error('ECONNREFUSED');
      if (opts.storeRefuses) throw new ValidationError('interval 10s is finer than the data kept');
      queries.push({ profileId, q });
      const step = INTERVALS[q.interval];
      return {
        ...empty,
        totals: { views: 7, clicks: 3, visitors: 2 },
        series: denseSeries(q, [{ t: Math.floor(q.from.getTime() / step) * step, views: 7, clicks: 3, visitors: 2 }]),
      };
    },
    ...(opts.finest ? { finestInterval: () => opts.finest as Interval } : {}),
  };
  const entries = new Map<string, string>();
  const cache: AnalyticsCache = {
    get: async (u, h) => {
      if (opts.cacheFails) throw new Error('redis down');
      return entries.get(`${u}/${h}`);
    },
    set: async (u, h, body) => {
      if (opts.cacheFails) throw new Error('redis down');
      entries.set(`${u}/${h}`, body);
    },
  };
  const route = analyticsRoute({
    service: {
      profile: async (u: string) => {
        if (u !== 'demo') throw new ProfileNotFoundError(u);
        return { profile, outcome: 'HIT' as const };
      },
    },
    store: () => store,
    cache: () => cache,
    ttlS: () => opts.ttlS ?? 900,
    now: () => NOW,
  });
  const call = async (username: string, query?: Record<string, string>): Promise<HttpResult> => {
    try {
      return await route(
        apiEvent({ route: '/api/profiles/{username}/analytics', pathParameters: { username }, ...(query ? { query } : {}) }),
      );
    } catch (err) {
      return errorResponse(err);
    }
  };
  return { call, queries, entries };
};

describe('analytics route', () => {
  it('answers the contract shape for the last 24 h by default, reading by profile id', async () => {
    const t = setup();
    const res = await t.call('Demo');
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-cache']).toBe('MISS');
    const body = JSON.parse(res.body as string);
    expect(body).toEqual({
      username: 'demo',
      from: '2026-03-01T10:18:00.000Z',
      to: '2026-03-02T10:18:00.000Z',
      interval: '1h',
      ...empty,
      totals: { views: 7, clicks: 3, visitors: 2 },
      series: expect.any(Array),
    });
    expect(body.series).toHaveLength(25);
    expect(t.queries[0].profileId).toBe('prof-1');
  });

  it('serves the same query from the cache, and a different one from the store', async () => {
    const t = setup();
    await t.call('demo', { interval: '1m', from: '2026-03-02T09:00:00Z', to: '2026-03-02T10:00:00Z' });
    const again = await t.call('demo', { interval: '1m', from: '2026-03-02T09:00:00Z', to: '2026-03-02T10:00:00Z' });
    expect(again.headers['x-cache']).toBe('HIT');
    expect(t.queries).toHaveLength(1);
    await t.call('demo', { interval: '1h', from: '2026-03-02T09:00:00Z', to: '2026-03-02T10:00:00Z' });
    expect(t.queries).toHaveLength(2);
  });

  it('ANALYTICS_TTL_S=0 disables the cache', async () => {
    const t = setup({ ttlS: 0 });
    await t.call('demo');
    await t.call('demo');
    expect(t.queries).toHaveLength(2);
    expect(t.entries.size).toBe(0);
  });

  it('still answers when Redis is down', async () => {
    const t = setup({ cacheFails: true });
    expect((await t.call('demo')).statusCode).toBe(200);
  });

  it.each([
    [{ interval: '5m' }],
    [{ from: 'last week' }],
    [{ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }],
    [{ from: '2025-01-01T00:00:00Z', to: '2025-06-01T00:00:00Z', interval: '1d' }],
  ])('400s for %o', async (query) => {
    const t = setup();
    const res = await t.call('demo', query);
    expect(res.statusCode).toBe(400);
    expect(t.queries).toEqual([]);
  });

  it('404s PROFILE_NOT_FOUND for an unknown profile and 400s for an invalid username', async () => {
    const t = setup();
    const res = await t.call('ghost');
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body as string).error.code).toBe('PROFILE_NOT_FOUND');
    expect((await t.call('bad name')).statusCode).toBe(400);
  });

  it('503s when the database is down', async () => {
    const t = setup({ storeFails: true });
    const res = await t.call('demo');
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body as string).error.code).toBe('SERVICE_UNAVAILABLE');
  });
});

describe('analytics route: filters, CSV, intervals kept', () => {
  it('passes linkId, country (upper-cased) and device to the store, and caches each filter apart', async () => {
    const t = setup();
    await t.call('demo', { linkId: 'lnk_shop', country: 'de', device: 'mobile' });
    expect(t.queries[0].q).toMatchObject({ linkId: 'lnk_shop', country: 'DE', device: 'mobile' });
    await t.call('demo', { linkId: 'lnk_shop', country: 'DE', device: 'mobile' });
    expect(t.queries).toHaveLength(1); // same query: from the cache
    await t.call('demo', { linkId: 'lnk_shop', country: 'DE', device: 'desktop' });
    await t.call('demo', { country: '(unknown)' });
    expect(t.queries).toHaveLength(3);
    expect(t.queries[2].q.country).toBe('(unknown)');
    expect(t.queries[2].q).not.toHaveProperty('linkId');
  });

  it.each([
    [{ country: 'DEU' }],
    [{ country: 'd1' }],
    [{ device: 'phone' }],
    [{ linkId: 'a\u0000b' }],
    [{ linkId: 'x'.repeat(129) }],
    [{ format: 'xml' }],
  ])('400s for %o, without asking the store', async (query) => {
    const t = setup();
    const res = await t.call('demo', query);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body as string).error.code).toBe('INVALID_REQUEST');
    expect(t.queries).toEqual([]);
  });

  it('format=csv: text/csv, the series under a t,views,clicks,visitors header, as a named attachment', async () => {
    const t = setup();
    const query = { from: '2026-03-02T08:00:00Z', to: '2026-03-02T10:00:00Z', interval: '1h', format: 'csv' };
    const res = await t.call('demo', query);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="analytics-demo-20260302T080000Z-20260302T100000Z.csv"',
    );
    expect(res.body).toBe('t,views,clicks,visitors\r\n2026-03-02T08:00:00.000Z,7,3,2\r\n2026-03-02T09:00:00.000Z,0,0,0\r\n');
    // The JSON answer of the same query is cached; the CSV one is rendered from it.
    const again = await t.call('demo', query);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.body).toBe(res.body);
    expect(t.queries).toHaveLength(1);
  });

  it('escapes CSV fields that need it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(12)).toBe('12');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(seriesCsv([])).toBe('t,views,clicks,visitors\r\n');
    expect(csvFilename('a.b_c', new Date('2026-03-02T00:00:00Z'), new Date('2026-03-03T00:00:00Z'))).toBe(
      'analytics-a.b_c-20260302T000000Z-20260303T000000Z.csv',
    );
  });

  it("400s an interval finer than the store keeps for 'from', before reading", async () => {
    const t = setup({ finest: '1h' });
    const range = { from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00Z' };
    const res = await t.call('demo', { interval: '10s', ...range });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body as string).error.message).toMatch(/finer than the data kept.*1h or coarser/);
    expect(t.queries).toEqual([]);
    expect((await t.call('demo', { interval: '1h', ...range })).statusCode).toBe(200);
  });

  it("the store's own 400 passes through (not a 503)", async () => {
    const t = setup({ storeRefuses: true });
    expect((await t.call('demo')).statusCode).toBe(400);
  });
});
