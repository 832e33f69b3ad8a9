// Percentiles and summaries over latency samples.

/** The p-th percentile (0..100) of an ascending-sorted array, nearest-rank. NaN when empty. */
export const percentile = (sorted: ArrayLike<number>, p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
};

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;

export interface Summary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Sorts a copy (typed arrays sort numerically) and summarizes it. */
export const summarize = (values: ArrayLike<number>): Summary => {
  const s = Float64Array.from(values as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i];
  return {
    n: s.length,
    min: s.length ? s[0] : Number.NaN,
    mean: s.length ? sum / s.length : Number.NaN,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1] : Number.NaN,
  };
};

/** Rounds for display: 3 significant-ish digits without scientific notation. */
export const round = (n: number, digits = 2): number => {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** Milliseconds since `start` (a process.hrtime.bigint() value). */
export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;
