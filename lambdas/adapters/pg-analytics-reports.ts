// Reading an analytics report from the three tiers (migration 004).
//
// The range is cut into pieces, each read from the coarsest tier whose buckets it covers whole:
// for interval 1d, the whole UTC days from the daily tables, the whole hours at either end from
// the hourly ones, and the 10-second remainder at either end from the raw ones. Every tier holds
// the same counts (the consumer writes them in one statement), so the answer is the same whatever
// tiers it came from: coarse and fine agree exactly wherever both exist. A range starting where
// only coarser data is kept is first widened down to that tier's bucket (the interval check
// guarantees the interval is no finer).
//
// Two statements: the facts (series, totals, links, countries, devices, in one GROUPING SETS
// scan) and the breakdowns (signature rows unpivoted). Unfiltered reads of hourly and daily pieces
// use the dims rows (already summed over links, countries and devices) and only the signatures
// they do not cover, so a busy profile's 90-day report reads dims rows, not one per signature.
import type pg from 'pg';
import {
  type AnalyticsQuery,
  type AnalyticsReport,
  assertIntervalKept,
  DIM,
  denseSeries,
  type INTERVALS,
  type Retention,
  TIER_MS,
  type Tier,
  type ValueCount,
} from '../core/analytics.ts';

const TOP = { links: 100, referrers: 50, countries: 250, regions: 100, cities: 100, families: 50, utm: 50 } as const;

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
  const ranges = parts.map((p) => {
    params.push(new Date(p.from).toISOString(), new Date(p.to).toISOString());
    return { tier: p.tier, range: `bucket >= $${params.length - 1} AND bucket < $${params.length}` };
  });
  const where = (range: string, extra: string[] = []) => ['profile_id = $1', range, ...filters, ...extra].join(' AND ');

  const factsSource = ranges
    .map(
      (r) =>
        `SELECT bucket, link_id, country, device, views, clicks, visitors, uniques FROM analytics_facts_${r.tier} WHERE ${where(r.range)}`,
    )
    .join('\nUNION ALL\n');
  // Breakdowns: signatures unpivoted (one row per present value); unfiltered hourly and daily
  // pieces read the dims rows instead, plus the signatures they do not cover.
  const unpivot = (tier: Tier, cond: string) =>
    `SELECT x.dim, CASE WHEN x.dim IN (${DIM.region}, ${DIM.city}) THEN s.country ELSE '' END AS country, x.value, s.views, s.clicks
       FROM analytics_sig_${tier} s
      CROSS JOIN LATERAL (VALUES (${DIM.referrer}::int2, s.referrer), (${DIM.region}::int2, s.region), (${DIM.city}::int2, s.city),
                                 (${DIM.browser}::int2, s.browser), (${DIM.os}::int2, s.os), (${DIM.utmSource}::int2, s.utm_source),
                                 (${DIM.utmMedium}::int2, s.utm_medium), (${DIM.utmCampaign}::int2, s.utm_campaign)) AS x (dim, value)
      WHERE ${cond} AND x.value <> ''`;
  const dimsSource = ranges
    .flatMap((r) =>
      filtered || r.tier === '10s'
        ? [unpivot(r.tier, where(r.range))]
        : [
            `SELECT dim, country, value, views, clicks FROM analytics_dims_${r.tier} WHERE ${where(r.range)}`,
            unpivot(r.tier, where(r.range, ['NOT s.covered'])),
          ],
    )
    .join('\nUNION ALL\n');

  const bin = `date_bin('${INTERVAL_SQL[q.interval]}', bucket, TIMESTAMPTZ 'epoch')`;
  const factsSql = `
SELECT grouping(t, link_id, country, device) AS g, t, link_id, country, device,
       sum(views)::int8 AS views, sum(clicks)::int8 AS clicks, sum(visitors)::int8 AS visitors, sum(uniques)::int8 AS uniques
  FROM (SELECT ${bin} AS t, link_id, country, device, views, clicks, visitors, uniques FROM (${factsSource}) s) f
 GROUP BY GROUPING SETS ((t), (link_id), (country), (device))`;
  const dimsSql = `
SELECT dim, c AS country, value, views, clicks FROM (
  SELECT dim, c, value, views, clicks,
         row_number() OVER (PARTITION BY dim ORDER BY clicks DESC, views DESC, c COLLATE "C", value COLLATE "C") AS rn
    FROM (SELECT dim, country AS c, value, sum(views)::int8 AS views, sum(clicks)::int8 AS clicks
            FROM (${dimsSource}) s
           GROUP BY 1, 2, 3) d
   WHERE views + clicks > 0
) r WHERE rn <= ${Math.max(...Object.values(TOP))}`;

  const [facts, dims] = await Promise.all([
    pool.query<{
      g: number;
      t: Date | null;
      link_id: string | null;
      country: string | null;
      device: string | null;
      views: string;
      clicks: string;
      visitors: string;
      uniques: string;
    }>(factsSql, params),
    pool.query<{ dim: number; country: string; value: string; views: string; clicks: string }>(dimsSql, params),
  ]);

  // Under a linkId filter the visitors are that link's unique clickers (core/analytics.ts).
  const byLink = q.linkId !== undefined;
  const series: Array<{ t: number; views: number; clicks: number; visitors: number }> = [];
  const links: AnalyticsReport['links'] = [];
  const countries: AnalyticsReport['countries'] = [];
  const devices: AnalyticsReport['devices'] = [];
  const totals = { views: 0, clicks: 0, visitors: 0 };
  for (const r of facts.rows) {
    const views = exact(r.views);
    const clicks = exact(r.clicks);
    // grouping() bits: t, link_id, country, device (1 = not grouped by it).
    const g = Number(r.g);
    if (g === 0b0111 && r.t) {
      const visitors = exact(byLink ? r.uniques : r.visitors);
      series.push({ t: r.t.getTime(), views, clicks, visitors });
      totals.views += views;
      totals.clicks += clicks;
      totals.visitors += visitors;
    } else if (g === 0b1011 && r.link_id !== null) {
      if (r.link_id !== '' && clicks > 0) links.push({ linkId: r.link_id, clicks, uniqueClicks: exact(r.uniques) });
    } else if (g === 0b1101 && r.country !== null) {
      if (clicks > 0) countries.push({ country: r.country, clicks });
    } else if (g === 0b1110 && r.device !== null) {
      if (views + clicks > 0) devices.push({ device: r.device, views, clicks });
    }
  }
  const byClicks =
    <T extends { clicks: number }>(key: (x: T) => string) =>
    (a: T, b: T) =>
      b.clicks - a.clicks || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  links.sort(byClicks((x) => x.linkId));
  countries.sort(byClicks((x) => x.country));
  devices.sort((a, b) => b.views + b.clicks - (a.views + a.clicks) || (a.device < b.device ? -1 : 1));

  const report: AnalyticsReport = {
    totals,
    series: denseSeries(q, series),
    links: links.slice(0, TOP.links),
    referrers: [],
    countries: countries.slice(0, TOP.countries),
    regions: [],
    cities: [],
    devices,
    browsers: [],
    os: [],
    utm: { source: [], medium: [], campaign: [] },
  };
  // Rows arrive ordered per dim by clicks, then views (row_number above); kept in that order.
  const ranked = [...dims.rows].sort(
    (a, b) =>
      exact(b.clicks) - exact(a.clicks) ||
      exact(b.views) - exact(a.views) ||
      (a.country + a.value < b.country + b.value ? -1 : 1),
  );
  const families = (x: { views: string; clicks: string }) => ({ views: exact(x.views), clicks: exact(x.clicks) });
  const utm = (list: ValueCount[], x: (typeof ranked)[number]) => {
    if (list.length < TOP.utm) list.push({ value: x.value, ...families(x) });
  };
  for (const x of ranked) {
    const clicks = exact(x.clicks);
    switch (Number(x.dim)) {
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
        if (report.browsers.length < TOP.families) report.browsers.push({ browser: x.value, ...families(x) });
        break;
      case DIM.os:
        if (report.os.length < TOP.families) report.os.push({ os: x.value, ...families(x) });
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
  return report;
};

/** bigint arrives as a decimal string; counts stay far below 2^53, checked rather than assumed. */
const exact = (raw: string | number): number => {
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`count ${raw} is not a safe integer`);
  return n;
};
