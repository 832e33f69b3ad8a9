// The analytics tiers and their rollup job against the real Postgres and PGlite (randomized
// events): after the job every hourly and daily row is the sum of the raw rows it covers and every
// dims row the sum of its covered signatures; reports agree with a model of the events at every
// interval and filter before the job ran, after a partial run and after a full one; a job that
// fails midway changes nothing and the next one is exact; two at once take each batch once;
// redelivery counts nothing; retention drops whole partitions (never one a pending batch still
// needs) without changing what the coarser tiers answer, a 10-second query past the raw retention
// is a 400; migration 004 moves the legacy 10-second data and 005 moves 004's tiers exactly.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgAnalyticsStore } from '../../lambdas/adapters/pg-analytics-store.ts';
import {
  type AnalyticsEvent,
  type AnalyticsQuery,
  type AnalyticsReport,
  COVER_MIN,
  DIM,
  type Device,
  type Interval,
  INTERVALS,
  normalizeCountry,
  referrerHost,
} from '../../lambdas/core/analytics.ts';
import { loadMigrations, migrate } from '../../lambdas/migrate/runner.ts';
import { ValidationError } from '../../lambdas/shared/errors.ts';
import { type Backend, openTestDb, type TestDb } from '../helpers/pg.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const D0 = Date.UTC(2026, 2, 7);
/** The stores' clock: three days after the events, inside every retention. */
const NOW = D0 + 4 * DAY;

let seq = 0;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
/** As the edge makes them: a keyed hash under the day's salt, over the browser and the profile. */
const visitorHex = (at: Date, profileId: string, n: number) =>
  createHash('md5')
    .update(`${at.toISOString().slice(0, 10)}|${profileId}|${n}`)
    .digest('hex');

/** Random events over three days, in time order (so the first applied is the first seen). */
const randomEvents = (n: number): AnalyticsEvent[] =>
  Array.from({ length: n }, () => {
    const click = Math.random() < 0.35;
    const country = pick(['DE', 'US', 'fr', undefined]);
    const occurredAt = new Date(D0 + Math.floor(Math.random() ** 2 * 3 * DAY));
    const profileId = pick(['p1', 'p1', 'p1', 'p2']);
    return {
      id: `ev-${++seq}`,
      type: click ? 'link.clicked' : 'profile.viewed',
      occurredAt,
      profileId,
      ...(click ? { linkId: pick(['l1', 'l2', 'l3']) } : {}),
      ...(Math.random() < 0.7 ? { referrer: pick(['https://t.co/x', 'https://www.instagram.com/', 'bad url']) } : {}),
      ...(country ? { country } : {}),
      ...(country && Math.random() < 0.8 ? { region: pick(['R1', 'R2']), city: pick(['C1', 'C2', 'C3']) } : {}),
      ...(Math.random() < 0.9 ? { device: pick(['mobile', 'desktop', 'tablet'] as const) } : {}),
      ...(Math.random() < 0.8 ? { browser: pick(['Chrome', 'Safari']), os: pick(['iOS', 'Android', 'Windows']) } : {}),
      ...(Math.random() < 0.9 ? { visitor: visitorHex(occurredAt, profileId, Math.floor(Math.random() * 25)) } : {}),
      ...(Math.random() < 0.2 ? { utm: { source: pick(['ig', 'tt']), medium: 'social', campaign: pick(['a', 'b']) } } : {}),
    } satisfies AnalyticsEvent;
  }).sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());

const inBatches = async (store: PgAnalyticsStore, events: AnalyticsEvent[], size: number) => {
  for (let i = 0; i < events.length; i += size) await store.apply(events.slice(i, i + size));
};

type Filters = Pick<AnalyticsQuery, 'linkId' | 'country' | 'device'>;

/** What a report must say, computed from the events themselves (all applied, in time order). */
const model = (all: AnalyticsEvent[], profileId: string, q: AnalyticsQuery) => {
  const step = INTERVALS[q.interval];
  const from = q.from.getTime();
  const to = q.to.getTime();
  const device = (e: AnalyticsEvent): Device => e.device ?? 'other';
  const matches = (e: AnalyticsEvent) =>
    (q.linkId === undefined || (e.type === 'link.clicked' && e.linkId === q.linkId)) &&
    (q.country === undefined || normalizeCountry(e.country) === q.country) &&
    (q.device === undefined || device(e) === q.device);
  const mine = all.filter((e) => e.profileId === profileId);
  // First event of each visitor per day, and first click per (day, link, visitor): over all events.
  const firstVisit = new Set<AnalyticsEvent>();
  const firstClick = new Set<AnalyticsEvent>();
  const seenV = new Set<string>();
  const seenC = new Set<string>();
  for (const e of mine) {
    if (!e.visitor) continue;
    const day = Math.floor(e.occurredAt.getTime() / DAY);
    if (!seenV.has(`${day}|${e.visitor}`)) {
      seenV.add(`${day}|${e.visitor}`);
      firstVisit.add(e);
    }
    if (e.type === 'link.clicked' && !seenC.has(`${day}|${e.linkId}|${e.visitor}`)) {
      seenC.add(`${day}|${e.linkId}|${e.visitor}`);
      firstClick.add(e);
    }
  }
  const inRange = mine.filter((e) => e.occurredAt.getTime() >= from && e.occurredAt.getTime() < to && matches(e));
  const series = new Map<number, { views: number; clicks: number; visitors: number }>();
  for (let t = Math.floor(from / step) * step; t < to; t += step) series.set(t, { views: 0, clicks: 0, visitors: 0 });
  const bump = <K>(m: Map<K, number[]>, k: K, i: number) => {
    const v = m.get(k) ?? [0, 0, 0];
    v[i]++;
    m.set(k, v);
  };
  const links = new Map<string, number[]>();
  const countries = new Map<string, number[]>();
  const devices = new Map<string, number[]>();
  const browsers = new Map<string, number[]>();
  const referrers = new Map<string, number[]>();
  for (const e of inRange) {
    const p = series.get(Math.floor(e.occurredAt.getTime() / step) * step);
    if (!p) throw new Error('bucket outside the series');
    const i = e.type === 'link.clicked' ? 1 : 0;
    if (i) p.clicks++;
    else p.views++;
    if (q.linkId !== undefined ? firstClick.has(e) : firstVisit.has(e)) p.visitors++;
    if (i) {
      bump(links, e.linkId as string, 1);
      if (firstClick.has(e)) bump(links, e.linkId as string, 2);
      bump(countries, normalizeCountry(e.country), 1);
      bump(referrers, referrerHost(e.referrer), 1);
    }
    bump(devices, device(e), i);
    bump(browsers, e.browser ?? 'Other', i);
  }
  const points = [...series.entries()].map(([t, p]) => ({ t: new Date(t).toISOString(), ...p }));
  return {
    totals: {
      views: points.reduce((n, p) => n + p.views, 0),
      clicks: points.reduce((n, p) => n + p.clicks, 0),
      visitors: points.reduce((n, p) => n + p.visitors, 0),
    },
    series: points,
    links: [...links].map(([linkId, v]) => ({ linkId, clicks: v[1], uniqueClicks: v[2] })),
    countries: [...countries].map(([country, v]) => ({ country, clicks: v[1] })),
    devices: [...devices].map(([d, v]) => ({ device: d, views: v[0], clicks: v[1] })),
    browsers: [...browsers].map(([b, v]) => ({ browser: b, views: v[0], clicks: v[1] })),
    referrers: [...referrers].map(([referrer, v]) => ({ referrer, clicks: v[1] })),
  };
};

const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
/** The report's parts the model computes, in an order-independent form. */
const comparable = (
  r: Pick<AnalyticsReport, 'totals' | 'series' | 'links' | 'countries' | 'devices' | 'browsers' | 'referrers'>,
) => ({
  totals: r.totals,
  series: r.series,
  links: sorted(r.links),
  countries: sorted(r.countries),
  devices: sorted(r.devices),
  browsers: sorted(r.browsers),
  referrers: sorted(r.referrers),
});
/** Everything but the series, which differs by interval. */
const breakdowns = (r: AnalyticsReport) => {
  const { series: _series, ...rest } = r;
  return {
    ...rest,
    links: sorted(r.links),
    countries: sorted(r.countries),
    referrers: sorted(r.referrers),
    regions: sorted(r.regions),
    cities: sorted(r.cities),
    devices: sorted(r.devices),
    browsers: sorted(r.browsers),
    os: sorted(r.os),
    utm: { source: sorted(r.utm.source), medium: sorted(r.utm.medium), campaign: sorted(r.utm.campaign) },
  };
};

const query = (from: number, to: number, interval: Interval, f: Filters = {}): AnalyticsQuery => ({
  from: new Date(from),
  to: new Date(to),
  interval,
  ...f,
});

const SIG = 'link_id, country, device, referrer, region, city, browser, os, utm_source, utm_medium, utm_campaign';
const SUMS = 'sum(views) AS v, sum(clicks) AS c, sum(visitors) AS vi, sum(uniques) AS u';

/** Queries over one test schema, and the checks every state of the tiers must pass. */
const tiersOf = (pool: () => pg.Pool) => {
  const q = async <R>(sql: string, params: unknown[] = []) => (await pool().query<R & pg.QueryResultRow>(sql, params)).rows;
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await q<{ n: string }>(`SELECT count(*) AS n FROM (${sql}) x`, params))[0].n);
  /** How many rows are in one query's answer and not the other's, either way. */
  const differ = (a: string, b: string, params: unknown[] = []) =>
    count(`((${a}) EXCEPT ALL (${b})) UNION ALL ((${b}) EXCEPT ALL (${a}))`, params);
  /** The signature rows of `from` summed per hour or day (over `covered` too). */
  const perBucket = (from: string, width: string) => `
    SELECT profile_id, date_bin('${width}', bucket, TIMESTAMPTZ 'epoch') AS b, ${SIG}, ${SUMS}
      FROM ${from} GROUP BY 1, 2, ${SIG}`;
  // Written out here rather than taken from the adapter, so a wrong column in its unpivot shows.
  const unpivoted = (sig: string) => `
    SELECT profile_id, bucket, x.dim, x.country, x.value, ${SUMS}
      FROM ${sig} s CROSS JOIN LATERAL (VALUES
        (${DIM.total}, '', ''), (${DIM.referrer}, '', referrer), (${DIM.region}, s.country, region),
        (${DIM.city}, s.country, city), (${DIM.browser}, '', browser), (${DIM.os}, '', os),
        (${DIM.utmSource}, '', utm_source), (${DIM.utmMedium}, '', utm_medium), (${DIM.utmCampaign}, '', utm_campaign),
        (${DIM.link}, '', link_id), (${DIM.country}, '', s.country), (${DIM.device}, '', device)) AS x (dim, country, value)
     WHERE covered AND (x.dim = ${DIM.total} OR x.value <> '')
     GROUP BY 1, 2, 3, 4, 5`;
  const dims = (table: string) =>
    `SELECT profile_id, bucket, dim, country, value, views, clicks, visitors, uniques FROM ${table}`;
  const rolled = `(SELECT * FROM analytics_raw WHERE batch NOT IN (SELECT batch FROM analytics_pending)) r`;
  return {
    q,
    count,
    differ,
    pending: async () =>
      (await q<{ b: string }>('SELECT batch::text AS b FROM analytics_pending ORDER BY batch')).map((r) => r.b),
    /**
     * The job's invariants: the hourly and daily signatures hold exactly the raw rows of the
     * batches no longer pending (hours summed per day are the days), and the dims rows are the
     * covered signatures unpivoted and summed.
     */
    async expectRolledExact() {
      expect(await differ(perBucket(rolled, '1 hour'), perBucket('analytics_hsig', '1 hour'))).toBe(0);
      expect(await differ(perBucket(rolled, '1 day'), perBucket('analytics_dsig', '1 day'))).toBe(0);
      expect(await differ(perBucket('analytics_hsig', '1 day'), perBucket('analytics_dsig', '1 day'))).toBe(0);
      expect(await differ(unpivoted('analytics_hsig'), dims('analytics_hdims'))).toBe(0);
      expect(await differ(unpivoted('analytics_dsig'), dims('analytics_ddims'))).toBe(0);
      // The monthly dims are the daily ones summed per UTC month.
      const perMonth = `SELECT profile_id, date_trunc('month', bucket, 'UTC') AS bucket, dim, country, value, ${SUMS}
        FROM analytics_ddims GROUP BY 1, 2, 3, 4, 5`;
      expect(await differ(perMonth, dims('analytics_mdims'))).toBe(0);
    },
    /** Every row of the pending list and the coarse tiers, to tell whether anything changed. */
    async fingerprint() {
      const out: Record<string, string> = {};
      for (const t of [
        'analytics_pending',
        'analytics_hsig',
        'analytics_dsig',
        'analytics_hdims',
        'analytics_ddims',
        'analytics_mdims',
      ]) {
        const [r] = await q<{ n: string; h: string | null }>(
          `SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t::text COLLATE "C")) AS h FROM ${t} t`,
        );
        out[t] = `${r.n}:${r.h}`;
      }
      return out;
    },
  };
};

/** Ranges, intervals and filters the reports are checked on (p1 the busy profile, p2 the quiet one). */
const CASES: Array<[string, number, number, Interval, Filters]> = [
  ['p1', D0, D0 + 3 * DAY, '1d', {}],
  ['p1', D0, D0 + 3 * DAY, '1h', {}],
  ['p1', D0 + HOUR, D0 + 2 * DAY + 2 * HOUR, '1d', {}],
  ['p1', D0 + 10 * HOUR + 30_000, D0 + DAY + 5 * HOUR + 20_000, '1d', {}],
  ['p1', D0 + DAY + 9 * HOUR + 40_000, D0 + 2 * DAY + 3 * HOUR + 10_000, '1h', {}],
  ['p1', D0 + 6 * HOUR, D0 + 7 * HOUR, '10s', {}],
  ['p1', D0 + 6 * HOUR, D0 + 10 * HOUR + 50_000, '1m', {}],
  ['p1', D0, D0 + 3 * DAY, '1d', { country: 'DE' }],
  ['p1', D0, D0 + 3 * DAY, '1h', { device: 'mobile' }],
  ['p1', D0, D0 + 3 * DAY, '1d', { linkId: 'l2' }],
  ['p1', D0, D0 + 3 * DAY, '1d', { linkId: 'l1', country: 'US', device: 'desktop' }],
  ['p1', D0 + HOUR, D0 + 2 * DAY, '1m', { country: '(unknown)' }],
  ['p2', D0, D0 + 3 * DAY, '1h', {}],
  ['p2', D0 + 30 * HOUR + 10_000, D0 + 3 * DAY, '1d', { device: 'tablet' }],
];

/** Every case's report against the model of `all` (the events applied, in the order applied). */
const expectReportsMatch = async (store: PgAnalyticsStore, all: AnalyticsEvent[], label: string) => {
  for (const [profile, from, to, interval, f] of CASES) {
    const qq = query(from, to, interval, f);
    const got = await store.report(profile, qq);
    const want = model(all, profile, qq);
    const what = `${label}: ${profile} ${interval} ${JSON.stringify(f)} ${new Date(from).toISOString()}`;
    expect(comparable(got), what).toEqual(comparable(want));
    expect(
      got.series.reduce((n, p) => n + p.visitors, 0),
      what,
    ).toBe(got.totals.visitors);
  }
};

describe.each<Backend>(['postgres', 'pglite'])('analytics tiers on %s', (backend) => {
  let db: TestDb;
  let store: PgAnalyticsStore;
  let t: ReturnType<typeof tiersOf>;
  const events = randomEvents(1_500);
  /** Everything applied so far, in the order applied (the model's input). */
  const applied = [...events];
  /** The batches each rollup run took, in order (the expected `covered` flags depend on them). */
  const runs: string[][] = [];

  beforeAll(async () => {
    db = await openTestDb(backend, 'tiers');
    await db.migrate();
    t = tiersOf(() => db.pool());
    store = new PgAnalyticsStore(db.pool(), { now: () => NOW });
    // In time order, 200 a batch, and one batch delivered twice.
    await inBatches(store, events, 200);
    expect(await store.apply(events.slice(200, 400))).toMatchObject({ applied: 0, duplicates: 200 });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('apply appends raw rows to their day partitions and one pending row per batch; the coarse tiers wait for the job', async () => {
    const rows = await t.q<{ p: string }>(`SELECT DISTINCT tableoid::regclass::text AS p FROM analytics_raw ORDER BY 1`);
    expect(rows.map((r) => r.p.replace(/^.*\./, ''))).toEqual([
      'analytics_raw_p20260307',
      'analytics_raw_p20260308',
      'analytics_raw_p20260309',
    ]);
    // 1,500 events in 8 batches; the redelivered one appended nothing.
    expect(await t.pending()).toHaveLength(8);
    const [n] = await t.q<{ n: string }>('SELECT sum(views + clicks) AS n FROM analytics_raw');
    expect(Number(n.n)).toBe(events.length);
    // Each pending row spans exactly its batch's raw rows.
    expect(
      await t.count(`SELECT 1 FROM analytics_pending p
        WHERE p.lo IS DISTINCT FROM (SELECT min(bucket) FROM analytics_raw r WHERE r.batch = p.batch)
           OR p.hi IS DISTINCT FROM (SELECT max(bucket) FROM analytics_raw r WHERE r.batch = p.batch)`),
    ).toBe(0);
    for (const table of ['analytics_hsig', 'analytics_dsig', 'analytics_hdims', 'analytics_ddims'])
      expect(await t.count(`SELECT 1 FROM ${table}`), table).toBe(0);
  });

  it('reports agree with the events before the job ran (every batch pending)', async () => {
    await expectReportsMatch(store, applied, 'all pending');
  });

  it('a partial rollup takes the oldest batches before upTo, and the reports do not change', async () => {
    const upTo = D0 + 1.5 * DAY;
    const before = await t.pending();
    const due = (
      await t.q<{ b: string }>('SELECT batch::text AS b FROM analytics_pending WHERE hi < $1 ORDER BY batch', [
        new Date(upTo).toISOString(),
      ])
    ).map((r) => r.b);
    expect(due.length).toBeGreaterThanOrEqual(2);
    expect(due.length).toBeLessThan(before.length);
    // At most one batch, the oldest; then the rest of those before upTo.
    expect(await store.rollup({ upTo, maxBatches: 1 })).toMatchObject({ batches: 1 });
    runs.push(due.slice(0, 1));
    expect(await t.pending()).toEqual(before.filter((b) => b !== due[0]));
    expect((await store.rollup({ upTo, maxBatches: 1_000 })).batches).toBe(due.length - 1);
    runs.push(due.slice(1));
    expect(await t.pending()).toEqual(before.filter((b) => !due.includes(b)));
    expect(await store.rollup({ upTo, maxBatches: 1_000 })).toEqual({ batches: 0, rows: 0, more: false });
    await t.expectRolledExact();
    await expectReportsMatch(store, applied, 'partly rolled up');
  });

  it('the full rollup leaves nothing pending; every coarse row is the sum of the raw rows it covers', async () => {
    const rest = await t.pending();
    expect(await store.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).toMatchObject({ batches: rest.length });
    runs.push(rest);
    expect(await t.pending()).toEqual([]);
    expect(await store.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).toEqual({
      batches: 0,
      rows: 0,
      more: false,
    });
    await t.expectRolledExact();
    // `covered` exactly where a run added at least COVER_MIN events to the (profile, hour/day).
    const batches = runs.flat();
    const runOf = runs.flatMap((r, i) => r.map(() => i));
    const expected = (width: string) => `
      WITH g AS (
        SELECT run, profile_id, date_bin('${width}', bucket, TIMESTAMPTZ 'epoch') AS b, ${SIG}, ${SUMS}
          FROM analytics_raw JOIN unnest($1::int8[], $2::int4[]) AS u (batch, run) USING (batch)
         GROUP BY 1, 2, 3, ${SIG}
      ), c AS (SELECT g.*, sum(v + c) OVER (PARTITION BY run, profile_id, b) >= ${COVER_MIN} AS covered FROM g)
      SELECT profile_id, b, ${SIG}, covered, sum(v), sum(c), sum(vi), sum(u) FROM c GROUP BY 1, 2, ${SIG}, covered`;
    const stored = (table: string) =>
      `SELECT profile_id, bucket, ${SIG}, covered, views, clicks, visitors, uniques FROM ${table}`;
    expect(await t.differ(expected('1 hour'), stored('analytics_hsig'), [batches, runOf])).toBe(0);
    expect(await t.differ(expected('1 day'), stored('analytics_dsig'), [batches, runOf])).toBe(0);
    // Busy hours are covered, quiet ones (fewer events than COVER_MIN in all) are not.
    const cov = await t.q<{ c: boolean }>('SELECT DISTINCT covered AS c FROM analytics_hsig ORDER BY 1');
    expect(cov.map((r) => r.c)).toEqual([false, true]);
    const quiet = `SELECT profile_id, bucket FROM analytics_hsig GROUP BY 1, 2 HAVING sum(views + clicks) < ${COVER_MIN}`;
    expect(await t.count(quiet)).toBeGreaterThan(0);
    expect(await t.count(`SELECT 1 FROM analytics_hsig WHERE covered AND (profile_id, bucket) IN (${quiet})`)).toBe(0);
    expect(await t.count('SELECT 1 FROM analytics_ddims WHERE dim = 0')).toBeGreaterThan(0);
    const [n] = await t.q<{ n: string }>('SELECT sum(views + clicks) AS n FROM analytics_dsig');
    expect(Number(n.n)).toBe(events.length);
    // The hourly rows went to their month's partitions.
    for (const table of ['analytics_hsig', 'analytics_hdims']) {
      const parts = await t.q<{ p: string }>(`SELECT DISTINCT tableoid::regclass::text AS p FROM ${table}`);
      expect(parts.map((r) => r.p.replace(/^.*\./, ''))).toEqual([`${table}_p202603`]);
    }
  });

  it('reports agree with the events after the full rollup', async () => {
    await expectReportsMatch(store, applied, 'all rolled up');
  });

  it('coarse and fine answers agree exactly: the same breakdowns, and each coarse point sums its fine points', async () => {
    const from = D0;
    const to = D0 + 3 * DAY;
    for (const f of [{}, { country: 'DE' }, { linkId: 'l3' }, { device: 'tablet' as const }]) {
      const daily = await store.report('p1', query(from, to, '1d', f));
      const hourly = await store.report('p1', query(from, to, '1h', f));
      const minutes = await store.report('p1', query(from, to, '1m', f));
      expect(breakdowns(hourly)).toEqual(breakdowns(daily));
      expect(breakdowns(minutes)).toEqual(breakdowns(daily));
      for (const p of daily.series) {
        const t = Date.parse(p.t);
        const inDay = hourly.series.filter((h) => Date.parse(h.t) >= t && Date.parse(h.t) < t + DAY);
        expect(inDay).toHaveLength(24);
        expect({
          views: inDay.reduce((n, h) => n + h.views, 0),
          clicks: inDay.reduce((n, h) => n + h.clicks, 0),
          visitors: inDay.reduce((n, h) => n + h.visitors, 0),
        }).toEqual({ views: p.views, clicks: p.clicks, visitors: p.visitors });
      }
    }
  });

  it('filters narrow every number: the breakdowns under a filter hold only what matches it', async () => {
    const all = await store.report('p1', query(D0, D0 + 3 * DAY, '1d'));
    const de = await store.report('p1', query(D0, D0 + 3 * DAY, '1d', { country: 'DE' }));
    expect(de.countries.map((c) => c.country)).toEqual(['DE']);
    expect(de.regions.every((r) => r.country === 'DE')).toBe(true);
    expect(de.totals.clicks).toBe(all.countries.find((c) => c.country === 'DE')?.clicks);
    const l2 = await store.report('p1', query(D0, D0 + 3 * DAY, '1d', { linkId: 'l2' }));
    expect(l2.links.map((l) => l.linkId)).toEqual(['l2']);
    expect(l2.totals.views).toBe(0);
    // Under a linkId filter the visitors are the link's unique clickers.
    expect(l2.totals.visitors).toBe(all.links.find((l) => l.linkId === 'l2')?.uniqueClicks);
    const refClicks = l2.referrers.reduce((n, r) => n + r.clicks, 0);
    const osClicks = l2.os.reduce((n, r) => n + r.clicks, 0);
    expect([refClicks, osClicks]).toEqual([l2.totals.clicks, l2.totals.clicks]);
    const utm = await store.report('p1', query(D0, D0 + 3 * DAY, '1h', { device: 'mobile' }));
    const mobileUtm = events.filter(
      (e) => e.profileId === 'p1' && e.device === 'mobile' && e.utm?.source === 'ig' && e.type === 'profile.viewed',
    ).length;
    expect(utm.utm.source.find((u) => u.value === 'ig')?.views ?? 0).toBe(mobileUtm);
  });

  it('a redelivered batch adds no visitor and no unique click, before and after the job; a new event of a known visitor adds only its count', async () => {
    const before = await store.report('p2', query(D0, D0 + 3 * DAY, '1d'));
    const p2 = events.filter((e) => e.profileId === 'p2');
    expect(await store.apply(p2)).toMatchObject({ applied: 0 });
    // Nothing appended, nothing for the job.
    expect(await t.pending()).toEqual([]);
    expect(await store.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).toEqual({
      batches: 0,
      rows: 0,
      more: false,
    });
    const known = p2.find((e) => e.type === 'link.clicked' && e.visitor) as AnalyticsEvent;
    const again = { ...known, id: `again-${known.id}` };
    expect(await store.apply([again])).toMatchObject({ applied: 1 });
    applied.push(again);
    const after = await store.report('p2', query(D0, D0 + 3 * DAY, '1d'));
    expect(after.totals).toEqual({ ...before.totals, clicks: before.totals.clicks + 1 });
    const uniques = (r: AnalyticsReport) => sorted(r.links.map((l) => [l.linkId, l.uniqueClicks]));
    expect(uniques(after)).toEqual(uniques(before));
    expect(await store.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).toMatchObject({ batches: 1 });
    expect(await store.report('p2', query(D0, D0 + 3 * DAY, '1d'))).toEqual(after);
    // The same events once more after the job: still nothing.
    expect(await store.apply([...p2, again])).toMatchObject({ applied: 0 });
    expect(await t.pending()).toEqual([]);
    expect(await store.report('p2', query(D0, D0 + 3 * DAY, '1d'))).toEqual(after);
    await t.expectRolledExact();
  });

  it('retention drops whole partitions past it, keeps one a pending batch needs; coarser answers stay exact, finer ones are a 400', async () => {
    // Twenty days later, raw kept 14 days. A batch still pending (its last
    // event is in the current hour, which the job leaves for later) has an event in the old
    // 2026-03-08: that day's raw partition must stay until the job has taken it.
    const laterNow = NOW + 20 * DAY;
    const later = new PgAnalyticsStore(db.pool(), { now: () => laterNow, rawRetentionDays: 14 });
    const old: AnalyticsEvent = {
      id: `late-${++seq}`,
      type: 'profile.viewed',
      occurredAt: new Date(D0 + DAY + 13 * HOUR + 7_000),
      profileId: 'p1',
      country: 'DE',
      device: 'desktop',
    };
    const current: AnalyticsEvent = { ...old, id: `now-${++seq}`, occurredAt: new Date(laterNow + 5_000), profileId: 'p3' };
    expect(await later.apply([old, current])).toMatchObject({ applied: 2 });
    applied.push(old, current);
    const held = await t.pending();
    expect(held).toHaveLength(1);
    const m = await later.maintain();
    expect(await t.pending()).toEqual(held);
    expect(m.dropped).toEqual(expect.arrayContaining(['analytics_raw_p20260307']));
    expect(m.dropped).not.toContain('analytics_raw_p20260308');
    expect(m.dropped.some((p) => p.startsWith('analytics_h'))).toBe(false);
    const left = await t.q<{ p: string }>(`SELECT DISTINCT tableoid::regclass::text AS p FROM analytics_raw WHERE bucket < $1`, [
      new Date(D0 + 3 * DAY).toISOString(),
    ]);
    const kept = left.map((r) => r.p.replace(/^.*\./, ''));
    expect(kept).toContain('analytics_raw_p20260308');
    expect(kept).not.toContain('analytics_raw_p20260307');
    for (const interval of ['1d', '1h'] as const) {
      const qq = query(D0, D0 + 3 * DAY, interval);
      expect(comparable(await later.report('p1', qq)), interval).toEqual(comparable(model(applied, 'p1', qq)));
    }
    expect(later.finestInterval(new Date(D0))).toBe('1h');
    await expect(later.report('p1', query(D0, D0 + HOUR, '10s'))).rejects.toThrow(ValidationError);
    await expect(later.report('p1', query(D0, D0 + HOUR, '1m'))).rejects.toThrow(/finer than the data kept/);
    // Created ahead: the next days' partitions.
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
    expect(await t.count(`SELECT 1 FROM pg_class WHERE relname = 'analytics_raw_p${day(laterNow + 5 * DAY)}'`)).toBe(1);

    // Forty days on, hourly rows kept 30 days: the job takes the held batch, its raw partition
    // goes, and so does March's hourly tier; the daily tier still answers exactly.
    const muchLater = new PgAnalyticsStore(db.pool(), {
      now: () => laterNow + 40 * DAY,
      rawRetentionDays: 14,
      hourlyRetentionDays: 30,
    });
    const m2 = await muchLater.maintain();
    expect(await t.pending()).toEqual([]);
    expect(m2.dropped).toEqual(
      expect.arrayContaining(['analytics_raw_p20260308', 'analytics_hsig_p202603', 'analytics_hdims_p202603']),
    );
    expect(await t.count('SELECT 1 FROM analytics_raw WHERE bucket < $1', [new Date(D0 + 3 * DAY).toISOString()])).toBe(0);
    expect(await t.count('SELECT 1 FROM analytics_hsig WHERE bucket < $1', [new Date(D0 + 3 * DAY).toISOString()])).toBe(0);
    const qq = query(D0, D0 + 3 * DAY, '1d');
    expect(comparable(await muchLater.report('p1', qq))).toEqual(comparable(model(applied, 'p1', qq)));
    expect(muchLater.finestInterval(new Date(D0))).toBe('1d');
    await expect(muchLater.report('p1', query(D0, D0 + DAY, '1h'))).rejects.toThrow(ValidationError);
  });

  it('migration 004 moves the 10-second data exactly: totals, links, countries and referrers unchanged', async () => {
    const other = await openTestDb(backend, 'mig4');
    try {
      const all = await loadMigrations();
      await migrate(other.pool(), all.slice(0, 3));
      const w1 = new Date(D0 + 3_600_000).toISOString();
      const w2 = new Date(D0 + DAY + 10_000).toISOString();
      await other.pool().query(
        `INSERT INTO link_clicks VALUES ('p1', '${w1}', 'a', 3), ('p1', '${w1}', 'b', 2), ('p1', '${w2}', 'a', 4);
         INSERT INTO country_clicks VALUES ('p1', '${w1}', 'DE', 4), ('p1', '${w1}', 'US', 1), ('p1', '${w2}', 'FR', 3), ('p1', '${w2}', '(unknown)', 1);
         INSERT INTO referrer_clicks VALUES ('p1', '${w1}', 't.co', 5), ('p1', '${w2}', '(direct)', 4);
         INSERT INTO profile_views VALUES ('p1', '${w1}', 7), ('p1', '${w2}', 1);`,
      );
      expect((await migrate(other.pool(), all)).applied).toEqual(['004_analytics_tiers', '005_analytics_rollup']);
      const s = new PgAnalyticsStore(other.pool(), { now: () => NOW });
      for (const interval of ['1m', '1h', '1d'] as const) {
        const r = await s.report('p1', query(D0, D0 + 2 * DAY, interval));
        expect(r.totals).toEqual({ views: 8, clicks: 9, visitors: 0 });
        expect(r.links).toEqual([
          { linkId: 'a', clicks: 7, uniqueClicks: 0 },
          { linkId: 'b', clicks: 2, uniqueClicks: 0 },
        ]);
        expect(sorted(r.countries)).toEqual(
          sorted([
            { country: 'DE', clicks: 4 },
            { country: 'FR', clicks: 3 },
            { country: 'US', clicks: 1 },
            { country: '(unknown)', clicks: 1 },
          ]),
        );
        expect(sorted(r.referrers)).toEqual(
          sorted([
            { referrer: 't.co', clicks: 5 },
            { referrer: '(direct)', clicks: 4 },
          ]),
        );
        expect(r.browsers).toEqual([{ browser: 'Other', views: 8, clicks: 9 }]);
      }
      // Per link and country together, a split that keeps both totals.
      const a = await s.report('p1', query(D0, D0 + 2 * DAY, '1d', { linkId: 'a' }));
      expect(a.totals.clicks).toBe(7);
      expect(a.countries.reduce((n, c) => n + c.clicks, 0)).toBe(7);
      const tables = await other.pool().query(`SELECT to_regclass('link_clicks') AS t`);
      expect(tables.rows[0].t).toBeNull();
    } finally {
      await other.close();
    }
  });

  it("migration 005 moves 004's tiers exactly: every report of the old rows unchanged, and the job adds onto them", async () => {
    const other = await openTestDb(backend, 'mig5');
    try {
      const all = await loadMigrations();
      await migrate(other.pool(), all.slice(0, 4));
      const at = (ms: number) => `'${new Date(ms).toISOString()}'::timestamptz`;
      const w1 = at(D0 + HOUR + 20_000);
      // A busy window (covered in its hour and day) and a small batch after it in the same hour.
      const w2 = at(D0 + DAY + 2 * HOUR);
      const w2b = at(D0 + DAY + 2 * HOUR + 10_000);
      const CHROME_WIN = `'Chrome', 'Windows', '', '', ''`;
      // What 004's apply wrote for these events, tier by tier: signatures per window, facts with
      // the visitors, hours and days summed from them, dims from the covered signatures.
      await other.pool().query(`
        INSERT INTO analytics_sig_10s (profile_id, bucket, ${SIG}, covered, views, clicks) VALUES
          ('p1', ${w1}, 'a', 'DE', 'mobile', 't.co', 'R1', 'C1', 'Chrome', 'iOS', '', '', '', false, 0, 3),
          ('p1', ${w1}, 'b', 'DE', 'mobile', '(direct)', 'R1', 'C1', 'Safari', 'iOS', 'ig', 'social', 'x', false, 0, 2),
          ('p1', ${w1}, '', 'DE', 'mobile', 't.co', 'R1', 'C1', 'Chrome', 'iOS', '', '', '', false, 4, 0),
          ('p1', ${w2}, 'a', 'US', 'desktop', '(direct)', '', '', ${CHROME_WIN}, true, 0, 5),
          ('p1', ${w2}, 'b', 'US', 'desktop', 't.co', '', '', ${CHROME_WIN}, true, 0, 2),
          ('p1', ${w2}, '', 'US', 'desktop', '(direct)', '', '', ${CHROME_WIN}, true, 3, 0),
          ('p1', ${w2b}, 'a', 'US', 'desktop', '(direct)', '', '', ${CHROME_WIN}, false, 0, 1),
          ('p2', ${w1}, 'a', 'DE', 'mobile', 't.co', '', '', 'Chrome', 'iOS', '', '', '', false, 0, 1);
        INSERT INTO analytics_facts_10s (profile_id, bucket, link_id, country, device, views, clicks)
        SELECT profile_id, bucket, link_id, country, device, sum(views), sum(clicks) FROM analytics_sig_10s GROUP BY 1, 2, 3, 4, 5;
        UPDATE analytics_facts_10s f SET visitors = v.vi, uniques = v.u
          FROM (VALUES ('p1', ${w1}, 'a', 1, 2), ('p1', ${w1}, 'b', 0, 1), ('p1', ${w1}, '', 2, 0),
                       ('p1', ${w2}, 'a', 1, 1), ('p1', ${w2}, 'b', 0, 1), ('p1', ${w2}, '', 1, 0),
                       ('p2', ${w1}, 'a', 1, 1)) AS v (p, b, l, vi, u)
         WHERE f.profile_id = v.p AND f.bucket = v.b AND f.link_id = v.l;
        INSERT INTO analytics_facts_1h
        SELECT profile_id, date_bin('1 hour', bucket, TIMESTAMPTZ 'epoch'), link_id, country, device,
               sum(views), sum(clicks), sum(visitors), sum(uniques) FROM analytics_facts_10s GROUP BY 1, 2, 3, 4, 5;
        INSERT INTO analytics_facts_1d
        SELECT profile_id, date_bin('1 day', bucket, TIMESTAMPTZ 'epoch'), link_id, country, device,
               sum(views), sum(clicks), sum(visitors), sum(uniques) FROM analytics_facts_10s GROUP BY 1, 2, 3, 4, 5;
        INSERT INTO analytics_sig_1h
        SELECT profile_id, date_bin('1 hour', bucket, TIMESTAMPTZ 'epoch'), ${SIG}, covered, sum(views), sum(clicks)
          FROM analytics_sig_10s GROUP BY 1, 2, ${SIG}, covered;
        INSERT INTO analytics_sig_1d
        SELECT profile_id, date_bin('1 day', bucket, TIMESTAMPTZ 'epoch'), ${SIG}, covered, sum(views), sum(clicks)
          FROM analytics_sig_10s GROUP BY 1, 2, ${SIG}, covered;
        ${['1h', '1d']
          .map(
            (tier) => `INSERT INTO analytics_dims_${tier}
        SELECT profile_id, bucket, x.dim, CASE WHEN x.dim IN (2, 3) THEN country ELSE '' END, x.value, sum(views), sum(clicks)
          FROM analytics_sig_${tier}
         CROSS JOIN LATERAL (VALUES (1, referrer), (2, region), (3, city), (4, browser), (5, os),
                                    (6, utm_source), (7, utm_medium), (8, utm_campaign)) AS x (dim, value)
         WHERE covered AND x.value <> '' GROUP BY 1, 2, 3, 4, 5;`,
          )
          .join('\n')}`);
      expect((await migrate(other.pool(), all)).applied).toEqual(['005_analytics_rollup']);
      const gone = await other
        .pool()
        .query(`SELECT to_regclass('analytics_facts_1d') AS a, to_regclass('analytics_sig_10s') AS b`);
      expect(gone.rows[0]).toEqual({ a: null, b: null });

      const s = new PgAnalyticsStore(other.pool(), { now: () => NOW });
      const from = D0;
      const to = D0 + 2 * DAY;
      const expectOld = async (extraA: number) => {
        for (const interval of ['1m', '1h', '1d'] as const) {
          const r = await s.report('p1', query(from, to, interval));
          const what = `${interval} +${extraA}`;
          expect(r.totals, what).toEqual({ views: 7, clicks: 13 + extraA, visitors: 5 });
          expect(r.links, what).toEqual([
            { linkId: 'a', clicks: 9 + extraA, uniqueClicks: 3 },
            { linkId: 'b', clicks: 4, uniqueClicks: 2 },
          ]);
          expect(r.countries, what).toEqual([
            { country: 'US', clicks: 8 + extraA },
            { country: 'DE', clicks: 5 },
          ]);
          expect(r.devices, what).toEqual([
            { device: 'desktop', views: 3, clicks: 8 + extraA },
            { device: 'mobile', views: 4, clicks: 5 },
          ]);
          expect(r.referrers, what).toEqual([
            { referrer: '(direct)', clicks: 8 + extraA },
            { referrer: 't.co', clicks: 5 },
          ]);
          expect(sorted(r.browsers), what).toEqual(
            sorted([
              { browser: 'Chrome', views: 7, clicks: 11 + extraA },
              { browser: 'Safari', views: 0, clicks: 2 },
            ]),
          );
          expect(r.regions, what).toEqual([{ country: 'DE', region: 'R1', clicks: 5 }]);
          expect(r.utm.source, what).toEqual([{ value: 'ig', views: 0, clicks: 2 }]);
          const nonzero = r.series.filter((p) => p.views + p.clicks + p.visitors > 0);
          const hour = (ms: number) => new Date(Math.floor(ms / INTERVALS[interval]) * INTERVALS[interval]).toISOString();
          expect(nonzero, what).toEqual([
            { t: hour(D0 + HOUR + 20_000), views: 4, clicks: 5, visitors: 3 },
            ...(interval === '1m'
              ? [
                  { t: hour(D0 + DAY + 2 * HOUR), views: 3, clicks: 8 + (extraA ? 1 : 0), visitors: 2 },
                  ...(extraA > 1 ? [{ t: hour(D0 + DAY + 2 * HOUR + 60_000), views: 0, clicks: extraA - 1, visitors: 0 }] : []),
                ]
              : [{ t: hour(D0 + DAY + 2 * HOUR), views: 3, clicks: 8 + extraA, visitors: 2 }]),
          ]);
        }
        const a = await s.report('p1', query(from, to, '1d', { linkId: 'a' }));
        expect(a.totals).toEqual({ views: 0, clicks: 9 + extraA, visitors: 3 });
        expect(a.countries).toEqual([
          { country: 'US', clicks: 6 + extraA },
          { country: 'DE', clicks: 3 },
        ]);
        const us = await s.report('p1', query(from, to, '1h', { country: 'US' }));
        expect(us.totals).toEqual({ views: 3, clicks: 8 + extraA, visitors: 2 });
        expect(us.links).toEqual([
          { linkId: 'a', clicks: 6 + extraA, uniqueClicks: 1 },
          { linkId: 'b', clicks: 2, uniqueClicks: 1 },
        ]);
        const mobile = await s.report('p1', query(from, to, '1d', { device: 'mobile' }));
        expect(mobile.totals).toEqual({ views: 4, clicks: 5, visitors: 3 });
        expect((await s.report('p2', query(from, to, '1h'))).totals).toEqual({ views: 0, clicks: 1, visitors: 1 });
      };
      await expectOld(0);
      // New clicks on the migrated signature of the small batch (and one a minute later): pending,
      // then rolled up onto the migrated rows.
      const click = (ms: number): AnalyticsEvent => ({
        id: `m5-${++seq}`,
        type: 'link.clicked',
        occurredAt: new Date(ms),
        profileId: 'p1',
        linkId: 'a',
        country: 'US',
        device: 'desktop',
        browser: 'Chrome',
        os: 'Windows',
      });
      await s.apply([click(D0 + DAY + 2 * HOUR + 15_000), click(D0 + DAY + 2 * HOUR + 65_000)]);
      await expectOld(2);
      expect(await s.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).toMatchObject({ batches: 1 });
      await expectOld(2);
      const merged = await other.pool().query<{ n: string; c: string }>(
        `SELECT count(*) AS n, sum(clicks) AS c FROM analytics_hsig
          WHERE profile_id = 'p1' AND link_id = 'a' AND country = 'US' AND NOT covered AND views = 0 AND clicks > 0`,
      );
      expect(merged.rows[0]).toEqual({ n: '1', c: '3' });
    } finally {
      await other.close();
    }
  });
});

describe.each<Backend>(['postgres', 'pglite'])('the rollup job on %s', (backend) => {
  let db: TestDb;
  let store: PgAnalyticsStore;
  let t: ReturnType<typeof tiersOf>;
  const applied: AnalyticsEvent[] = [];
  const applyAll = async (events: AnalyticsEvent[]) => {
    await inBatches(store, events, 100);
    applied.push(...events);
  };
  /** A few reports, to tell whether any answer changed. */
  const answers = async () =>
    Promise.all(
      CASES.filter((_, i) => i % 3 === 0).map(([profile, from, to, interval, f]) =>
        store.report(profile, query(from, to, interval, f)),
      ),
    );

  beforeAll(async () => {
    db = await openTestDb(backend, 'rollup');
    await db.migrate();
    t = tiersOf(() => db.pool());
    store = new PgAnalyticsStore(db.pool(), { now: () => NOW });
    await applyAll(randomEvents(400));
    expect(await store.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).toMatchObject({ batches: 4 });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a rollup that fails midway changes nothing; once fixed, the next takes the same batches, exactly once', async () => {
    await applyAll(randomEvents(400));
    const pending = await t.pending();
    expect(pending).toHaveLength(4);
    const state = await t.fingerprint();
    const reports = await answers();
    const breaks = [
      // The last upsert's table is missing: the hourly upserts before it ran, and must roll back.
      {
        make: 'ALTER TABLE analytics_ddims RENAME TO analytics_ddims_gone',
        undo: 'ALTER TABLE analytics_ddims_gone RENAME TO analytics_ddims',
        error: /analytics_ddims/,
      },
      // A daily signature row the database refuses (one that exists already, updated, and new ones).
      {
        make: `ALTER TABLE analytics_dsig ADD CONSTRAINT no_l2 CHECK (link_id <> 'l2') NOT VALID`,
        undo: 'ALTER TABLE analytics_dsig DROP CONSTRAINT no_l2',
        error: /no_l2/,
      },
    ];
    for (const b of breaks) {
      await db.pool().query(b.make);
      try {
        await expect(store.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).rejects.toThrow(b.error);
      } finally {
        await db.pool().query(b.undo);
      }
      expect(await t.fingerprint(), b.make).toEqual(state);
      expect(await answers(), b.make).toEqual(reports);
    }
    expect(await store.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).toMatchObject({ batches: pending.length });
    expect(await t.pending()).toEqual([]);
    await t.expectRolledExact();
    expect(await answers()).toEqual(reports);
    await expectReportsMatch(store, applied, 'after a failed and a good rollup');
  });

  it('two rollups at once: one takes the batches, the other returns none; the totals are exact', async () => {
    await applyAll(randomEvents(300));
    const pending = await t.pending();
    expect(pending).toHaveLength(3);
    const reports = await answers();
    if (backend === 'postgres') {
      // A job in progress elsewhere (it holds the lock): this one returns at once, taking nothing.
      const holder = await db.pool(1).connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':analytics-rollup'))`);
        const other = new PgAnalyticsStore(db.pool(1), { now: () => NOW });
        expect(await other.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).toEqual({
          batches: 0,
          rows: 0,
          more: false,
        });
        expect(await t.pending()).toEqual(pending);
      } finally {
        await holder.query('COMMIT');
        holder.release();
      }
    }
    const a = new PgAnalyticsStore(db.pool(2), { now: () => NOW });
    const b = new PgAnalyticsStore(db.pool(2), { now: () => NOW });
    const both = await Promise.all([
      a.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 }),
      b.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 }),
    ]);
    expect(both.map((r) => r.batches).sort()).toEqual([0, pending.length]);
    expect(await t.pending()).toEqual([]);
    await t.expectRolledExact();
    expect(await answers()).toEqual(reports);
    await expectReportsMatch(store, applied, 'after two rollups at once');
  });

  it('a redelivery after the rollup counts nothing and leaves nothing for the job', async () => {
    const state = await t.fingerprint();
    const reports = await answers();
    expect(await store.apply(applied.slice(0, 150))).toMatchObject({ applied: 0, duplicates: 150 });
    expect(await store.apply(applied.slice(-150))).toMatchObject({ applied: 0, duplicates: 150 });
    expect(await t.pending()).toEqual([]);
    expect(await store.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).toEqual({
      batches: 0,
      rows: 0,
      more: false,
    });
    expect(await t.fingerprint()).toEqual(state);
    expect(await answers()).toEqual(reports);
  });
});
