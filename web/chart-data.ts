// Analytics response → the aligned arrays uPlot draws. Pure, so it is unit-tested in Node.

export interface ValueCount {
  value: string;
  views: number;
  clicks: number;
}

export interface Analytics {
  totals: { views: number; clicks: number; visitors: number };
  series: { t: string | number; views: number; clicks: number; visitors?: number }[];
  links: { linkId: string; clicks: number; uniqueClicks: number }[];
  referrers: { referrer: string; clicks: number }[];
  countries: { country: string; clicks: number }[];
  regions: { country: string; region: string; clicks: number }[];
  cities: { country: string; city: string; clicks: number }[];
  devices: { device: string; views: number; clicks: number }[];
  browsers: { browser: string; views: number; clicks: number }[];
  os: { os: string; views: number; clicks: number }[];
  utm: { source: ValueCount[]; medium: ValueCount[]; campaign: ValueCount[] };
}

/** A series timestamp (ISO string, epoch ms or epoch s) in epoch seconds. */
export const seconds = (t: string | number): number => {
  if (typeof t === 'number') return t > 1e11 ? t / 1000 : t;
  return Date.parse(t) / 1000;
};

/** [x (epoch s), views, clicks, visitors]: every bucket of the range, zero where the API has no row. */
export const toChartData = (
  a: Pick<Analytics, 'series'>,
  fromS: number,
  toS: number,
  stepS: number,
): [number[], number[], number[], number[]] => {
  const start = Math.floor(fromS / stepS) * stepS;
  const n = Math.max(1, Math.floor((toS - start) / stepS) + 1);
  const xs = Array.from({ length: n }, (_, i) => start + i * stepS);
  const views = new Array<number>(n).fill(0);
  const clicks = new Array<number>(n).fill(0);
  const visitors = new Array<number>(n).fill(0);
  for (const p of a.series) {
    const i = Math.floor((seconds(p.t) - start) / stepS);
    if (i >= 0 && i < n) {
      views[i] += p.views;
      clicks[i] += p.clicks;
      visitors[i] += p.visitors ?? 0;
    }
  }
  return [xs, views, clicks, visitors];
};

/** The filters the dashboard offers; empty means all. */
export interface DashboardFilters {
  linkId?: string;
  country?: string;
  device?: string;
}

/** The period just before [fromS, toS), of equal length: what the deltas compare with. */
export const previousRange = (fromS: number, toS: number): { fromS: number; toS: number } => ({
  fromS: fromS - (toS - fromS),
  toS: fromS,
});

/** The analytics query string for a range, an interval and the filters that are set. */
export const rangeParams = (
  fromS: number,
  toS: number,
  interval: string,
  filters: DashboardFilters = {},
  format?: 'csv',
): URLSearchParams => {
  const params = new URLSearchParams({
    from: new Date(fromS * 1000).toISOString(),
    to: new Date(toS * 1000).toISOString(),
    interval,
  });
  for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
  if (format) params.set('format', format);
  return params;
};

/** The change from `previous` to `current` in percent, as shown next to a total. */
export const delta = (current: number, previous: number | undefined): { text: string; kind: 'up' | 'down' | 'same' | 'none' } => {
  if (previous === undefined) return { text: '', kind: 'none' };
  if (previous === 0) return current === 0 ? { text: '±0%', kind: 'same' } : { text: 'new', kind: 'up' };
  const pct = Math.round(((current - previous) / previous) * 1000) / 10;
  if (pct === 0) return { text: '±0%', kind: 'same' };
  return { text: `${pct > 0 ? '+' : ''}${pct}%`, kind: pct > 0 ? 'up' : 'down' };
};

/** Clicks per view, in percent with one decimal; '–' without views. */
export const ctr = (clicks: number, views: number): string => (views > 0 ? `${((100 * clicks) / views).toFixed(1)}%` : '–');

export const RANGES: Record<string, number> = { '1h': 3_600, '24h': 86_400, '7d': 604_800, '30d': 2_592_000 };
export const INTERVALS: Record<string, number> = { '10s': 10, '1m': 60, '1h': 3_600, '1d': 86_400 };
/**
 * The analytics route refuses more than 10,080 buckets; a range that is not aligned to the
 * interval spans one bucket more than range / interval, so the limit is strict here.
 */
export const MAX_POINTS = 10_080;

/** Whether the analytics route can answer `range` at `interval`: at least one bucket, under the cap. */
export const intervalAllowed = (range: string, interval: string): boolean => {
  const r = RANGES[range];
  const step = INTERVALS[interval];
  return r !== undefined && step !== undefined && step <= r && r / step < MAX_POINTS;
};

/** The dashboard's analytics query for a range ending now: `from` aligned to the interval. */
export const analyticsQuery = (
  range: string,
  interval: string,
  nowMs: number,
): { fromS: number; toS: number; params: URLSearchParams } => {
  const step = INTERVALS[interval];
  const toS = Math.floor(nowMs / 1000);
  const fromS = Math.floor((toS - RANGES[range]) / step) * step;
  return { fromS, toS, params: rangeParams(fromS, toS, interval) };
};
