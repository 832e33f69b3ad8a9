// The HTTP rules for teams that embed profiles, over HTTP against the real local stack: HEAD on
// every GET route, CORS on the public routes only (answers and preflights), If-Modified-Since,
// Age, the caching headers for caches in front, and disabled links kept off every public route.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredRoutes } from '../../lambdas/contracts/routes.ts';
import { assetManifest } from '../../lambdas/pages/asset-manifest.generated.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

const APP = 'https://app.example.com';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with exactly these headers (fetch would add or refuse some, such as Origin). */
const send = (base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });

const PARAMS: Record<string, string> = { username: 'demo', linkId: 'lnk_shop', file: assetManifest['page.css'].file };
const concrete = (template: string): string => template.replace(/\{(\w+)\}/g, (_, name: string) => PARAMS[name]);

/** What may differ between two answers of the same resource a moment apart. */
const VOLATILE = new Set(['date', 'age', 'content-length', 'etag', 'x-cache', 'cache-control', 'cdn-cache-control']);
const stable = (headers: http.IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !VOLATILE.has(name)));

describe('HTTP rules for embedding teams (local stack, CORS_ORIGINS a list)', () => {
  let stack: SpawnedStack;
  const req = (method: string, path: string, headers: Record<string, string> = {}) => send(stack.url, method, path, headers);

  beforeAll(async () => {
    stack = await spawnStack({ CORS_ORIGINS: `${APP},https://b.example.org` });
  });
  afterAll(async () => {
    expect(await stack.stop()).toBe(0);
  });

  it('answers HEAD on every GET route of the table with the GET status and headers, and no body', async () => {
    const gets = declaredRoutes.filter((r) => r.method === 'GET');
    expect(gets.length).toBeGreaterThan(10);
    for (const r of gets) {
      const path = concrete(r.path);
      await req('GET', path); // warm the cache, so both answers below come from the same copy
      const get = await req('GET', path);
      const head = await req('HEAD', path);
      expect({ path, status: head.status, body: head.body }).toEqual({ path, status: get.status, body: '' });
      expect({ path, headers: stable(head.headers) }).toEqual({ path, headers: stable(get.headers) });
      expect(Object.keys(head.headers).sort()).toEqual(Object.keys(get.headers).sort());
    }
    const get = await req('GET', '/api/profiles/demo');
    const head = await req('HEAD', '/api/profiles/demo');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers['cache-control']).toBe(get.headers['cache-control']);
  });

  it('grants an allowed origin on the public JSON reads and the beacon endpoint, errors included', async () => {
    for (const path of ['/api/profiles/demo', '/api/profiles/demo/links', '/api/profiles/nobody_here']) {
      const r = await req('GET', path, { origin: APP });
      expect({ path, acao: r.headers['access-control-allow-origin'], vary: r.headers.vary }).toEqual({
        path,
        acao: APP,
        vary: 'Origin',
      });
      expect(r.headers['access-control-expose-headers']).toContain('etag');
    }
    const beacon = await req('POST', '/api/events', { origin: APP, 'content-type': 'application/json' });
    expect(beacon.status).toBe(400); // no body: refused, and still readable by the page that sent it
    expect(beacon.headers['access-control-allow-origin']).toBe(APP);
    const other = await req('GET', '/api/profiles/demo', { origin: 'https://evil.example' });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers.vary).toBe('Origin');
  });

  it('grants no cross-origin access on private routes, pages, the dashboard or redirects', async () => {
    const token = { authorization: `Bearer ${stack.adminToken}` };
    const cases: [string, string, Record<string, string>][] = [
      ['GET', '/api/profiles/demo/analytics', token],
      ['GET', '/api/profiles/demo/analytics', {}],
      ['POST', '/api/cache/invalidate/demo', {}],
      ['GET', '/demo', {}],
      ['GET', '/dashboard/demo', {}],
      ['GET', '/r/demo/lnk_shop', { 'user-agent': 'curl/8' }],
      ['GET', '/health', {}],
    ];
    for (const [method, path, headers] of cases) {
      const r = await req(method, path, { origin: APP, ...headers });
      expect({ method, path, acao: r.headers['access-control-allow-origin'] }).toEqual({ method, path, acao: undefined });
    }
    expect((await req('GET', '/api/profiles/demo/analytics', { origin: APP, ...token })).status).toBe(200);
  });

  it('answers preflights on the CORS paths only, granting only their CORS methods', async () => {
    const pre = await req('OPTIONS', '/api/profiles/demo', {
      origin: APP,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'if-none-match',
    });
    expect(pre.status).toBe(204);
    expect(pre.headers).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, HEAD',
      'access-control-max-age': '7200',
    });
    expect(pre.headers['access-control-allow-headers']).toMatch(/content-type.*if-none-match/);
    const beacon = await req('OPTIONS', '/api/events', { origin: APP, 'access-control-request-method': 'POST' });
    expect([beacon.status, beacon.headers['access-control-allow-methods']]).toEqual([204, 'POST']);
    // PATCH .../links is the admin's: its preflight gets no grant, and private paths have no preflight route.
    const patch = await req('OPTIONS', '/api/profiles/demo/links', { origin: APP, 'access-control-request-method': 'PATCH' });
    expect(patch.status).toBe(204);
    expect(patch.headers['access-control-allow-origin']).toBeUndefined();
    const stranger = await req('OPTIONS', '/api/profiles/demo', {
      origin: 'https://evil.example',
      'access-control-request-method': 'GET',
    });
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    for (const path of ['/api/profiles/demo/analytics', '/api/cache/invalidate/demo', '/webhooks/linktree', '/demo']) {
      const r = await req('OPTIONS', path, { origin: APP, 'access-control-request-method': 'POST' });
      expect({ path, status: r.status, acao: r.headers['access-control-allow-origin'] }).toEqual({
        path,
        status: 404,
        acao: undefined,
      });
    }
  });

  it('answers If-Modified-Since with 304, after If-None-Match', async () => {
    const first = await req('GET', '/api/profiles/demo');
    const lastModified = first.headers['last-modified'] as string;
    expect(lastModified).toMatch(/GMT$/);
    const since = await req('GET', '/api/profiles/demo', { 'if-modified-since': lastModified });
    expect([since.status, since.body]).toEqual([304, '']);
    expect(since.headers.etag).toBe(first.headers.etag);
    const older = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await req('GET', '/api/profiles/demo', { 'if-modified-since': older })).status).toBe(200);
    expect((await req('GET', '/api/profiles/demo', { 'if-modified-since': 'not a date' })).status).toBe(200);
    const both = await req('GET', '/api/profiles/demo', { 'if-none-match': '"other"', 'if-modified-since': lastModified });
    expect(both.status).toBe(200);
  });

  it('carries Age on cached answers and the headers that keep caches in front within their bound', async () => {
    await req('GET', '/api/profiles/demo');
    const hit = await req('GET', '/api/profiles/demo');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(Number(hit.headers.age)).toBeGreaterThanOrEqual(0);
    for (const path of ['/api/profiles/demo', '/api/profiles/demo/links', '/demo']) {
      const r = await req('GET', path);
      expect({ path, cc: r.headers['cache-control'], cdn: r.headers['cdn-cache-control'] }).toEqual({
        path,
        cc: 'public, max-age=5, s-maxage=5, stale-if-error=86400',
        cdn: 'max-age=5, stale-if-error=86400',
      });
      expect([r.headers['surrogate-key'], r.headers['cache-tag']]).toEqual(['profile:demo', 'profile:demo']);
    }
    const missing = await req('GET', '/api/profiles/nobody_here');
    expect([missing.status, missing.headers['cache-control'], missing.headers['surrogate-key']]).toEqual([
      404,
      'public, max-age=60',
      'profile:nobody_here',
    ]);
  });

  it("never lets the demo profile's disabled link (lnk_old) out through a public route", async () => {
    const profile = await req('GET', '/api/profiles/demo');
    const links = JSON.parse(profile.body).links as { id: string; enabled: boolean; position: number }[];
    expect(links.map((l) => l.id)).toEqual(['lnk_portfolio', 'lnk_shop', 'lnk_newsletter']);
    expect(links.every((l) => l.enabled)).toBe(true);
    for (const path of ['/api/profiles/demo', '/api/profiles/demo/links', '/demo']) {
      const r = await req('GET', path);
      expect(r.status).toBe(200);
      expect({ path, leaks: r.body.includes('lnk_old') || r.body.includes('Old blog') }).toEqual({ path, leaks: false });
    }
    for (const method of ['GET', 'HEAD']) {
      const r = await req(method, '/r/demo/lnk_old', { 'user-agent': 'curl/8' });
      expect({ method, status: r.status, location: r.headers.location }).toEqual({ method, status: 404, location: undefined });
    }
  });
});
