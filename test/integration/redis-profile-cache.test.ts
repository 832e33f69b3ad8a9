import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProfileCache } from '../../lambdas/adapters/redis-profile-cache.ts';
import type { Snapshot } from '../../lambdas/core/ports.ts';
import type { RedisClient } from '../../lambdas/adapters/redis-client.ts';
import { DEFAULT_KEY_PREFIX, redisKeys } from '../../lambdas/adapters/redis-keys.ts';
import { makeProfile } from '../helpers/fakes.ts';
import { connectRedis, deleteTestKeys, testKeys, uniqueUsername } from '../helpers/redis.ts';

let redis: RedisClient;
let cache: RedisProfileCache;
beforeAll(async () => {
  redis = await connectRedis();
  cache = new RedisProfileCache(redis, testKeys);
});
afterAll(async () => {
  await deleteTestKeys(redis);
  redis.disconnect();
});

const snap = (username: string, bio = 'b'): Snapshot => ({
  kind: 'profile',
  profile: makeProfile(username, { bio }),
  fetchedAt: Date.now(),
});

describe('RedisProfileCache against real Redis', () => {
  it('round-trips snapshots with the requested TTL, hash-tagged by username', async () => {
    const u = uniqueUsername();
    await cache.set(u, snap(u), 42);
    expect(await cache.get(u)).toMatchObject({ kind: 'profile', profile: { username: u } });
    const ttl = await redis.ttl(testKeys.profile(u));
    expect(ttl).toBeGreaterThan(40);
    expect(ttl).toBeLessThanOrEqual(42);
    expect(testKeys.profile(u)).toContain(`{${u}}`);
    expect(await cache.usernameForId(`prof_${u}`)).toBe(u);
    await cache.invalidate(u);
  });

  it('keeps every key under its own prefix: another prefix (a dev stack’s lc:) sees none of them', async () => {
    const u = uniqueUsername();
    const token = (await cache.tryLock(u, 5_000)) as string;
    await cache.set(u, snap(u), 60, token);
    const dev = redisKeys(DEFAULT_KEY_PREFIX);
    expect(await redis.exists(testKeys.profile(u), testKeys.lock(u), testKeys.profileId(`prof_${u}`))).toBe(3);
    expect(await redis.exists(dev.profile(u), dev.lock(u), dev.profileId(`prof_${u}`))).toBe(0);
    expect(await new RedisProfileCache(redis, dev).get(u)).toBeUndefined();
    await cache.invalidate(u);
    await redis.del(testKeys.profileId(`prof_${u}`));
  });

  it('elects one lock holder, and only the holder releases it', async () => {
    const u = uniqueUsername();
    const token = await cache.tryLock(u, 5_000);
    expect(token).toBeTruthy();
    expect(await cache.tryLock(u, 5_000)).toBeUndefined();
    expect((await cache.poll(u)).locked).toBe(true);
    await cache.unlock(u, 'not-the-token');
    expect((await cache.poll(u)).locked).toBe(true);
    await cache.unlock(u, token as string);
    expect((await cache.poll(u)).locked).toBe(false);
  });

  it('writes under a lock only while the lock stands', async () => {
    const u = uniqueUsername();
    const token = (await cache.tryLock(u, 5_000)) as string;
    expect(await cache.set(u, snap(u, 'one'), 60, token)).toBe(true);
    await cache.invalidate(u); // drops the lock too
    expect(await cache.set(u, snap(u, 'two'), 60, token)).toBe(false);
    expect(await cache.get(u)).toBeUndefined();
  });

  it('invalidates the snapshot, every indexed analytics key and the lock — and nothing else', async () => {
    const u = uniqueUsername();
    const other = uniqueUsername();
    await cache.set(u, snap(u), 60);
    await cache.set(other, snap(other), 60);
    const a1 = testKeys.analytics(u, 'q1');
    const a2 = testKeys.analytics(u, 'q2');
    await redis.set(a1, '{}');
    await redis.set(a2, '{}');
    await redis.sadd(testKeys.analyticsIndex(u), a1, a2);
    await cache.tryLock(u, 5_000);
    const deleted = await cache.invalidate(u);
    expect(deleted).toBe(4); // snapshot, 2 summaries, the index
    expect(await redis.exists(testKeys.profile(u), a1, a2, testKeys.analyticsIndex(u), testKeys.lock(u))).toBe(0);
    expect(await cache.get(other)).toBeDefined();
    await cache.invalidate(other);
  });

  it('reads a corrupt entry as a miss', async () => {
    const u = uniqueUsername();
    await redis.set(testKeys.profile(u), 'not json', 'EX', 60);
    expect(await cache.get(u)).toBeUndefined();
    await redis.del(testKeys.profile(u));
  });
});
