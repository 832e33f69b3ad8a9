import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryProfileCache } from '../../../lambdas/adapters/memory-profile-cache.ts';
import { ProfileService } from '../../../lambdas/core/profile-service.ts';
import { makeHandler } from '../../../lambdas/profile/handler.ts';
import { readPathSettings } from '../../../lambdas/config/config.ts';
import { parseConfig } from '../../../lambdas/config/variables.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { apiEvent, lambdaContext } from '../../helpers/events.ts';
import { FakeClock, FakeOrigin, FakeSnapshotCache, makeProfile } from '../../helpers/fakes.ts';
import { registerHealthCheck } from '../../../lambdas/shared/health.ts';

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
