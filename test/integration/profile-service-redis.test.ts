// Two ProfileService instances (two "processes": separate L1s) over the real Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryProfileCache } from '../../lambdas/adapters/memory-profile-cache.ts';
import { RedisProfileCache } from '../../lambdas/adapters/redis-profile-cache.ts';
import { ProfileService } from '../../lambdas/core/profile-service.ts';
import { profileView } from '../../lambdas/profile/views.ts';
import type { RedisClient } from '../../lambdas/adapters/redis-client.ts';
import { cacheConfig, FakeOrigin, makeProfile } from '../helpers/fakes.ts';
import { connectRedis, deleteTestKeys, testKeys, uniqueUsername } from '../helpers/redis.ts';

let r1: RedisClient;
let r2: RedisClient;
beforeAll(async () => {
  r1 = await connectRedis();
  r2 = await connectRedis();
});
afterAll(async () => {
  await deleteTestKeys(r1);
  r1.disconnect();
  r2.disconnect();
});

const instance = (redis: RedisClient, origin: FakeOrigin) =>
  new ProfileService({
    config: cacheConfig(),
    l1: new MemoryProfileCache({ maxEntries: 100, maxBytes: 1 << 20, retainMs: 60_000 }),
    l2: new RedisProfileCache(redis, testKeys),
    origin,
  });

describe('ProfileService over real Redis', () => {
  it('makes one origin call for concurrent cold misses across two processes', async () => {
    const u = uniqueUsername('stampede');
    const origin = new FakeOrigin(makeProfile(u));
    let release!: () => void;
    origin.gate = new Promise<void>((r) => {
      release = r;
    });
    const a = instance(r1, origin);
    const b = instance(r2, origin);
    const pending = Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).view(profileView, u));
    setTimeout(release, 150);
    const results = await Promise.all(pending);
    expect(origin.calls).toBe(1);
    expect(results.every((r) => JSON.parse(r.body).username === u)).toBe(true);
    await a.invalidate(u);
  });

  it('serves a second process from L2 without calling the origin', async () => {
    const u = uniqueUsername('shared');
    const origin = new FakeOrigin(makeProfile(u));
    await instance(r1, origin).view(profileView, u);
    const r = await instance(r2, origin).view(profileView, u);
    expect(r.outcome).toBe('HIT');
    expect(origin.calls).toBe(1);
    await instance(r1, origin).invalidate(u);
  });

  it('invalidation in one process is seen by another once its L1 entry lapses', async () => {
    const u = uniqueUsername('inval');
    const origin = new FakeOrigin(makeProfile(u, { bio: 'v1' }));
    const reader = new ProfileService({
      config: cacheConfig({ l1TtlS: 0 }),
      l1: new MemoryProfileCache({ maxEntries: 100, maxBytes: 1 << 20, retainMs: 60_000 }),
      l2: new RedisProfileCache(r1, testKeys),
      origin,
    });
    expect(JSON.parse((await reader.view(profileView, u)).body).bio).toBe('v1');
    origin.profiles.set(u, makeProfile(u, { bio: 'v2' }));
    await instance(r2, origin).invalidate(u);
    expect(JSON.parse((await reader.view(profileView, u)).body).bio).toBe('v2');
    await reader.invalidate(u);
  });
});
