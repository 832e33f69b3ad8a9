// The site function: the owner's dashboard (a cached View through the read path, like the profile
// page) and the pages' static files; errors are the same HTML pages the profile function renders.
import { describe, expect, it } from 'vitest';
import { assetManifest } from '../../../lambdas/pages/asset-manifest.generated.ts';
import { assetBodies } from '../../../lambdas/pages/assets.generated.ts';
import { makeHandler as makeProfileHandler } from '../../../lambdas/profile/handler.ts';
import { routes } from '../../../lambdas/contracts/routes.ts';
import { makeHandler } from '../../../lambdas/site/handler.ts';
import { demoHandler, expectHtmlError } from '../../helpers/pages.ts';

const setup = () => demoHandler(makeHandler);

const dashboard = (username: string, headers: Record<string, string> = {}) => ({
  route: '/dashboard/{username}',
  pathParameters: { username },
  headers,
});

describe('GET /dashboard/{username}', () => {
  it('serves the dashboard shell for a known profile and the 404 page otherwise', async () => {
    const t = setup();
    const r = await t.call(dashboard('demo'));
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['content-security-policy']).toContain("form-action 'none'");
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-robots-tag']).toBe('noindex, nofollow');
    expect(r.headers.etag).toBeDefined();
    expect(r.body).toContain('id="token-form"');
    expect(r.body).toContain(`src="/assets/${assetManifest['dashboard.js'].file}"`);
    expectHtmlError(await t.call(dashboard('nobody')), 404);
    expectHtmlError(await t.call(dashboard('api')), 404);
  });

  it('is a cached view: X-Cache, Cache-Control by freshness, 304 on If-None-Match, one origin call', async () => {
    const t = setup();
    const miss = await t.call(dashboard('demo'));
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.headers['cache-control']).toBe('public, max-age=5, s-maxage=5, stale-if-error=86400');
    const again = await t.call(dashboard('Demo', { 'if-none-match': miss.headers.etag }));
    expect(again.statusCode).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers['x-cache']).toBe('HIT');
    expect(t.origin.calls).toBe(1);
    // The 304 carries the page's own headers (CSP, robots) exactly as the 200 did.
    for (const name of ['content-security-policy', 'referrer-policy', 'x-robots-tag', 'x-frame-options', 'etag']) {
      expect({ name, value: again.headers[name] }).toEqual({ name, value: miss.headers[name] });
    }
    expect(again.headers['content-type']).toBeUndefined();
  });

  it('negatively caches the 404 page of an unknown profile, and never asks the origin for a reserved name', async () => {
    const t = setup();
    const r = await t.call(dashboard('nobody'));
    expectHtmlError(r, 404);
    expect(r.headers['cache-control']).toBe(`public, max-age=${t.config.cache.negativeTtlS}`);
    expect(t.origin.calls).toBe(1);
    expectHtmlError(await t.call(dashboard('API')), 404);
    expectHtmlError(await t.call(dashboard('no-dashes!')), 404);
    expect(t.origin.calls).toBe(1);
  });

  it('answers 503 with Retry-After as an HTML page when the origin is down and nothing is cached', async () => {
    const t = setup();
    t.origin.failing = true;
    const r = await t.call(dashboard('demo'));
    expectHtmlError(r, 503);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.headers['cache-control']).toBe('no-store');
  });
});

describe('static page routes', () => {
  it('serves assets by content-hashed name with immutable caching and 304s', async () => {
    const t = setup();
    const asset = assetManifest['page.js'];
    const r = await t.call({ route: '/assets/{file}', pathParameters: { file: asset.file } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.body).toBe(assetBodies['page.js']);
    const again = await t.call({
      route: '/assets/{file}',
      pathParameters: { file: asset.file },
      headers: { 'if-none-match': r.headers.etag },
    });
    expect(again.statusCode).toBe(304);
    expectHtmlError(await t.call({ route: '/assets/{file}', pathParameters: { file: 'page.js' } }), 404);
    expectHtmlError(await t.call({ route: '/assets/{file}', pathParameters: { file: 'page.000000000000.js' } }), 404);
  });

  it('serves embed.js, linked from other sites by a fixed name, for a day with an ETag of its content', async () => {
    const t = setup();
    const r = await t.call({ route: '/assets/{file}', pathParameters: { file: 'embed.js' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=86400, stale-while-revalidate=604800');
    expect(r.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(r.headers.etag).not.toBe('"embed.js"');
    const again = await t.call({
      route: '/assets/{file}',
      pathParameters: { file: 'embed.js' },
      headers: { 'if-none-match': r.headers.etag },
    });
    expect(again.statusCode).toBe(304);
  });

  it("never puts a disabled link (an owner's draft) into the public dashboard shell", async () => {
    const t = setup();
    const r = await t.call(dashboard('demo'));
    expect(r.body).not.toContain('lnk_old');
    expect(r.body).not.toContain('Old blog (hidden)');
    expect(r.body).toContain('lnk_shop');
  });

  it('serves every asset of the manifest with its content type', async () => {
    const t = setup();
    for (const [name, a] of Object.entries(assetManifest)) {
      const r = await t.call({ route: '/assets/{file}', pathParameters: { file: a.file } });
      expect({ name, status: r.statusCode, type: r.headers['content-type'] }).toEqual({ name, status: 200, type: a.contentType });
      expect(r.body).toBe(assetBodies[name as keyof typeof assetBodies]);
    }
  });

  it('answers robots.txt and favicon.ico', async () => {
    const t = setup();
    const robots = await t.call({ route: '/robots.txt' });
    expect(robots.statusCode).toBe(200);
    expect(robots.headers['content-type']).toMatch(/^text\/plain/);
    expect(robots.body).toContain('Disallow: /dashboard/');
    const icon = await t.call({ route: '/favicon.ico' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.body).toMatch(/^<svg /);
    expect(t.origin.calls).toBe(0);
  });
});

describe('the split between the profile and site functions', () => {
  const SITE_ROUTES = [
    'GET /oembed',
    'GET /openapi.json',
    'GET /docs',
    'GET /dashboard/{username}',
    'GET /assets/{file}',
    'GET /robots.txt',
    'GET /favicon.ico',
  ];
  const params = { username: 'demo', file: assetManifest['page.js'].file };

  it('routes exactly oEmbed, the API description, the dashboard and the static files to site', () => {
    // The declared GETs: the HEAD (and OPTIONS) routes the table implies follow them.
    expect(routes.filter((r) => r.fn === 'site' && r.method === 'GET').map((r) => `${r.method} ${r.path}`)).toEqual(SITE_ROUTES);
  });

  it('lets each handler answer its own routes of lambdas/contracts/routes.ts and only those', async () => {
    const handlers = { site: setup(), profile: demoHandler(makeProfileHandler) };
    for (const route of routes.filter((r) => r.fn === 'site' || r.fn === 'profile')) {
      for (const [fn, t] of Object.entries(handlers)) {
        // The query is for /oembed (the page it describes, on the test domain); other routes ignore it.
        const r = await t.call({ route: route.path, pathParameters: params, query: { url: 'https://test.local/demo' } });
        const expected = fn === route.fn ? 200 : 404;
        expect({ route: route.path, fn, status: r.statusCode }).toEqual({ route: route.path, fn, status: expected });
      }
    }
  });
});
