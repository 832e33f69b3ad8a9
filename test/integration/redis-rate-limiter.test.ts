import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHash, RedisRateLimiter } from '../../lambdas/adapters/redis-rate-limiter.ts';
import type { RedisClient } from '../../lambdas/adapters/redis-client.ts';
import { connectRedis, deleteTestKeys, testKeys } from '../helpers/redis.ts';

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

const drain = async (limiter: RedisRateLimiter, n: number) => {
  let allowed = 0;
  for (let i = 0; i < n; i++) if ((await limiter.take()).allowed) allowed++;
  return allowed;
};

describe('RedisRateLimiter against real Redis', () => {
  it('shares one bucket per API key across processes: the burst is the budget, in total', async () => {
    const key = `key-${randomBytes(4).toString('hex')}`;
    const one = new RedisRateLimiter(a, testKeys, key, 20);
    const two = new RedisRateLimiter(b, testKeys, key, 20);
    const results = await Promise.all([drain(one, 15), drain(two, 15)]);
    expect(results[0] + results[1]).toBe(20);
    const denied = await one.take();
    expect(denied.allowed).toBe(false);
    expect(denied.retryAfterMs).toBeGreaterThan(0);
    expect(denied.retryAfterMs).toBeLessThanOrEqual(3_000); // one token per 60 000 / 20 ms
    await a.del(testKeys.rateBucket(apiKeyHash(key)));
  });

  it('keeps separate budgets for separate keys, and never stores the key itself', async () => {
    const k1 = `key-${randomBytes(4).toString('hex')}`;
    const k2 = `key-${randomBytes(4).toString('hex')}`;
    expect(await drain(new RedisRateLimiter(a, testKeys, k1, 3), 5)).toBe(3);
    expect(await drain(new RedisRateLimiter(a, testKeys, k2, 3), 5)).toBe(3);
    expect(await a.exists(testKeys.rateBucket(apiKeyHash(k1)))).toBe(1);
    expect(testKeys.rateBucket(apiKeyHash(k1))).not.toContain(k1);
    await a.del(testKeys.rateBucket(apiKeyHash(k1)), testKeys.rateBucket(apiKeyHash(k2)));
  });

  it('refills over time on the Redis clock', async () => {
    const key = `key-${randomBytes(4).toString('hex')}`;
    const limiter = new RedisRateLimiter(a, testKeys, key, 120); // one token per 500 ms
    expect(await drain(limiter, 120)).toBe(120);
    expect((await limiter.take()).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 600));
    expect((await limiter.take()).allowed).toBe(true);
    await a.del(testKeys.rateBucket(apiKeyHash(key)));
  });

  it('falls back to an in-process bucket when Redis is unreachable', async () => {
    const dead = await connectRedis();
    dead.disconnect();
    const limiter = new RedisRateLimiter(dead, testKeys, 'whatever', 2);
    expect(await drain(limiter, 5)).toBe(2);
  });
});
