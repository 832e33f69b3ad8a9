// The profile function's page route (GET /{username}); the dashboard and the static files are the
// site function's (test/unit/site/handler.test.ts).
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { demoProfiles } from '../../../local/demo-profiles.ts';
import { RESERVED_SEGMENTS } from '../../../lambdas/pages/static-routes.ts';
import { makeHandler } from '../../../lambdas/profile/handler.ts';
import { apiEvent } from '../../helpers/events.ts';
import { demoHandler, expectHtmlError } from '../../helpers/pages.ts';

const setup = () => demoHandler(makeHandler);

const page = (username: string, headers: Record<string, string> = { host: 'links.example.com' }) => ({
  route: '/{username}',
  pathParameters: { username },
  headers,
});

describe('GET /{username}', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('serves the HTML page from the cache with a strong ETag, Cache-Control and X-Cache', async () => {
    const miss = await t.call(page('demo'));
    expect(miss.statusCode).toBe(200);
    expect(miss.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(miss.body).toContain('<h1>Demo Creator</h1>');
    expect(miss.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(miss.headers['cache-control']).toMatch(/^public, max-age=\d+, stale-while-revalidate=300\b/);
    expect(miss.headers['x-cache']).toBe('MISS');
    const hit = await t.call(page('Demo'));
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers.etag).toBe(miss.headers.etag);
    expect(t.origin.calls).toBe(1);
  });

  it('answers 304 with no body to If-None-Match with the current ETag', async () => {
    const first = await t.call(page('demo'));
    const again = await t.call(page('demo', { host: 'links.example.com', 'if-none-match': first.headers.etag }));
    expect(again.statusCode).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.etag).toBe(first.headers.etag);
    expect((await t.call(page('demo', { host: 'links.example.com', 'if-none-match': '"nope"' }))).statusCode).toBe(200);
  });

  it('has a strict CSP: no inline script, only the hash of its own inline theme stylesheet', async () => {
    const r = await t.call(page('demo'));
    const csp = r.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const css = /<style>([^<]*)<\/style>/.exec(r.body as string)![1];
    const hash = createHash('sha256').update(css).digest('base64');
    expect(csp).toContain(`style-src 'self' 'sha256-${hash}'`);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it("puts the request's domain (as API Gateway reports it) into og:url, never a client header", async () => {
    const r = await t.call(page('demo', { host: 'evil.example', 'x-forwarded-host': 'evil.example' }), 'bio.example.org');
    expect(r.body).toContain('<meta property="og:url" content="https://bio.example.org/demo">');
    expect(r.body).not.toContain('evil.example');
    const local = await t.call(page('demo'), '127.0.0.1:3000');
    expect(local.body).toContain('<meta property="og:url" content="http://127.0.0.1:3000/demo">');
    const odd = await t.call(page('demo'), 'x"><script>');
    expect(odd.body).toContain('<meta property="og:url" content="https://localhost/demo">');
  });

  it('memoizes the page for a bounded number of origins', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await t.call(page('demo'), `host${i}.example`);
      seen.add(/og:url" content="([^"]+)"/.exec(r.body as string)![1]);
    }
    expect(seen.size).toBeLessThanOrEqual(8);
  });

  it('uses PUBLIC_BASE_URL when set', async () => {
    const { publicBaseUrl } = await import('../../../lambdas/pages/static-routes.ts');
    const e = apiEvent(page('demo'));
    expect(publicBaseUrl(e, 'https://links.example.com/')).toBe('https://links.example.com');
    expect(publicBaseUrl(e, undefined)).toBe('https://test.local');
  });

  it('answers an unknown username with the 404 page, negatively cached', async () => {
    const r = await t.call(page('nobody'));
    expectHtmlError(r, 404);
    expect(r.headers['cache-control']).toBe(`public, max-age=${t.config.cache.negativeTtlS}`);
  });

  it('answers an invalid username with the 404 page (not 400), without asking the origin', async () => {
    const r = await t.call(page('no-dashes!'));
    expectHtmlError(r, 404);
    expect(t.origin.calls).toBe(0);
  });

  it.each([...RESERVED_SEGMENTS].filter((s) => s !== 'robots.txt' && s !== 'favicon.ico'))(
    'never treats the reserved segment /%s as a username',
    async (segment) => {
      t.origin.profiles.set(segment, { ...demoProfiles()[0], username: segment });
      for (const s of [segment, segment.toUpperCase()]) expectHtmlError(await t.call(page(s)), 404);
      expect(t.origin.calls).toBe(0);
    },
  );

  it('answers 503 with Retry-After as an HTML page when the origin is down and nothing is cached', async () => {
    t.origin.failing = true;
    const r = await t.call(page('demo'));
    expectHtmlError(r, 503);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('leaves the JSON API answering errors as JSON', async () => {
    const r = await t.call({ route: '/api/profiles/{username}', pathParameters: { username: 'nobody' } });
    expect(r.statusCode).toBe(404);
    expect(JSON.parse(r.body as string)).toMatchObject({ error: { code: 'PROFILE_NOT_FOUND' } });
  });
});
