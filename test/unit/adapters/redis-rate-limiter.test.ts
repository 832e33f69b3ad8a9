import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../../lambdas/adapters/redis-client.ts';
import { redisKeys } from '../../../lambdas/adapters/redis-keys.ts';
import { RedisRateLimiter } from '../../../lambdas/adapters/redis-rate-limiter.ts';
import { CircuitBreaker } from '../../../lambdas/core/circuit-breaker.ts';
import { FakeClock } from '../../helpers/fakes.ts';

/** A connected Redis whose script calls fail (time out) or answer "allowed". */
const fakeRedis = () => {
  const state = { calls: 0, failing: true };
  const redis = {
    status: 'ready',
    eval: async () => {
      state.calls++;
      if (state.failing) throw new Error('Command timed out');
      return [1, 0];
    },
  };
  return { redis: redis as unknown as RedisClient, state };
};

describe('RedisRateLimiter with the Redis breaker', () => {
  it('stops calling Redis once the breaker opens (the in-process bucket answers), and resumes after a trial', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ failures: 2, cooldownMs: 1_000, clock });
    const { redis, state } = fakeRedis();
    const limiter = new RedisRateLimiter(redis, redisKeys('t:'), 'key', 600, breaker);
    for (let i = 0; i < 5; i++) expect((await limiter.take()).allowed).toBe(true);
    expect(state.calls).toBe(2);
    expect(breaker.state()).toBe('open');
    clock.advance(1_000);
    state.failing = false;
    await limiter.take();
    expect(breaker.state()).toBe('closed');
    await limiter.take();
    expect(state.calls).toBe(4);
  });

  it('works without a breaker as before: every take asks Redis, failures fall back', async () => {
    const { redis, state } = fakeRedis();
    const limiter = new RedisRateLimiter(redis, redisKeys('t:'), 'key', 600);
    for (let i = 0; i < 3; i++) await limiter.take();
    expect(state.calls).toBe(3);
  });
});
