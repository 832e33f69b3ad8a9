// Reading an analytics report from the three tiers (migrations 004-005).
//
// The range is cut into pieces, each read from the coarsest tier whose buckets it covers whole:
// for interval 1d, the whole UTC days from the daily tables, the whole hours at either end from
// the hourly ones, and the 10-second remainder at either end from the raw rows. An hourly or
// daily piece also reads the raw rows of the batches the rollup job has not taken yet, in the
// same statement (one snapshot): a batch is either still pending or in the coarse tiers, never
// both, never neither, so the answer is the same whatever tiers it came from and whenever the job
// last ran. A range starting where only coarser data is kept is first widened down to that tier's
// bucket (the interval check guarantees the interval is no finer).
//
// One statement (one snapshot): the signature rows (raw, hourly, daily, pending) read once; the
// totals summed per series bucket from them and the dims totals rows (dim 0); every other dim
// summed over the range from the signatures (grouping sets, one pass) and the dims rows, ranked
// and cut to the report's top values in SQL. Unfiltered hourly and daily pieces read the dims
// rows and only the signatures they do not cover, so a busy profile's 90-day report reads dims
// rows, not one per signature. Run with JIT off (see `select`).
import type pg from 'pg';
import {
  type AnalyticsQuery,
  type AnalyticsReport,
  assertIntervalKept,
  DIM,
  type DimCode,
  denseSeries,
  type INTERVALS,
  type Retention,
  TIER_MS,
  type Tier,
  type ValueCount,
} from '../core/analytics.ts';
import { MONTH_DIMS, TIER_TABLES } from './pg-analytics-schema.ts';

const TOP = { links: 100, referrers: 50, countries: 250, regions: 100, cities: 100, families: 50, utm: 50 } as const;

/**
 * How many values of each dim the statement returns, best first: the report's cut. Every value a
 * list skips (no clicks, or no views and clicks) ranks after those it keeps, so the first N are
 * enough. Devices are few and all listed.
 */
const DIM_TOP: Record<Exclude<DimCode, typeof DIM.total>, number> = {
  [DIM.referrer]: TOP.referrers,
  [DIM.region]: TOP.regions,
  [DIM.city]: TOP.cities,
  [DIM.browser]: TOP.families,
  [DIM.os]: TOP.families,
  [DIM.utmSource]: TOP.utm,
  [DIM.utmMedium]: TOP.utm,
  [DIM.utmCampaign]: TOP.utm,
  [DIM.link]: TOP.links,
  [DIM.country]: TOP.countries,
  [DIM.device]: 1_000,
};

/**
 * The breakdowns of the signature rows `s`, one hash pass for every dim (cheaper than unpivoting
 * each row into twelve): (dim, country, value) with views, clicks and uniques summed, '' values
 * included (the caller drops them, as the dims rows never hold them). The same rows as the dims
 * rows of UNPIVOT hold, but dim 0, summed.
 */
const SIG_BREAKDOWNS = `SELECT CASE
           WHEN GROUPING(referrer) = 0 THEN ${DIM.referrer} WHEN GROUPING(region) = 0 THEN ${DIM.region}
           WHEN GROUPING(city) = 0 THEN ${DIM.city} WHEN GROUPING(browser) = 0 THEN ${DIM.browser}
           WHEN GROUPING(os) = 0 THEN ${DIM.os} WHEN GROUPING(utm_source) = 0 THEN ${DIM.utmSource}
           WHEN GROUPING(utm_medium) = 0 THEN ${DIM.utmMedium} WHEN GROUPING(utm_campaign) = 0 THEN ${DIM.utmCampaign}
           WHEN GROUPING(link_id) = 0 THEN ${DIM.link} WHEN GROUPING(device) = 0 THEN ${DIM.device}
           ELSE ${DIM.country} END::int2 AS dim,
         CASE WHEN GROUPING(region) = 0 OR GROUPING(city) = 0 THEN country ELSE '' END AS country,
         coalesce(referrer, region, city, browser, os, utm_source, utm_medium, utm_campaign, link_id, device, country) AS value,
         sum(views)::int8 AS views, sum(clicks)::int8 AS clicks, sum(uniques)::int8 AS uniques
    FROM s
   GROUP BY GROUPING SETS ((referrer), (country, region), (country, city), (browser), (os), (utm_source),
                           (utm_medium), (utm_campaign), (link_id), (country), (device))`;

const INTERVAL_SQL: Record<keyof typeof INTERVALS, string> = {
  '10s': '10 seconds',
  '1m': '1 minute',
  '1h': '1 hour',
  '1d': '1 day',
};

/** The tier that stores buckets of the interval (1m is read from the 10-second windows). */
const TIER_OF: Record<keyof typeof INTERVALS, Tier> = { '10s': '10s', '1m': '10s', '1h': '1h', '1d': '1d' };
const ORDER: Tier[] = ['10s', '1h', '1d'];

export interface Piece {
  tier: Tier;
  from: number;
  to: number;
}

/**
 * [from, to) as pieces each read from one tier: the coarsest up to `top` whose whole buckets it
 * spans, finer tiers for the ends.
 */
export const pieces = (from: number, to: number, top: Tier): Piece[] => {
  const out: Piece[] = [];
  const cut = (lo: number, hi: number, level: number) => {
    if (lo >= hi) return;
    const tier = ORDER[level];
    if (level === 0) {
      out.push({ tier, from: lo, to: hi });
      return;
    }
    const w = TIER_MS[tier];
    const a = Math.ceil(lo / w) * w;
    const b = Math.floor(hi / w) * w;
    if (a >= b) {
      cut(lo, hi, level - 1);
      return;
    }
    cut(lo, a, level - 1);
    out.push({ tier, from: a, to: b });
    cut(b, hi, level - 1);
  };
  cut(from, to, ORDER.indexOf(top));
  return out;
};

/** The finest tier holding instant `t`. */
const tierAt = (t: number, now: number, r: Required<Retention>): Tier =>
  t >= now - r.rawDays * 86_400_000 ? '10s' : t >= now - r.hourlyDays * 86_400_000 ? '1h' : '1d';

const floorTo = (t: number, w: number) => Math.floor(t / w) * w;

const nextMonth = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

/** The starts of the UTC months wholly inside [from, to). */
export const wholeMonths = (from: number, to: number): number[] => {
  const d = new Date(from);
  let m = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  if (m < from) m = nextMonth(m);
  const out: number[] = [];
  for (; nextMonth(m) <= to; m = nextMonth(m)) out.push(m);
  return out;
};
const ceilTo = (t: number, w: number) => Math.ceil(t / w) * w;

export const readReport = async (
  pool: pg.Pool,
  profileId: string,
  q: AnalyticsQuery,
  now: number,
  retention: Required<Retention>,
): Promise<AnalyticsReport> => {
  assertIntervalKept(q, now, retention);
  // Ends where only coarser buckets are kept are widened to them (no finer than the interval).
  const from = floorTo(q.from.getTime(), TIER_MS[tierAt(q.from.getTime(), now, retention)]);
  const to = ceilTo(q.to.getTime(), TIER_MS[tierAt(q.to.getTime() - 1, now, retention)]);
  const parts = pieces(from, to, TIER_OF[q.interval]);

  const params: unknown[] = [profileId];
  const filters: string[] = [];
  if (q.linkId !== undefined) {
    params.push(q.linkId);
    filters.push(`link_id = $${params.length}`);
  }
  if (q.country !== undefined) {
    params.push(q.country);
    filters.push(`country = $${params.length}`);
  }
  if (q.device !== undefined) {
    params.push(q.device);
    filters.push(`device = $${params.length}`);
  }
  const filtered = filters.length > 0;
  const range = (p: Piece) => {
    params.push(new Date(p.from).toISOString(), new Date(p.to).toISOString());
    return `bucket >= $${params.length - 1} AND bucket < $${params.length}`;
  };
  const where = (cond: string, extra: string[] = []) => ['profile_id = $1', cond, ...filters, ...extra].join(' AND ');
  const SIG_SELECT = `bucket, link_id, country, device, referrer, region, city, browser, os, utm_source, utm_medium, utm_campaign,
         views, clicks, visitors, uniques`;

  const sigs: string[] = [];
  const totalRows: string[] = [];
  const dimRows: string[] = [];
  const coarse: string[] = [];
  for (const p of parts) {
    const cond = range(p);
    if (p.tier === '10s') {
      sigs.push(`SELECT ${SIG_SELECT} FROM analytics_raw WHERE ${where(cond)}`);
      continue;
    }
    const t = TIER_TABLES[p.tier];
    coarse.push(cond.replaceAll('bucket', 'r.bucket'));
    if (filtered) {
      sigs.push(`SELECT ${SIG_SELECT} FROM ${t.sig} WHERE ${where(cond)}`);
    } else {
      sigs.push(`SELECT ${SIG_SELECT} FROM ${t.sig} WHERE ${where(cond, ['NOT covered'])}`);
      // The totals rows by their buckets (one index descent each, not a walk over every dims
      // row of the range).
      const buckets: string[] = [];
      for (let b = p.from; b < p.to; b += TIER_MS[p.tier]) buckets.push(new Date(b).toISOString());
      params.push(buckets);
      totalRows.push(
        `SELECT bucket, views, clicks, visitors, uniques FROM ${t.dims}
          WHERE profile_id = $1 AND bucket = ANY($${params.length}::timestamptz[]) AND dim = ${DIM.total}`,
      );
      // Breakdowns: a daily piece's whole UTC months from the monthly dims (the same rows summed
      // by the job in the same statement), its other days from the daily ones.
      const months = p.tier === '1d' ? wholeMonths(p.from, p.to) : [];
      const dayRanges = months.length
        ? [
            { from: p.from, to: months[0] },
            { from: nextMonth(months[months.length - 1]), to: p.to },
          ].filter((r) => r.from < r.to)
        : [p];
      for (const r of dayRanges) {
        dimRows.push(
          `SELECT dim, country, value, views, clicks, uniques FROM ${t.dims} WHERE ${where(range({ ...p, ...r }), [`dim <> ${DIM.total}`])}`,
        );
      }
      if (months.length) {
        params.push(months.map((m) => new Date(m).toISOString()));
        dimRows.push(
          `SELECT dim, country, value, views, clicks, uniques FROM ${MONTH_DIMS}
            WHERE profile_id = $1 AND bucket = ANY($${params.length}::timestamptz[]) AND dim <> ${DIM.total}`,
        );
      }
    }
  }
  if (coarse.length) {
    // The coarse pieces' rows of batches still pending: each batch's raw rows lie in [lo, hi].
    // Probed per pending batch (an index range of the profile's windows, partitions pruned at
    // run time; OFFSET 0 keeps the planner from flattening it into a scan of every partition),
    // so nothing is read when none is pending.
    const r = (f: string) => f.replace(/\b(link_id|country|device) =/g, 'r.$1 =');
    sigs.push(`SELECT r.* FROM analytics_pending p CROSS JOIN LATERAL (
         SELECT ${SIG_SELECT.replace(/(\w+)/g, 'r.$1')} FROM analytics_raw r
          WHERE r.profile_id = $1 AND r.bucket >= p.lo AND r.bucket <= p.hi AND r.batch = p.batch
            AND (${coarse.join(' OR ')})${filters.map((f) => ` AND ${r(f)}`).join('')}
         OFFSET 0) r`);
  }
  const bin = `date_bin('${INTERVAL_SQL[q.interval]}', bucket, TIMESTAMPTZ 'epoch')`;
  const top = Object.entries(DIM_TOP)
    .map(([dim, n]) => `WHEN ${dim} THEN ${n}`)
    .join(' ');
  // Breakdown rows need views, clicks and (links) uniques: visitors are the totals'. A value
  // with neither views nor clicks is listed nowhere, so it is not ranked.
  const sql = `
WITH s AS MATERIALIZED (
${sigs.join('\nUNION ALL\n')}
), t AS (
  SELECT ${bin} AS t, sum(views)::int8 AS views, sum(clicks)::int8 AS clicks,
         sum(visitors)::int8 AS visitors, sum(uniques)::int8 AS uniques
    FROM (SELECT bucket, views, clicks, visitors, uniques FROM s${totalRows.map((x) => `\n          UNION ALL ${x}`).join('')}) u
   GROUP BY 1
), b AS (
  SELECT dim, country, value, sum(views)::int8 AS views, sum(clicks)::int8 AS clicks, sum(uniques)::int8 AS uniques
    FROM (SELECT * FROM (${SIG_BREAKDOWNS}) g WHERE value <> ''${dimRows.map((x) => `\n          UNION ALL ${x}`).join('')}) u
   GROUP BY 1, 2, 3
), k AS (
  SELECT b.*, row_number() OVER (PARTITION BY dim ORDER BY clicks DESC, views DESC, country COLLATE "C", value COLLATE "C") AS rn
    FROM b WHERE views + clicks > 0
)
SELECT ${DIM.total}::int2 AS dim, '' AS country, '' AS value, t, views, clicks, visitors, uniques, 0::int8 AS rn
  FROM t WHERE views + clicks + visitors + uniques > 0
UNION ALL
SELECT dim, country, value, NULL, views, clicks, 0, uniques, rn
  FROM k WHERE rn <= CASE dim ${top} ELSE ${Math.max(...Object.values(DIM_TOP))} END
ORDER BY dim, rn`;

  const rows = await select<{
    dim: number;
    country: string;
    value: string;
    t: Date | null;
    views: string;
    clicks: string;
    visitors: string;
    uniques: string;
  }>(pool, sql, params);

  // Under a linkId filter the visitors are that link's unique clickers (core/analytics.ts).
  const byLink = q.linkId !== undefined;
  const series: Array<{ t: number; views: number; clicks: number; visitors: number }> = [];
  const links: AnalyticsReport['links'] = [];
  const countries: AnalyticsReport['countries'] = [];
  const devices: AnalyticsReport['devices'] = [];
  const totals = { views: 0, clicks: 0, visitors: 0 };
  const report: AnalyticsReport = {
    totals,
    series: [],
    links,
    referrers: [],
    countries,
    regions: [],
    cities: [],
    devices,
    browsers: [],
    os: [],
    utm: { source: [], medium: [], campaign: [] },
  };
  // Ranked per dim by clicks, then views, then key (ORDER BY dim, rn above), kept in that order.
  const ranked = rows.filter((r) => Number(r.dim) !== DIM.total);
  for (const r of rows) {
    if (Number(r.dim) !== DIM.total || !r.t) continue;
    const views = exact(r.views);
    const clicks = exact(r.clicks);
    const visitors = exact(byLink ? r.uniques : r.visitors);
    series.push({ t: r.t.getTime(), views, clicks, visitors });
    totals.views += views;
    totals.clicks += clicks;
    totals.visitors += visitors;
  }
  report.series = denseSeries(q, series);
  const families = (x: { views: string; clicks: string }) => ({ views: exact(x.views), clicks: exact(x.clicks) });
  const utm = (list: ValueCount[], x: (typeof ranked)[number]) => {
    if (list.length < TOP.utm && exact(x.views) + exact(x.clicks) > 0) list.push({ value: x.value, ...families(x) });
  };
  for (const x of ranked) {
    const clicks = exact(x.clicks);
    switch (Number(x.dim)) {
      case DIM.link:
        if (clicks > 0 && links.length < TOP.links) links.push({ linkId: x.value, clicks, uniqueClicks: exact(x.uniques) });
        break;
      case DIM.country:
        if (clicks > 0 && countries.length < TOP.countries) countries.push({ country: x.value, clicks });
        break;
      case DIM.device:
        if (exact(x.views) + clicks > 0) devices.push({ device: x.value, ...families(x) });
        break;
      case DIM.referrer:
        if (clicks > 0 && report.referrers.length < TOP.referrers) report.referrers.push({ referrer: x.value, clicks });
        break;
      case DIM.region:
        if (clicks > 0 && report.regions.length < TOP.regions)
          report.regions.push({ country: x.country, region: x.value, clicks });
        break;
      case DIM.city:
        if (clicks > 0 && report.cities.length < TOP.cities) report.cities.push({ country: x.country, city: x.value, clicks });
        break;
      case DIM.browser:
        if (exact(x.views) + clicks > 0 && report.browsers.length < TOP.families)
          report.browsers.push({ browser: x.value, ...families(x) });
        break;
      case DIM.os:
        if (exact(x.views) + clicks > 0 && report.os.length < TOP.families) report.os.push({ os: x.value, ...families(x) });
        break;
      case DIM.utmSource:
        utm(report.utm.source, x);
        break;
      case DIM.utmMedium:
        utm(report.utm.medium, x);
        break;
      case DIM.utmCampaign:
        utm(report.utm.campaign, x);
        break;
    }
  }
  const byClicks =
    <T extends { clicks: number }>(key: (x: T) => string) =>
    (a: T, b: T) =>
      b.clicks - a.clicks || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  links.sort(byClicks((x) => x.linkId));
  countries.sort(byClicks((x) => x.country));
  devices.sort((a, b) => b.views + b.clicks - (a.views + a.clicks) || (a.device < b.device ? -1 : 1));
  return report;
};

/**
 * A filtered report groups the signatures of its range (a busy profile's 90 days: ~900,000 read,
 * ~185,000 of one country kept) by eleven dims at once; at the default 4 MB its sorts and the
 * materialized rows spill to disk (the bench's country filter 744 → 451 ms with this, the
 * unfiltered 90 days 47 → 42 ms). For this statement only: reports are few and cached
 * (ANALYTICS_TTL_S).
 */
const REPORT_WORK_MEM = '64MB';

/**
 * The statement with JIT off: its estimates (hundreds of thousands of dims rows) pass JIT's cost
 * threshold, and compiling takes far longer than the query runs.
 */
const select = async <R extends pg.QueryResultRow>(pool: pg.Pool, sql: string, params: unknown[]): Promise<R[]> => {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`BEGIN READ ONLY; SET LOCAL jit = off; SET LOCAL work_mem = '${REPORT_WORK_MEM}'`);
    const { rows } = await client.query<R>(sql, params);
    await client.query('COMMIT');
    return rows;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    client.release(broken);
  }
};

/** bigint arrives as a decimal string; counts stay far below 2^53, checked rather than assumed. */
const exact = (raw: string | number): number => {
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`count ${raw} is not a safe integer`);
  return n;
};
