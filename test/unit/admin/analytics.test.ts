import { describe, expect, it } from 'vitest';
import { type AnalyticsCache, analyticsRoute } from '../../../lambdas/admin/analytics.ts';
import type { AnalyticsQuery, AnalyticsReport, AnalyticsStore } from '../../../lambdas/core/analytics.ts';
import type { Profile } from '../../../lambdas/core/profile.ts';
import { ProfileNotFoundError } from '../../../lambdas/shared/errors.ts';
import { errorResponse, type HttpResult } from '../../../lambdas/shared/http.ts';
import { apiEvent } from '../../helpers/events.ts';

const NOW = Date.parse('2026-03-02T10:17:31Z');
const profile = { id: 'prof-1', username: 'demo', links: [] } as unknown as Profile;
const empty: AnalyticsReport = { totals: { views: 0, clicks: 0 }, series: [], links: [], referrers: [], countries: [] };

const setup = (opts: { storeFails?: boolean; cacheFails?: boolean; ttlS?: number } = {}) => {
  const queries: Array<{ profileId: string; q: AnalyticsQuery }> = [];
  const store: AnalyticsStore = {
    apply: async () => ({ applied: 0, duplicates: 0, rows: 0 }),
    report: async (profileId, q) => {
      if (opts.storeFails) throw new Error('ECONNREFUSED');
      queries.push({ profileId, q });
      return { ...empty, totals: { views: 7, clicks: 3 } };
    },
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
      totals: { views: 7, clicks: 3 },
      series: [],
      links: [],
      referrers: [],
      countries: [],
    });
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
