import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../lambdas/adapters/redis-client.ts';
import { RedisHotSet } from '../../lambdas/adapters/redis-hot-set.ts';
import { redisKeys } from '../../lambdas/adapters/redis-keys.ts';
import { CircuitBreaker } from '../../lambdas/core/circuit-breaker.ts';
import { connectRedis, deleteTestKeys, TEST_KEY_PREFIX } from '../helpers/redis.ts';

let a: RedisClient;
let b: RedisClient;
beforeAll(async () => {
  a = await connectRedis();
  b = await connectRedis();
});
afterAll(async () => {
  await deleteTestKeys(a);
  a.disconnect();
  b.disconnect();
});

const HOT_MS = 60_000;
let run = 0;
/** A key space of its own per test (the hot set is one pair of keys per prefix). */
const fresh = () => redisKeys(`${TEST_KEY_PREFIX}hot${++run}:`);

/** Records land fire-and-forget: wait until the set holds `n` members. */
const settle = async (redis: RedisClient, key: string, n: number) => {
  for (let i = 0; i < 100 && (await redis.zcard(key)) < n; i++) await new Promise((r) => setTimeout(r, 10));
};

describe('RedisHotSet against real Redis', () => {
  it('lists the profiles read within the hot period, never-checked first, then least recently checked', async () => {
    const keys = fresh();
    let t = 1_000_000;
    const one = new RedisHotSet({ redis: a, keys, hotMs: HOT_MS, now: () => t });
    const two = new RedisHotSet({ redis: b, keys, hotMs: HOT_MS, now: () => t });
    for (const name of ['carol', 'alice', 'bob', 'dave']) one.recordRead(name);
    two.recordRead('erin');
    await settle(a, keys.hotReads(), 5);
    t += 1_000;
    await one.markChecked('alice', t - 500);
    await two.markChecked('bob', t - 900);
    // Never checked (carol, dave, erin; by name), then bob (checked earlier), then alice.
    expect(await two.hot(t, HOT_MS, 10)).toEqual(['carol', 'dave', 'erin', 'bob', 'alice']);
    expect(await one.hot(t, HOT_MS, 2)).toEqual(['carol', 'dave']);
    await one.markChecked('carol', t);
    expect(await one.hot(t, HOT_MS, 10)).toEqual(['dave', 'erin', 'bob', 'alice', 'carol']);
  });

  it('prunes reads older than the hot period, with their check times, and does not resurrect them', async () => {
    const keys = fresh();
    let t = 5_000_000;
    const hs = new RedisHotSet({ redis: a, keys, hotMs: HOT_MS, now: () => t });
    hs.recordRead('old');
    await settle(a, keys.hotReads(), 1);
    await hs.markChecked('old', t);
    t += HOT_MS / 2;
    hs.recordRead('recent');
    await settle(a, keys.hotReads(), 2);
    t += HOT_MS / 2 + 1;
    expect(await hs.hot(t, HOT_MS, 10)).toEqual(['recent']);
    expect(await a.zscore(keys.hotReads(), 'old')).toBeNull();
    expect(await a.zscore(keys.hotChecked(), 'old')).toBeNull();
    await hs.markChecked('old', t);
    expect(await a.zscore(keys.hotChecked(), 'old')).toBeNull();
    // A new read makes it hot again, as never checked.
    hs.recordRead('old');
    await settle(a, keys.hotReads(), 2);
    expect(await hs.hot(t, HOT_MS, 10)).toEqual(['old', 'recent']);
  });

  it('keeps the content hash each check saw while the profile is hot, and prunes it with the read', async () => {
    const keys = fresh();
    let t = 7_000_000;
    const hs = new RedisHotSet({ redis: a, keys, hotMs: HOT_MS, now: () => t });
    hs.recordRead('alice');
    hs.recordRead('bob');
    await settle(a, keys.hotReads(), 2);
    await hs.markChecked('alice', t, 'h1');
    await hs.markChecked('bob', t);
    expect(await hs.seen(['alice', 'bob', 'carol'])).toEqual(new Map([['alice', 'h1']]));
    await hs.markChecked('alice', t, 'h2');
    await hs.markChecked('alice', t); // a check without a hash (origin failed) keeps the last one
    expect((await hs.seen(['alice'])).get('alice')).toBe('h2');
    t += HOT_MS + 1;
    expect(await hs.hot(t, HOT_MS, 10)).toEqual([]);
    expect(await hs.seen(['alice'])).toEqual(new Map());
  });

  it('expires its keys a hot period after their last write, under the prefix alone', async () => {
    const keys = fresh();
    const hs = new RedisHotSet({ redis: a, keys, hotMs: HOT_MS });
    hs.recordRead('alice');
    await settle(a, keys.hotReads(), 1);
    await hs.markChecked('alice', Date.now(), 'h');
    for (const key of [keys.hotReads(), keys.hotChecked(), keys.hotSeen()]) {
      expect(key.startsWith(TEST_KEY_PREFIX)).toBe(true);
      const ttl = await a.pttl(key);
      expect(ttl).toBeGreaterThan(HOT_MS - 5_000);
      expect(ttl).toBeLessThanOrEqual(HOT_MS);
    }
  });

  it('keeps at most its cap of profiles, dropping the least recently read', async () => {
    const keys = fresh();
    let t = 9_000_000;
    const hs = new RedisHotSet({ redis: a, keys, hotMs: HOT_MS, maxProfiles: 3, now: () => t });
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      hs.recordRead(name);
      await settle(a, keys.hotReads(), Math.min(3, Number(name.slice(1))));
      t += 1;
    }
    hs.recordRead('p2'); // already gone: comes back as the most recent
    await new Promise((r) => setTimeout(r, 50));
    expect(await hs.hot(t, HOT_MS, 10)).toEqual(['p2', 'p4', 'p5']);
  });

  it('records nothing while the breaker is open', async () => {
    const keys = fresh();
    let t = 0;
    const breaker = new CircuitBreaker({ failures: 1, cooldownMs: 60_000, clock: { now: () => t } });
    breaker.failure();
    const hs = new RedisHotSet({ redis: a, keys, hotMs: HOT_MS, breaker, now: () => t });
    hs.recordRead('alice');
    await new Promise((r) => setTimeout(r, 50));
    expect(await a.exists(keys.hotReads())).toBe(0);
    t += 60_001;
    hs.recordRead('alice'); // the half-open trial
    await settle(a, keys.hotReads(), 1);
    expect(await hs.hot(t, HOT_MS, 10)).toEqual(['alice']);
    expect(breaker.state()).toBe('closed');
  });
});
