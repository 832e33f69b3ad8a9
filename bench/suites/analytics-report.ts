// The analytics report on the real Postgres (127.0.0.1:5432 db `test`, or TEST_DATABASE_URL): a
// 90-day report at interval 1d, from and to not on day boundaries (as the route's defaults are),
// for a profile with 10 million events in range, through the real store code path (pieces:
// daily middle, hourly and raw ends). The tiers are seeded directly with rows equivalent to those
// events (Zipf-skewed links, countries, devices, referrers, cities, ...), beside other profiles'
// rows. Baselines in the same run: a bare `SELECT 1` round trip, and a one-hour report at 1m
// read from the raw tier. Runs in its own schema, dropped at the end.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import { PgAnalyticsStore } from '../../lambdas/adapters/pg-analytics-store.ts';
import type { AnalyticsQuery } from '../../lambdas/core/analytics.ts';
import { loadMigrations, migrate } from '../../lambdas/migrate/runner.ts';
import { bench } from '../lib/config.ts';
import type { SuiteResult } from '../lib/types.ts';

export const description = 'A 90-day analytics report at 1d for a profile with 10 million events: p50/p99 of the real query.';

const URL = bench.TEST_DATABASE_URL;
const EVENTS = 10_000_000;
const DAYS = 90;
const RUNS = 40;
const DAY = 86_400_000;

const withSchema = (schema: string, max: number): pg.Pool =>
  new pg.Pool({ connectionString: URL, max, options: `-c search_path=${schema}` });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

// Zipf weights as SQL: 1/(i+1) normalised over n values.
const zipfSql = (n: number, alias: string) =>
  `(SELECT i AS ${alias}, (1.0 / (i + 1)) / (SELECT sum(1.0 / (k + 1)) FROM generate_series(0, ${n - 1}) k) AS ${alias}w
      FROM generate_series(0, ${n - 1}) i)`;

/** Facts rows of one tier for `profile` over the buckets [from, to) of `step`, `perBucket` events each. */
export const seedFacts = (tier: string, profile: string, from: number, to: number, stepSql: string, perBucket: number) => `
INSERT INTO analytics_facts_${tier} (profile_id, bucket, link_id, country, device, views, clicks, visitors, uniques)
SELECT '${profile}', b, CASE WHEN l = 0 THEN '' ELSE 'lnk_' || l END, 'C' || c, (ARRAY['mobile', 'tablet', 'desktop', 'other'])[dv + 1],
       CASE WHEN l = 0 THEN n ELSE 0 END, CASE WHEN l > 0 THEN n ELSE 0 END, n / 3, CASE WHEN l > 0 THEN n / 2 ELSE 0 END
  FROM (SELECT b, l, c, dv, floor(${perBucket} * lw * cw * dw)::int8 AS n
          FROM generate_series(TIMESTAMPTZ '${new Date(from).toISOString()}', TIMESTAMPTZ '${new Date(to - 1).toISOString()}', interval '${stepSql}') b,
               (SELECT l, CASE WHEN l = 0 THEN 0.8 ELSE 0.2 * lw END AS lw FROM (SELECT l + 1 AS l, lw FROM ${zipfSql(20, 'l')} z UNION ALL SELECT 0, 1) y) links,
               ${zipfSql(30, 'c')} countries,
               (VALUES (0, 0.6), (1, 0.1), (2, 0.28), (3, 0.02)) AS d (dv, dw)) x
 WHERE n > 0`;

const VALUES_SQL = `(SELECT 1::int2 AS dim, 'ref' || r AS value, 0 AS c, rw AS w FROM ${zipfSql(50, 'r')} z
        UNION ALL SELECT 4, 'Browser ' || r, 0, rw FROM ${zipfSql(15, 'r')} z
        UNION ALL SELECT 5, 'OS ' || r, 0, rw FROM ${zipfSql(10, 'r')} z
        UNION ALL SELECT 2, 'R' || r, c, rw * cw FROM ${zipfSql(5, 'r')} z, ${zipfSql(30, 'c')} zc
        UNION ALL SELECT 3, 'City ' || r, c, rw * cw FROM ${zipfSql(40, 'r')} z, ${zipfSql(30, 'c')} zc
        UNION ALL SELECT 6, 'src' || r, 0, 0.15 * rw FROM ${zipfSql(20, 'r')} z
        UNION ALL SELECT 7, 'med' || r, 0, 0.15 * rw FROM ${zipfSql(5, 'r')} z
        UNION ALL SELECT 8, 'camp' || r, 0, 0.15 * rw FROM ${zipfSql(30, 'r')} z) v`;

/** Breakdown rows of a busy profile (hourly/daily: summed per value; the signatures that fed them are covered). */
export const seedDims = (tier: string, profile: string, from: number, to: number, stepSql: string, perBucket: number) => `
INSERT INTO analytics_dims_${tier} (profile_id, bucket, dim, country, value, views, clicks)
SELECT '${profile}', b, dim, CASE WHEN dim IN (2, 3) THEN 'C' || c ELSE '' END, value,
       floor(${perBucket} * w * 0.8)::int8, floor(${perBucket} * w * 0.2)::int8
  FROM generate_series(TIMESTAMPTZ '${new Date(from).toISOString()}', TIMESTAMPTZ '${new Date(to - 1).toISOString()}', interval '${stepSql}') b,
       ${VALUES_SQL}
 WHERE floor(${perBucket} * w) > 0`;

/** Raw signature rows: a few per window (the raw tier has no dims rows). */
export const seedSigs = (profile: string, from: number, to: number) => `
INSERT INTO analytics_sig_10s (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
                               utm_source, utm_medium, utm_campaign, covered, views, clicks)
SELECT '${profile}', b, CASE WHEN k = 0 THEN '' ELSE 'lnk_' || k END, 'C' || k, 'mobile', 'ref' || k, 'R' || k, 'City ' || k,
       'Browser ' || k, 'OS ' || k, '', '', '', false, CASE WHEN k = 0 THEN 1 ELSE 0 END, CASE WHEN k = 0 THEN 0 ELSE 1 END
  FROM generate_series(TIMESTAMPTZ '${new Date(from).toISOString()}', TIMESTAMPTZ '${new Date(to - 1).toISOString()}', interval '10 seconds') b,
       generate_series(0, 3) k`;

export default async function run(): Promise<SuiteResult> {
  const schema = `bench_report_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pool = withSchema(schema, 4);
  const load0 = loadavg()[0];
  try {
    await migrate(pool, await loadMigrations());
    // The route's default `to` is now rounded up to the minute: not on a day, not on an hour.
    const now = Math.ceil(Date.now() / 60_000) * 60_000;
    const to = now - 7 * 60_000 + 30_000;
    const from = to - DAYS * DAY;
    const store = new PgAnalyticsStore(pool, { now: () => now });
    await store.ensurePartitions(new Date(from - DAY), new Date(now + DAY));

    const t0 = performance.now();
    const perDay = EVENTS / DAYS;
    const d0 = Math.floor(from / DAY) * DAY;
    const d1 = Math.ceil(to / DAY) * DAY;
    await pool.query(seedFacts('1d', 'hot', d0, d1, '1 day', perDay));
    await pool.query(seedDims('1d', 'hot', d0, d1, '1 day', perDay));
    // Hourly rows for the first and last day, raw windows for the first and last hour.
    for (const [lo, hi] of [
      [d0, d0 + DAY],
      [d1 - DAY, d1],
    ]) {
      await pool.query(seedFacts('1h', 'hot', lo, hi, '1 hour', perDay / 24));
      await pool.query(seedDims('1h', 'hot', lo, hi, '1 hour', perDay / 24));
    }
    const h0 = Math.floor(from / 3_600_000) * 3_600_000;
    const h1 = Math.floor(to / 3_600_000) * 3_600_000;
    for (const lo of [h0, h1]) {
      await pool.query(seedFacts('10s', 'hot', lo, lo + 3_600_000, '10 seconds', perDay / 8_640));
      await pool.query(seedSigs('hot', lo, lo + 3_600_000));
    }
    // Other profiles share the tables: 2,000 of them, a few rows a day each.
    await pool.query(`
      INSERT INTO analytics_facts_1d (profile_id, bucket, link_id, country, device, views, clicks)
      SELECT 'p' || p, b, '', 'C' || (p % 30), 'mobile', 1 + p % 7, 0
        FROM generate_series(1, 2000) p,
             generate_series(TIMESTAMPTZ '${new Date(d0).toISOString()}', TIMESTAMPTZ '${new Date(d1 - 1).toISOString()}', interval '1 day') b`);
    await pool.query('ANALYZE');
    const seedMs = performance.now() - t0;
    const { rows: seeded } = await pool.query<{ f: string; d: string; ev: string }>(
      `SELECT (SELECT count(*) FROM analytics_facts_1d WHERE profile_id = 'hot') AS f,
              (SELECT count(*) FROM analytics_dims_1d WHERE profile_id = 'hot') AS d,
              (SELECT sum(views + clicks) FROM analytics_facts_1d WHERE profile_id = 'hot') AS ev`,
    );

    const q: AnalyticsQuery = { from: new Date(from), to: new Date(to), interval: '1d' };
    const time = async (fn: () => Promise<unknown>) => {
      for (let i = 0; i < 3; i++) await fn();
      const xs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        await fn();
        xs.push(performance.now() - t);
      }
      return xs;
    };
    const report = await store.report('hot', q);
    const inRange = report.totals.views + report.totals.clicks;
    const main = await time(() => store.report('hot', q));
    const ping = await time(() => pool.query('SELECT 1'));
    const rawQ: AnalyticsQuery = { from: new Date(h1), to: new Date(h1 + 3_600_000), interval: '1m' };
    const raw = await time(() => store.report('hot', rawQ));
    const filtered = await time(() => store.report('hot', { ...q, country: 'C0' }));
    const load1 = loadavg()[0];
    const row = (name: string, xs: number[]) => ({
      query: name,
      runs: xs.length,
      'p50 ms': Number(pct(xs, 50).toFixed(1)),
      'p99 ms': Number(pct(xs, 99).toFixed(1)),
    });
    return {
      name: 'analytics-report',
      rows: [
        row(`90 days at 1d, ${inRange.toLocaleString('en-US')} events, unfiltered`, main),
        row('90 days at 1d, filtered by country (facts + signatures)', filtered),
        row('1 hour at 1m from the raw tier', raw),
        row('SELECT 1 round trip', ping),
      ],
      notes: [
        `seeded in ${(seedMs / 1000).toFixed(1)} s: the profile has ${Number(seeded[0].f).toLocaleString('en-US')} daily facts rows and ${Number(seeded[0].d).toLocaleString('en-US')} daily dims rows (${Number(seeded[0].ev).toLocaleString('en-US')} events) in ${DAYS + 1} days, beside 2,000 other profiles`,
        'the range starts and ends off the day and hour: the report reads the daily middle, hourly rows for the partial days and raw windows for the partial hours, in two statements',
        'the filtered run reads signature rows, of which the seed holds none for the daily tier: it times the facts scan only',
        `load average (1 min) ${load0.toFixed(2)} → ${load1.toFixed(2)}; Postgres runs on the same machine`,
      ],
      goals: [
        {
          goal: `90-day report at 1d over 10 M events: p50 ≤ 50 ms (got ${pct(main, 50).toFixed(1)} ms)`,
          met: pct(main, 50) <= 50,
        },
        // Rounding each seeded row down loses a little of the 10 M.
        { goal: `the range holds ≥ 9.5 M events (got ${inRange.toLocaleString('en-US')})`, met: inRange >= 9_500_000 },
      ],
    };
  } finally {
    await pool.end().catch(() => {});
    await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {});
    await admin.end().catch(() => {});
  }
}
