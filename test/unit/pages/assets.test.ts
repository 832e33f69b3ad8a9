import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BODIES_PATH, EMBED_JS_CACHE_CONTROL, generatePageAssets, MANIFEST_PATH } from '../../../tools/build-page-assets.ts';
import { type AssetInfo, type AssetName, assetManifest } from '../../../lambdas/pages/asset-manifest.generated.ts';
import { assetBodies } from '../../../lambdas/pages/assets.generated.ts';
import { analyticsQuery, INTERVALS, intervalAllowed, RANGES, toChartData } from '../../../web/chart-data.ts';

describe('page assets', () => {
  it('lambdas/pages/asset-manifest.generated.ts and assets.generated.ts are up to date with web/ (else run `npx node tools/build-page-assets.ts`)', async () => {
    const generated = await generatePageAssets();
    expect(await readFile(MANIFEST_PATH, 'utf8')).toBe(generated.manifest);
    expect(await readFile(BODIES_PATH, 'utf8')).toBe(generated.bodies);
  });

  it('names every asset by a hash of its content (embed.js by its own name), with a body for every name and no other', async () => {
    const { createHash } = await import('node:crypto');
    expect(Object.keys(assetBodies).sort()).toEqual(Object.keys(assetManifest).sort());
    expect(Object.keys(assetManifest)).toHaveLength(6);
    for (const name of Object.keys(assetManifest) as AssetName[]) {
      const info: AssetInfo = assetManifest[name];
      if (name === 'embed.js') continue;
      const hash = createHash('sha256').update(assetBodies[name]).digest('hex').slice(0, 12);
      expect(info.file).toBe(name.replace(/\.([a-z]+)$/, `.${hash}.$1`));
      expect(info.cacheControl).toBeUndefined();
    }
  });

  it('serves embed.js under the fixed name other sites load it by, with a Cache-Control that lets a new build reach them', () => {
    const info: AssetInfo = assetManifest['embed.js'];
    expect(info).toEqual({
      file: 'embed.js',
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: EMBED_JS_CACHE_CONTROL,
    });
    expect(info.cacheControl).not.toMatch(/immutable/);
    expect(Number(/max-age=(\d+)/.exec(info.cacheControl ?? '')?.[1])).toBeLessThanOrEqual(86_400);
  });

  it('builds embed.js as a small custom element that never parses profile data as markup', () => {
    const js = assetBodies['embed.js'];
    expect(js).toContain('customElements.define("link-profile"');
    expect(js).toContain('attachShadow');
    expect(js).toContain('textContent');
    expect(js).toContain('/api/profiles/');
    expect(js).toContain('"_blank"');
    expect(js).toContain('"noopener"');
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function']) {
      expect(js).not.toContain(sink);
    }
    expect(gzipSync(js).length).toBeLessThanOrEqual(5 * 1024);
  });

  it('keeps the manifest free of asset bodies (the profile bundle imports only the manifest)', async () => {
    const manifest = await readFile(MANIFEST_PATH, 'utf8');
    expect(manifest.length).toBeLessThan(2048);
    expect(manifest).not.toContain('sendBeacon');
    expect(manifest).not.toContain('uplot');
  });

  it('ships the beacon in page.js and uPlot with the dashboard, nothing from a CDN', () => {
    expect(assetBodies['page.js']).toContain('sendBeacon');
    expect(assetBodies['page.js']).toContain('profile.viewed');
    expect(assetBodies['dashboard.js']).toContain('uplot');
    expect(assetBodies['dashboard.css']).toContain('.uplot');
    for (const body of Object.values(assetBodies)) expect(body).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
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
