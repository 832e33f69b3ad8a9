// The three analytics tiers against the real Postgres and PGlite: every coarse row is the sum of
// the fine rows it covers (randomized events), reports agree with a model of the events whatever
// the interval and filters, visitors and unique clicks survive redelivery uncounted, retention
// drops whole partitions without changing what the coarser tiers answer, a 10-second query past
// the raw retention is a 400, and migration 004 moves the 10-second data exactly.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgAnalyticsStore } from '../../lambdas/adapters/pg-analytics-store.ts';
import {
  type AnalyticsEvent,
  type AnalyticsQuery,
  type AnalyticsReport,
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
const D0 = Date.UTC(2026, 2, 7);
/** The stores' clock: three days after the events, inside every retention. */
const NOW = D0 + 4 * DAY;

let seq = 0;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
const visitorHex = (n: number) => n.toString(16).padStart(32, '0');

/** Random events over three days, in time order (so the first applied is the first seen). */
const randomEvents = (n: number): AnalyticsEvent[] =>
  Array.from({ length: n }, () => {
    const click = Math.random() < 0.35;
    const country = pick(['DE', 'US', 'fr', undefined]);
    return {
      id: `ev-${++seq}`,
      type: click ? 'link.clicked' : 'profile.viewed',
      occurredAt: new Date(D0 + Math.floor(Math.random() ** 2 * 3 * DAY)),
      profileId: pick(['p1', 'p1', 'p1', 'p2']),
      ...(click ? { linkId: pick(['l1', 'l2', 'l3']) } : {}),
      ...(Math.random() < 0.7 ? { referrer: pick(['https://t.co/x', 'https://www.instagram.com/', 'bad url']) } : {}),
      ...(country ? { country } : {}),
      ...(country && Math.random() < 0.8 ? { region: pick(['R1', 'R2']), city: pick(['C1', 'C2', 'C3']) } : {}),
      ...(Math.random() < 0.9 ? { device: pick(['mobile', 'desktop', 'tablet'] as const) } : {}),
      ...(Math.random() < 0.8 ? { browser: pick(['Chrome', 'Safari']), os: pick(['iOS', 'Android', 'Windows']) } : {}),
      ...(Math.random() < 0.9 ? { visitor: visitorHex(Math.floor(Math.random() * 25)) } : {}),
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

describe.each<Backend>(['postgres', 'pglite'])('analytics tiers on %s', (backend) => {
  let db: TestDb;
  let store: PgAnalyticsStore;
  const events = randomEvents(1_500);

  beforeAll(async () => {
    db = await openTestDb(backend, 'tiers');
    await db.migrate();
    store = new PgAnalyticsStore(db.pool(), { now: () => NOW });
    // In time order, 200 a batch, and one batch delivered twice.
    await inBatches(store, events, 200);
    expect(await store.apply(events.slice(200, 400))).toMatchObject({ applied: 0, duplicates: 200 });
  });
  afterAll(async () => {
    await db?.close();
  });

  const q = async <R>(sql: string) => (await db.pool().query<R & pg.QueryResultRow>(sql)).rows;

  it('rows land in their day and month partitions (declarative partitioning works here too)', async () => {
    const rows = await q<{ p: string }>(`SELECT DISTINCT tableoid::regclass::text AS p FROM analytics_facts_10s ORDER BY 1`);
    expect(rows.map((r) => r.p.replace(/^.*\./, ''))).toEqual([
      'analytics_facts_10s_p20260307',
      'analytics_facts_10s_p20260308',
      'analytics_facts_10s_p20260309',
    ]);
    const hours = await q<{ p: string }>(`SELECT DISTINCT tableoid::regclass::text AS p FROM analytics_facts_1h`);
    expect(hours.map((r) => r.p.replace(/^.*\./, ''))).toEqual(['analytics_facts_1h_p202603']);
  });

  it('every hourly and daily row is exactly the sum of the finer rows it covers', async () => {
    const facts = (table: string, width: string) => `
      SELECT profile_id, date_bin('${width}', bucket, TIMESTAMPTZ 'epoch') AS b, link_id, country, device,
             sum(views) AS v, sum(clicks) AS c, sum(visitors) AS vi, sum(uniques) AS u
        FROM ${table} GROUP BY 1, 2, 3, 4, 5`;
    const SIG = 'link_id, country, device, referrer, region, city, browser, os, utm_source, utm_medium, utm_campaign';
    const sigs = (table: string, width: string) => `
      SELECT profile_id, date_bin('${width}', bucket, TIMESTAMPTZ 'epoch') AS b, ${SIG}, sum(views) AS v, sum(clicks) AS c
        FROM ${table} GROUP BY 1, 2, ${SIG}`;
    // The dims rows are the covered signatures, unpivoted and summed over links, countries, devices.
    const covered = (tier: string) => `
      SELECT profile_id, bucket, x.dim, CASE WHEN x.dim IN (2, 3) THEN country ELSE '' END AS country, x.value,
             sum(views) AS v, sum(clicks) AS c
        FROM analytics_sig_${tier}
       CROSS JOIN LATERAL (VALUES (1, referrer), (2, region), (3, city), (4, browser), (5, os),
                                  (6, utm_source), (7, utm_medium), (8, utm_campaign)) AS x (dim, value)
       WHERE covered AND x.value <> '' GROUP BY 1, 2, 3, 4, 5`;
    const dims = (tier: string) => `SELECT profile_id, bucket, dim, country, value, views, clicks FROM analytics_dims_${tier}`;
    const differ = async (a: string, b: string) =>
      (await q<{ n: string }>(`SELECT count(*) AS n FROM ((${a}) EXCEPT (${b}) UNION ALL ((${b}) EXCEPT (${a}))) x`))[0].n;
    expect(await differ(facts('analytics_facts_10s', '1 hour'), facts('analytics_facts_1h', '1 hour'))).toBe('0');
    expect(await differ(facts('analytics_facts_1h', '1 day'), facts('analytics_facts_1d', '1 day'))).toBe('0');
    expect(await differ(sigs('analytics_sig_10s', '1 hour'), sigs('analytics_sig_1h', '1 hour'))).toBe('0');
    expect(await differ(sigs('analytics_sig_1h', '1 day'), sigs('analytics_sig_1d', '1 day'))).toBe('0');
    expect(await differ(covered('1h'), dims('1h'))).toBe('0');
    expect(await differ(covered('1d'), dims('1d'))).toBe('0');
    // Busy hours and days are covered, and a quiet one is not.
    const cov = await q<{ c: boolean; n: string }>(
      'SELECT covered AS c, count(*) AS n FROM analytics_sig_1h GROUP BY 1 ORDER BY 1',
    );
    expect(cov.map((r) => r.c)).toEqual([false, true]);
    const [n] = await q<{ n: string }>('SELECT sum(views + clicks) AS n FROM analytics_facts_1d');
    expect(Number(n.n)).toBe(events.length);
  });

  it('reports what the events say at every interval, with and without filters, visitors summing to the total', async () => {
    const cases: Array<[number, number, Interval, Filters]> = [
      [D0, D0 + 3 * DAY, '1d', {}],
      [D0, D0 + 3 * DAY, '1h', {}],
      [D0 + 3_600_000, D0 + 2 * DAY + 7_200_000, '1d', {}],
      [D0 + 10 * 3_600_000 + 30_000, D0 + DAY + 5 * 3_600_000 + 20_000, '1d', {}],
      [D0 + 6 * 3_600_000, D0 + 7 * 3_600_000, '10s', {}],
      [D0 + 6 * 3_600_000, D0 + 10 * 3_600_000 + 50_000, '1m', {}],
      [D0, D0 + 3 * DAY, '1d', { country: 'DE' }],
      [D0, D0 + 3 * DAY, '1h', { device: 'mobile' }],
      [D0, D0 + 3 * DAY, '1d', { linkId: 'l2' }],
      [D0, D0 + 3 * DAY, '1d', { linkId: 'l1', country: 'US', device: 'desktop' }],
      [D0 + 3_600_000, D0 + 2 * DAY, '1m', { country: '(unknown)' }],
    ];
    for (const [from, to, interval, f] of cases) {
      const qq = query(from, to, interval, f);
      const got = await store.report('p1', qq);
      const want = model(events, 'p1', qq);
      expect(comparable(got), `${interval} ${JSON.stringify(f)} ${new Date(from).toISOString()}`).toEqual(comparable(want));
      expect(got.series.reduce((n, p) => n + p.visitors, 0)).toBe(got.totals.visitors);
    }
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

  it('a redelivered batch adds no visitor and no unique click; a new event of a known visitor adds only its count', async () => {
    const before = await store.report('p2', query(D0, D0 + 3 * DAY, '1d'));
    const p2 = events.filter((e) => e.profileId === 'p2');
    expect(await store.apply(p2)).toMatchObject({ applied: 0 });
    const known = p2.find((e) => e.type === 'link.clicked' && e.visitor) as AnalyticsEvent;
    expect(await store.apply([{ ...known, id: `again-${known.id}` }])).toMatchObject({ applied: 1 });
    const after = await store.report('p2', query(D0, D0 + 3 * DAY, '1d'));
    expect(after.totals).toEqual({ ...before.totals, clicks: before.totals.clicks + 1 });
    const uniques = (r: AnalyticsReport) => sorted(r.links.map((l) => [l.linkId, l.uniqueClicks]));
    expect(uniques(after)).toEqual(uniques(before));
  });

  it('retention drops whole partitions past it; coarser answers stay exact, a 10-second query there is a 400', async () => {
    const before1d = await store.report('p1', query(D0, D0 + 3 * DAY, '1d'));
    const before1h = await store.report('p1', query(D0, D0 + 3 * DAY, '1h'));
    // Twenty days later, raw kept 14 days, visitor dedupe 7.
    const later = new PgAnalyticsStore(db.pool(), { now: () => NOW + 20 * DAY, rawRetentionDays: 14 });
    const m = await later.maintain();
    expect(m.dropped).toEqual(
      expect.arrayContaining([
        'analytics_facts_10s_p20260307',
        'analytics_sig_10s_p20260309',
        'analytics_visitors_p20260308',
        'analytics_link_visitors_p20260309',
      ]),
    );
    expect(m.dropped.some((p) => p.includes('_1h_'))).toBe(false);
    expect((await q<{ n: string }>('SELECT count(*) AS n FROM analytics_facts_10s'))[0].n).toBe('0');
    expect(await later.report('p1', query(D0, D0 + 3 * DAY, '1d'))).toEqual(before1d);
    expect(await later.report('p1', query(D0, D0 + 3 * DAY, '1h'))).toEqual(before1h);
    expect(later.finestInterval(new Date(D0))).toBe('1h');
    await expect(later.report('p1', query(D0, D0 + 3_600_000, '10s'))).rejects.toThrow(ValidationError);
    await expect(later.report('p1', query(D0, D0 + 3_600_000, '1m'))).rejects.toThrow(/finer than the data kept/);
    // Created ahead: today's and the next days' partitions.
    const ahead = await q<{ n: string }>(
      `SELECT count(*) AS n FROM pg_class WHERE relname = 'analytics_facts_10s_p${new Date(NOW + 25 * DAY).toISOString().slice(0, 10).replaceAll('-', '')}'`,
    );
    expect(ahead[0].n).toBe('1');
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
      expect((await migrate(other.pool(), all)).applied).toEqual(['004_analytics_tiers']);
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
});
