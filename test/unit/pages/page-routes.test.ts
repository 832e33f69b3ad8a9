// The profile function's page route (GET /{username}); the dashboard and the static files are the
// site function's (test/unit/site/handler.test.ts).
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { demoProfiles } from '../../../local/demo-profiles.ts';
import { RESERVED_SEGMENTS } from '../../../lambdas/pages/static-routes.ts';
import { makeHandler } from '../../../lambdas/profile/handler.ts';
import { apiEvent } from '../../helpers/events.ts';
import { demoHandler, expectHtmlError } from '../../helpers/pages.ts';
import { styleHash } from '../../../lambdas/pages/theme.ts';

// Counts the page's CSP hashing (the costly part of its headers) while keeping the real hash.
vi.mock('../../../lambdas/pages/theme.ts', async (importOriginal) => {
  const theme = await importOriginal<typeof import('../../../lambdas/pages/theme.ts')>();
  return { ...theme, styleHash: vi.fn(theme.styleHash) };
});

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
    expect(miss.headers['cache-control']).toBe('public, max-age=5, s-maxage=5, stale-if-error=86400');
    expect(miss.headers['surrogate-key']).toBe('profile:demo');
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

describe('the page headers, memoized with the body', () => {
  const hashes = vi.mocked(styleHash);
  const get = (headers: Record<string, string> = {}) => page('demo', { host: 'links.example.com', ...headers });

  it('computes the CSP (with its style hash) once per snapshot, not per hit or 304', async () => {
    const t = setup();
    hashes.mockClear();
    const first = await t.call(get());
    for (let i = 0; i < 5; i++) await t.call(get());
    for (let i = 0; i < 5; i++) expect((await t.call(get({ 'if-none-match': first.headers.etag }))).statusCode).toBe(304);
    expect(hashes).toHaveBeenCalledTimes(1);

    // A new snapshot with another theme: hashed once more, and the CSP follows the new stylesheet.
    t.origin.profiles.set('demo', { ...demoProfiles()[0], theme: { background: '#000000' } });
    await t.service.invalidate('demo');
    const next = await t.call(get());
    await t.call(get());
    expect(hashes).toHaveBeenCalledTimes(2);
    const css = /<style>([^<]*)<\/style>/.exec(next.body as string)![1];
    expect(next.headers['content-security-policy']).toContain(`'sha256-${createHash('sha256').update(css).digest('base64')}'`);
    expect(next.headers['content-security-policy']).not.toBe(first.headers['content-security-policy']);
  });

  it('sends a 304 the same headers as the 200 it revalidates, less the content type', async () => {
    const t = setup();
    await t.call(get());
    const hit = await t.call(get());
    const notModified = await t.call(get({ 'if-none-match': hit.headers.etag }));
    const { 'content-type': contentType, ...rest } = hit.headers;
    expect(contentType).toBe('text/html; charset=utf-8');
    expect(notModified.headers).toEqual(rest);
    expect(notModified.headers['content-security-policy']).toMatch(/style-src 'self' 'sha256-/);
  });

  it('gives each response its own headers object: changing one does not leak into the next', async () => {
    const t = setup();
    const a = await t.call(get());
    const csp = a.headers['content-security-policy'];
    a.headers['content-security-policy'] = 'tampered';
    a.headers['x-extra'] = '1';
    const b = await t.call(get());
    expect(b.headers['x-cache']).toBe('HIT');
    expect(b.headers['content-security-policy']).toBe(csp);
    expect(b.headers['x-extra']).toBeUndefined();
  });
});
