import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GENERATED_PATH, generatePageAssets } from '../../../bin/build-page-assets.ts';
import { staticAssets } from '../../../lambdas/pages/assets.generated.ts';
import { analyticsQuery, INTERVALS, intervalAllowed, RANGES, toChartData } from '../../../lambdas/pages/client/chart-data.ts';

describe('page assets', () => {
  it('lambdas/pages/assets.generated.ts is up to date with lambdas/pages/client/ (else run `npx node bin/build-page-assets.ts`)', async () => {
    expect(await readFile(GENERATED_PATH, 'utf8')).toBe(await generatePageAssets());
  });

  it('names every asset by a hash of its content', async () => {
    const { createHash } = await import('node:crypto');
    for (const [name, a] of Object.entries(staticAssets)) {
      const hash = createHash('sha256').update(a.body).digest('hex').slice(0, 12);
      expect(a.file).toBe(name.replace(/\.([a-z]+)$/, `.${hash}.$1`));
    }
  });

  it('ships the beacon in page.js and uPlot with the dashboard, nothing from a CDN', () => {
    expect(staticAssets['page.js'].body).toContain('sendBeacon');
    expect(staticAssets['page.js'].body).toContain('profile.viewed');
    expect(staticAssets['dashboard.js'].body).toContain('uplot');
    expect(staticAssets['dashboard.css'].body).toContain('.uplot');
    for (const a of Object.values(staticAssets)) expect(a.body).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
  });
});

describe('toChartData', () => {
  it('puts every bucket of the range on the x axis, zero where the API has no row', () => {
    const series = [
      { t: '2026-01-01T00:01:00.000Z', views: 3, clicks: 1 },
      { t: Date.parse('2026-01-01T00:03:00Z'), views: 1, clicks: 0 },
      { t: Date.parse('2026-01-01T00:09:00Z') / 1000, views: 9, clicks: 9 }, // outside the range
    ];
    const from = Date.parse('2026-01-01T00:00:00Z') / 1000;
    const [xs, views, clicks] = toChartData({ series }, from, from + 240, 60);
    expect(xs).toEqual([from, from + 60, from + 120, from + 180, from + 240]);
    expect(views).toEqual([0, 3, 0, 1, 0]);
    expect(clicks).toEqual([0, 1, 0, 0, 0]);
  });
});

describe('the dashboard range and interval pickers', () => {
  it('offer only combinations with at least one and fewer than 10,080 buckets', () => {
    const allowed = Object.keys(RANGES).map((r) => [r, Object.keys(INTERVALS).filter((i) => intervalAllowed(r, i))]);
    expect(allowed).toEqual([
      ['1h', ['10s', '1m', '1h']],
      ['24h', ['10s', '1m', '1h', '1d']],
      ['7d', ['1h', '1d']],
      ['30d', ['1h', '1d']],
    ]);
  });

  it('query a range ending now with from aligned to the interval', () => {
    const now = Date.parse('2026-03-01T12:34:56.789Z');
    const q = analyticsQuery('24h', '1h', now);
    expect(q.params.get('from')).toBe('2026-02-28T12:00:00.000Z');
    expect(q.params.get('to')).toBe('2026-03-01T12:34:56.000Z');
    expect(q.params.get('interval')).toBe('1h');
    expect([q.fromS, q.toS]).toEqual([Date.parse('2026-02-28T12:00:00Z') / 1000, Math.floor(now / 1000)]);
  });
});
