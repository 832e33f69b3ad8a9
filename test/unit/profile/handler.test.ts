import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryProfileCache } from '../../../lambdas/adapters/memory-profile-cache.ts';
import { ProfileService } from '../../../lambdas/core/profile-service.ts';
import { makeHandler } from '../../../lambdas/profile/handler.ts';
import { readPathSettings } from '../../../lambdas/config/config.ts';
import { parseConfig } from '../../../lambdas/config/variables.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { apiEvent, lambdaContext } from '../../helpers/events.ts';
import { FakeClock, FakeOrigin, FakeSnapshotCache, makeProfile } from '../../helpers/fakes.ts';
import { registerHealthCheck } from '../../../lambdas/shared/health.ts';
import { configureCors } from '../../../lambdas/shared/cors.ts';

const setup = () => {
  const config = readPathSettings(parseConfig({}));
  const origin = new FakeOrigin(makeProfile('demo'));
  const l1 = new MemoryProfileCache({ maxEntries: 10, maxBytes: 1 << 20, retainMs: 60_000 });
  const l2 = new FakeSnapshotCache();
  const clock = new FakeClock();
  const service = new ProfileService({ config: config.cache, l1, l2, origin, clock });
  const handler = makeHandler({ service, config, l1 });
  const call = (input: Parameters<typeof apiEvent>[0]) => handler(apiEvent(input), lambdaContext()) as Promise<HttpResult>;
  return { call, origin, l2, clock };
};

const get = (username: string, headers: Record<string, string> = {}) => ({
  route: '/api/profiles/{username}',
  pathParameters: { username },
  headers,
});

describe('GET /api/profiles/{username}', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('answers 200 with the profile, a strong ETag, Cache-Control and X-Cache', async () => {
    const miss = await t.call(get('demo'));
    expect(miss.statusCode).toBe(200);
    expect(JSON.parse(miss.body as string)).toMatchObject({ id: 'prof_demo', username: 'demo' });
    expect(miss.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(miss.headers['cache-control']).toMatch(/^public, max-age=\d+/);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.headers['content-type']).toMatch(/application\/json/);
    const hit = await t.call(get('demo'));
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers.etag).toBe(miss.headers.etag);
  });

  it('answers 304 with no body when If-None-Match carries the current ETag', async () => {
    const first = await t.call(get('demo'));
    const again = await t.call(get('demo', { 'If-None-Match': `"other", ${first.headers.etag}` }));
    expect(again.statusCode).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.etag).toBe(first.headers.etag);
    const changed = await t.call(get('demo', { 'If-None-Match': '"stale-tag"' }));
    expect(changed.statusCode).toBe(200);
  });

  it('treats usernames case-insensitively (one cache entry, one origin call)', async () => {
    await t.call(get('demo'));
    const r = await t.call(get('DEMO'));
    expect(r.statusCode).toBe(200);
    expect(t.origin.calls).toBe(1);
  });

  it('answers 400 INVALID_USERNAME for a username outside the pattern, without touching the cache', async () => {
    for (const bad of ['bad!name', 'a'.repeat(31), 'x y', '']) {
      const r = await t.call(get(bad));
      expect(r.statusCode).toBe(400);
      expect(JSON.parse(r.body as string).error.code).toBe('INVALID_USERNAME');
    }
    expect(t.origin.calls).toBe(0);
  });

  it('answers 404 PROFILE_NOT_FOUND, cacheable for the negative TTL', async () => {
    const r = await t.call(get('ghost'));
    expect(r.statusCode).toBe(404);
    expect(JSON.parse(r.body as string)).toEqual({ error: { code: 'PROFILE_NOT_FOUND', message: expect.any(String) } });
    expect(r.headers['cache-control']).toBe('public, max-age=60');
    // Purged with the profile when it appears.
    expect(r.headers['surrogate-key']).toBe('profile:ghost');
    expect(r.headers['cache-tag']).toBe('profile:ghost');
    await t.call(get('ghost'));
    expect(t.origin.calls).toBe(1);
  });

  it('answers 503 ORIGIN_UNAVAILABLE with Retry-After when the origin fails and nothing is cached', async () => {
    t.origin.failing = true;
    const r = await t.call(get('demo'));
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('7');
    expect(JSON.parse(r.body as string).error.code).toBe('ORIGIN_UNAVAILABLE');
  });

  it('answers STALE from the old copy when the origin fails after the TTL', async () => {
    await t.call(get('demo'));
    t.clock.advance(301_000);
    t.origin.failing = true;
    const r = await t.call(get('demo'));
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-cache']).toBe('STALE');
    expect(r.headers['cache-control']).toMatch(/max-age=0/);
  });
});

describe('GET /api/profiles/{username}/links', () => {
  it('answers the enabled links by position', async () => {
    const t = setup();
    const r = await t.call({ route: '/api/profiles/{username}/links', pathParameters: { username: 'demo' } });
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body as string).links.map((l: { id: string }) => l.id)).toEqual(['a', 'b']);
  });
});

describe('GET /health', () => {
  it('reports each dependency and degrades when one is down', async () => {
    const t = setup();
    // What the read path's wiring registers when no REDIS_URL is set.
    registerHealthCheck('redis', async () => ({ status: 'disabled', detail: 'REDIS_URL is not set' }));
    const r = await t.call({ route: '/health' });
    expect(r.statusCode).toBe(200);
    const body = JSON.parse(r.body as string);
    expect(body.dependencies.l1.status).toBe('up');
    // L2 is off, which the route reports as degraded.
    expect(body.dependencies.redis.status).toBe('disabled');
    expect(body.status).toBe('degraded');
    expect(r.headers['cache-control']).toBe('no-store');
  });
});

describe('public answers never carry a disabled link', () => {
  it('drops disabled links from the profile JSON (enabled only, by position), the rest as the origin gave it', async () => {
    const t = setup();
    const r = await t.call(get('demo'));
    const body = JSON.parse(r.body as string);
    expect(body.links.map((l: { id: string }) => l.id)).toEqual(['a', 'b']);
    expect(r.body).not.toContain('"off"');
    expect(body).toMatchObject({ id: 'prof_demo', username: 'demo', displayName: 'The demo', bio: 'bio' });
    expect(Object.keys(body)).toEqual(Object.keys(makeProfile('demo')));
  });
});

describe('the HTTP rules of every cached read', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });
  afterEach(() => configureCors(undefined));

  it('answers HEAD like GET: same status and headers, 304 and 404 included', async () => {
    const routes = ['/api/profiles/{username}', '/api/profiles/{username}/links', '/{username}'];
    for (const route of routes) {
      for (const username of ['demo', 'ghost']) {
        const input = { route, pathParameters: { username } };
        await t.call(input); // warm: both answers below come from the same cached copy
        const g = await t.call(input);
        const h = await t.call({ ...input, method: 'HEAD' });
        expect({ route, username, status: h.statusCode, headers: h.headers }).toEqual({
          route,
          username,
          status: g.statusCode,
          headers: g.headers,
        });
      }
    }
    const first = await t.call(get('demo'));
    const head304 = await t.call({ ...get('demo', { 'if-none-match': first.headers.etag }), method: 'HEAD' });
    expect(head304.statusCode).toBe(304);
  });

  it('answers If-Modified-Since with 304 when there is no If-None-Match', async () => {
    const first = await t.call(get('demo'));
    expect(first.headers['last-modified']).toBe('Thu, 01 Jan 2026 00:00:00 GMT');
    expect((await t.call(get('demo', { 'if-modified-since': first.headers['last-modified'] }))).statusCode).toBe(304);
    expect((await t.call(get('demo', { 'if-modified-since': 'Wed, 31 Dec 2025 23:59:59 GMT' }))).statusCode).toBe(200);
  });

  it('says how old a cached copy is (Age) on hits, none on the miss that fetched it', async () => {
    const miss = await t.call(get('demo'));
    expect(miss.headers.age).toBeUndefined();
    t.clock.advance(2_500);
    const hit = await t.call(get('demo'));
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers.age).toBe('2');
  });

  it('carries the CDN policy and tags on every cacheable answer of the profile', async () => {
    for (const route of ['/api/profiles/{username}', '/api/profiles/{username}/links', '/{username}']) {
      const r = await t.call({ route, pathParameters: { username: 'Demo' } });
      expect({
        route,
        cc: r.headers['cache-control'],
        cdn: r.headers['cdn-cache-control'],
        tag: r.headers['surrogate-key'],
      }).toEqual({
        route,
        cc: 'public, max-age=5, s-maxage=5, stale-if-error=86400',
        cdn: 'max-age=5, stale-if-error=86400',
        tag: 'profile:demo',
      });
      expect(r.headers['cache-tag']).toBe('profile:demo');
    }
  });

  it('grants CORS_ORIGINS on the JSON reads and their errors, never on the page or /health', async () => {
    configureCors('https://app.example.com');
    const origin = { origin: 'https://app.example.com' };
    const ok = await t.call(get('demo', origin));
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(ok.headers.vary).toBe('Origin');
    const missing = await t.call(get('ghost', origin));
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await t.call(get('demo', { origin: 'https://evil.example' }));
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    for (const input of [
      { route: '/{username}', pathParameters: { username: 'demo' }, headers: origin },
      { route: '/health', headers: origin },
    ]) {
      expect((await t.call(input)).headers['access-control-allow-origin']).toBeUndefined();
    }
    const pre = await t.call({
      method: 'OPTIONS',
      route: '/api/profiles/{username}',
      pathParameters: { username: 'demo' },
      headers: { ...origin, 'access-control-request-method': 'GET' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-methods']).toBe('GET, HEAD');
    expect(t.origin.calls).toBe(2);
  });
});
