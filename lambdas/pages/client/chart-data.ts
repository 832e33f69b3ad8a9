// Analytics response → the aligned arrays uPlot draws. Pure, so it is unit-tested in Node.

export interface Analytics {
  totals: { views: number; clicks: number };
  series: { t: string | number; views: number; clicks: number }[];
  links: { linkId: string; clicks: number }[];
  referrers: { referrer: string; clicks: number }[];
  countries: { country: string; clicks: number }[];
}

/** A series timestamp (ISO string, epoch ms or epoch s) in epoch seconds. */
export const seconds = (t: string | number): number => {
  if (typeof t === 'number') return t > 1e11 ? t / 1000 : t;
  return Date.parse(t) / 1000;
};

/** [x (epoch s), views, clicks]: every bucket of the range, zero where the API has no row. */
export const toChartData = (
  a: Pick<Analytics, 'series'>,
  fromS: number,
  toS: number,
  stepS: number,
): [number[], number[], number[]] => {
  const start = Math.floor(fromS / stepS) * stepS;
  const n = Math.max(1, Math.floor((toS - start) / stepS) + 1);
  const xs = Array.from({ length: n }, (_, i) => start + i * stepS);
  const views = new Array<number>(n).fill(0);
  const clicks = new Array<number>(n).fill(0);
  for (const p of a.series) {
    const i = Math.floor((seconds(p.t) - start) / stepS);
    if (i >= 0 && i < n) {
      views[i] += p.views;
      clicks[i] += p.clicks;
    }
  }
  return [xs, views, clicks];
};
