// The analytics report on the real Postgres (127.0.0.1:5432 db `test`, or TEST_DATABASE_URL): a
// 90-day report at interval 1d, `to` not on a day, an hour or a minute (as the route's defaults
// are), for a profile with 10 million events in range, through the real store code path (pieces:
// daily middle, hourly rows for the partial days, raw windows for the partial hour at the end,
// plus the raw rows of batches still pending). The tiers are seeded directly with what the rollup
// job would have written for those events: signature rows drawn from Zipf-skewed dimensions
// (links, countries, devices, referrers, regions and cities per country, browsers, OS, UTM),
// summed per signature, and the dims rows summed from the covered ones with the store's own
// unpivot, beside other profiles' rows. Baselines in the same run: a bare `SELECT 1` round trip,
// and a one-hour report at 1m read from the raw tier. Runs in its own schema, dropped at the end.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import { UNPIVOT, UNPIVOT_KEEP } from '../../lambdas/adapters/pg-analytics-schema.ts';
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
const FILTERED_RUNS = 10;
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Distinct-signature draws per day of the busy profile (each carrying several events). */
const SIGS_PER_DAY = 10_000;
const SIGS_PER_HOUR = 1_000;
/** Signatures per 10-second window in the raw tier (one event each). */
const RAW_PER_WINDOW = 12;
/** Batch ids of the pending batches: above every rolled-up one. */
const PENDING_BASE = 1_000_000_000_000;

const withSchema = (schema: string, max: number): pg.Pool =>
  new pg.Pool({ connectionString: URL, max, options: `-c search_path=${schema}` });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const iso = (ms: number) => `TIMESTAMPTZ '${new Date(ms).toISOString()}'`;

/** A Zipf (s = 1) draw over 0..n-1 as SQL, 0 the likeliest: the inverse of the CDF ln(i+1)/ln(n+1). */
const zipf = (n: number) => `least(${n - 1}, floor(power(${n + 1}, random()))::int - 1)`;

const SIG_COLS = 'link_id, country, device, referrer, region, city, browser, os, utm_source, utm_medium, utm_campaign';

/**
 * `draws` random signatures per bucket of `step` in [from, to), `mean` events each on average:
 * 80% views, 20% clicks on 20 links; 30 countries with 5 regions and 40 cities each; 4 devices;
 * 50 referrers, 15 browsers, 10 OS; UTM on 15%. OFFSET 0 keeps each random() evaluated once per row.
 */
const draws = (from: number, to: number, step: string, per: number, mean: number) => `(
  SELECT b AS bucket, CASE WHEN ul < 0.8 THEN '' ELSE 'lnk_' || (1 + ${zipf(20)}) END AS link_id,
         'C' || ${zipf(30)} AS country,
         (ARRAY['mobile', 'tablet', 'desktop', 'other'])[CASE WHEN ud < 0.6 THEN 1 WHEN ud < 0.7 THEN 2 WHEN ud < 0.98 THEN 3 ELSE 4 END] AS device,
         'ref' || ${zipf(50)} AS referrer, 'R' || ${zipf(5)} AS region, 'City ' || ${zipf(40)} AS city,
         'Browser ' || ${zipf(15)} AS browser, 'OS ' || ${zipf(10)} AS os,
         CASE WHEN uu < 0.15 THEN 'src' || ${zipf(20)} ELSE '' END AS utm_source,
         CASE WHEN uu < 0.15 THEN 'med' || ${zipf(5)} ELSE '' END AS utm_medium,
         CASE WHEN uu < 0.15 THEN 'camp' || ${zipf(30)} ELSE '' END AS utm_campaign,
         ${mean <= 1 ? '1' : `1 + floor(random() * ${Math.max(1, Math.round(2 * mean - 1))})::int`} AS n
    FROM (SELECT b, random() AS ul, random() AS ud, random() AS uu
            FROM generate_series(${iso(from)}, ${iso(to - 1)}, interval '${step}') b, generate_series(1, ${per}) i
          OFFSET 0) r
  OFFSET 0)`;

/** The counts of a group of draws: views on '' (the profile), clicks on a link, visitors ~1/3, link visitors ~1/2. */
const COUNTS = `sum(CASE WHEN link_id = '' THEN n ELSE 0 END), sum(CASE WHEN link_id <> '' THEN n ELSE 0 END),
       sum(n / 3), sum(CASE WHEN link_id <> '' THEN (n + 1) / 2 ELSE 0 END)`;

/** Signature rows of a tier ('h' or 'd') for `profile`, summed per signature as the rollup job would. */
export const seedSigs = (tier: 'h' | 'd', profile: string, covered: boolean, src: string) => `
INSERT INTO analytics_${tier}sig (profile_id, bucket, ${SIG_COLS}, covered, views, clicks, visitors, uniques)
SELECT '${profile}', bucket, ${SIG_COLS}, ${covered}, ${COUNTS}
  FROM ${src} d GROUP BY bucket, ${SIG_COLS}`;

/** The dims rows of a tier: its covered signatures, unpivoted and summed (exactly what the job writes). */
export const seedDims = (tier: 'h' | 'd') => `
INSERT INTO analytics_${tier}dims (profile_id, bucket, dim, country, value, views, clicks, visitors, uniques)
SELECT s.profile_id, s.bucket, x.dim, x.country, x.value, sum(s.views), sum(s.clicks), sum(s.visitors), sum(s.uniques)
  FROM analytics_${tier}sig s ${UNPIVOT('s')}
 WHERE s.covered AND ${UNPIVOT_KEEP}
 GROUP BY 1, 2, 3, 4, 5`;

/** Raw rows of `profile` in `batch` (an SQL expression of the window `bucket`). */
export const seedRaw = (profile: string, src: string, batch: string) => `
INSERT INTO analytics_raw (profile_id, bucket, ${SIG_COLS}, views, clicks, visitors, uniques, batch)
SELECT '${profile}', bucket, ${SIG_COLS}, ${COUNTS}, ${batch}
  FROM ${src} d GROUP BY bucket, ${SIG_COLS}`;

export interface Seeded {
  from: number;
  to: number;
  /** Start of the hour `to` is in: the raw piece. */
  lastHour: number;
}

/**
 * Seeds the busy profile `hot` and its neighbours for a report over [to - 90 days, to) as of
 * `now`. Exported for profiling the report's SQL against the same data.
 */
export const seed = async (pool: pg.Pool, now: number): Promise<Seeded> => {
  const to = now - 7 * 60_000 + 30_000;
  const from = to - DAYS * DAY;
  const store = new PgAnalyticsStore(pool, { now: () => now });
  await store.ensurePartitions(new Date(from - DAY), new Date(now + DAY));
  // Raw partitions past retention dropped, as the maintenance job keeps them.
  await store.maintain();
  const perDay = EVENTS / DAYS;
  const d0 = Math.floor(from / DAY) * DAY;
  const d1 = Math.ceil(to / DAY) * DAY;
  const lastDay = Math.floor(to / DAY) * DAY;
  const lastHour = Math.floor(to / HOUR) * HOUR;
  const nowHour = Math.floor(now / HOUR) * HOUR;
  const c = await pool.connect();
  try {
    await c.query('SELECT setseed(0.42)');
    // Daily signatures for every day touched (all covered: a busy profile's job runs each carry
    // well over COVER_MIN events), plus a few late events' uncovered ones.
    await c.query(seedSigs('d', 'hot', true, draws(d0, d1, '1 day', SIGS_PER_DAY, perDay / SIGS_PER_DAY)));
    await c.query(seedSigs('d', 'hot', false, draws(d0, d1, '1 day', 20, 1)));
    // Hourly rows for the first day and for the last day up to the current hour.
    for (const [lo, hi] of [
      [d0, d0 + DAY],
      [lastDay, nowHour],
    ]) {
      if (lo >= hi) continue;
      await c.query(seedSigs('h', 'hot', true, draws(lo, hi, '1 hour', SIGS_PER_HOUR, perDay / 24 / SIGS_PER_HOUR)));
      await c.query(seedSigs('h', 'hot', false, draws(lo, hi, '1 hour', 3, 1)));
    }
    // Other profiles: 10 medium ones (covered days), 2,000 quiet ones (a couple of uncovered
    // signatures a day, no dims rows).
    for (let p = 1; p <= 10; p++) await c.query(seedSigs('d', `m${p}`, true, draws(d0, d1, '1 day', 300, 5)));
    await c.query(`
      INSERT INTO analytics_dsig (profile_id, bucket, ${SIG_COLS}, covered, views, clicks, visitors, uniques)
      SELECT 'p' || p, b, '', 'C' || (p % 30), 'mobile', 'ref' || (p % 50), '', '', 'Browser 0', 'OS 0', '', '', '', false,
             1 + p % 7, 0, 1, 0
        FROM generate_series(1, 2000) p, generate_series(${iso(d0)}, ${iso(d1 - 1)}, interval '1 day') b`);
    await c.query(seedDims('d'));
    await c.query(seedDims('h'));
    // The monthly dims, as the job keeps them: the daily ones summed per UTC month.
    await c.query(`
      INSERT INTO analytics_mdims
      SELECT profile_id, date_trunc('month', bucket, 'UTC'), dim, country, value,
             sum(views), sum(clicks), sum(visitors), sum(uniques)
        FROM analytics_ddims GROUP BY 1, 2, 3, 4, 5`);
    // Raw windows of the last 3 days up to now, all rolled up (one batch a minute, none pending).
    await c.query(
      seedRaw(
        'hot',
        draws(lastDay - 2 * DAY, now, '10 seconds', RAW_PER_WINDOW, 1),
        `floor(extract(epoch FROM bucket) / 60)::int8`,
      ),
    );
    // Pending batches (the job has not run since): one in the hour before the raw piece, one
    // across its start, one at its end; each also holding other profiles' rows.
    const pending = [
      [lastHour - 20 * 60_000, lastHour - 10 * 60_000],
      [lastHour - 2 * 60_000, lastHour + 2 * 60_000],
      [to - 5 * 60_000, now],
    ];
    for (const [i, [lo, hi]] of pending.entries()) {
      const batch = PENDING_BASE + i;
      await c.query(seedRaw('hot', draws(lo, hi, '10 seconds', RAW_PER_WINDOW, 1), String(batch)));
      await c.query(`
        INSERT INTO analytics_raw (profile_id, bucket, ${SIG_COLS}, views, clicks, visitors, uniques, batch)
        SELECT 'p' || p, b, '', 'C0', 'mobile', '', '', '', 'Other', 'Other', '', '', '', 1, 0, 1, 0, ${batch}
          FROM generate_series(1, 200) p, generate_series(${iso(lo)}, ${iso(hi)}, interval '30 seconds') b`);
      await c.query('INSERT INTO analytics_pending (batch, lo, hi) VALUES ($1, $2, $3)', [
        batch,
        new Date(lo).toISOString(),
        new Date(hi).toISOString(),
      ]);
    }
    await c.query('ANALYZE');
  } finally {
    c.release();
  }
  return { from, to, lastHour };
};

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
    const store = new PgAnalyticsStore(pool, { now: () => now });
    const t0 = performance.now();
    const { from, to, lastHour } = await seed(pool, now);
    const seedMs = performance.now() - t0;
    const { rows: seeded } = await pool.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM analytics_ddims WHERE profile_id = 'hot') AS ddims,
              (SELECT count(*) FROM analytics_dsig WHERE profile_id = 'hot' AND covered) AS dsig,
              (SELECT count(*) FROM analytics_dsig WHERE profile_id = 'hot' AND NOT covered) AS dsig_unc,
              (SELECT count(*) FROM analytics_hdims WHERE profile_id = 'hot') AS hdims,
              (SELECT count(*) FROM analytics_hsig WHERE profile_id = 'hot') AS hsig,
              (SELECT count(*) FROM analytics_raw WHERE profile_id = 'hot') AS raw,
              (SELECT count(*) FROM analytics_raw r JOIN analytics_pending p USING (batch)) AS pending,
              (SELECT count(*) FROM analytics_ddims) AS ddims_all,
              (SELECT count(*) FROM analytics_dsig) AS dsig_all`,
    );
    const n = (k: string) => Number(seeded[0][k]).toLocaleString('en-US');

    const q: AnalyticsQuery = { from: new Date(from), to: new Date(to), interval: '1d' };
    const time = async (fn: () => Promise<unknown>, runs = RUNS) => {
      for (let i = 0; i < 3; i++) await fn();
      const xs: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await fn();
        xs.push(performance.now() - t);
      }
      return xs;
    };
    const report = await store.report('hot', q);
    const inC0 = await store.report('hot', { ...q, country: 'C0' });
    const inRange = report.totals.views + report.totals.clicks;
    const main = await time(() => store.report('hot', q));
    const ping = await time(() => pool.query('SELECT 1'));
    const rawQ: AnalyticsQuery = { from: new Date(lastHour), to: new Date(lastHour + HOUR), interval: '1m' };
    const raw = await time(() => store.report('hot', rawQ));
    const filtered = await time(() => store.report('hot', { ...q, country: 'C0' }), FILTERED_RUNS);
    const load1 = loadavg()[0];
    const row = (name: string, xs: number[]) => ({
      query: name,
      runs: xs.length,
      'p50 ms': Number(pct(xs, 50).toFixed(1)),
      'p99 ms': Number(pct(xs, 99).toFixed(1)),
    });
    const c0 = report.countries.find((x) => x.country === 'C0')?.clicks ?? -1;
    return {
      name: 'analytics-report',
      rows: [
        row(`90 days at 1d, ${inRange.toLocaleString('en-US')} events, unfiltered`, main),
        row('90 days at 1d, filtered by country (signatures)', filtered),
        row('1 hour at 1m from the raw tier', raw),
        row('SELECT 1 round trip', ping),
      ],
      notes: [
        `seeded in ${(seedMs / 1000).toFixed(1)} s: the profile has ${n('ddims')} daily dims rows, ${n('dsig')} covered and ${n('dsig_unc')} uncovered daily signatures, ${n('hdims')} hourly dims rows and ${n('hsig')} hourly signatures (first and last day), ${n('raw')} raw rows (last 3 days), ${n('pending')} raw rows in 3 pending batches; all profiles: ${n('ddims_all')} daily dims rows, ${n('dsig_all')} daily signatures`,
        'the range ends off the day, hour and minute, and starts where raw rows are no longer kept (widened to the hour): the report reads the daily middle, hourly rows for the partial days, raw windows for the partial hour, and the pending batches in the coarse pieces',
        'the unfiltered report reads dims rows and uncovered signatures; the filtered one, every signature of the range',
        `load average (1 min) ${load0.toFixed(2)} → ${load1.toFixed(2)}; Postgres runs on the same machine`,
      ],
      goals: [
        {
          goal: `90-day report at 1d over 10 M events: p50 ≤ 50 ms (got ${pct(main, 50).toFixed(1)} ms)`,
          met: pct(main, 50) <= 50,
        },
        { goal: `the range holds ≥ 9.5 M events (got ${inRange.toLocaleString('en-US')})`, met: inRange >= 9_500_000 },
        // Dims rows (unfiltered) and signatures (filtered) are different rows summing the same events.
        {
          goal: `country C0's clicks agree unfiltered and filtered (${c0.toLocaleString('en-US')} vs ${inC0.totals.clicks.toLocaleString('en-US')})`,
          met: c0 === inC0.totals.clicks,
        },
      ],
    };
  } finally {
    await pool.end().catch(() => {});
    await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {});
    await admin.end().catch(() => {});
  }
}
