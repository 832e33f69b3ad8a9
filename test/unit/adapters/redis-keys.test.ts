import { describe, expect, it } from 'vitest';
import { RedisAnalyticsCache } from '../../../lambdas/adapters/redis-analytics-cache.ts';
import type { RedisClient } from '../../../lambdas/adapters/redis-client.ts';
import { DEFAULT_KEY_PREFIX, type RedisKeys, redisKeys } from '../../../lambdas/adapters/redis-keys.ts';
import { RedisProfileCache } from '../../../lambdas/adapters/redis-profile-cache.ts';
import { RedisRateLimiter } from '../../../lambdas/adapters/redis-rate-limiter.ts';
import type { Snapshot } from '../../../lambdas/core/ports.ts';
import { makeProfile } from '../../helpers/fakes.ts';

const PREFIX = 't:123:abc:';

/** Every key function of the set, called with sample arguments. */
const allKeys = (k: RedisKeys, username: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, fn] of Object.entries(k)) {
    if (typeof fn === 'function') out[name] = (fn as (a: string, b: string) => string)(username, 'q1');
  }
  return out;
};

const hashTags = (key: string): string[] => [...key.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);

describe('redisKeys', () => {
  it('puts every key under the prefix, with exactly one hash tag', () => {
    const keys = allKeys(redisKeys(PREFIX), 'alice');
    expect(Object.keys(keys).sort()).toEqual([
      'analytics',
      'analyticsIndex',
      'hotChecked',
      'hotReads',
      'hotSeen',
      'lock',
      'profile',
      'profileId',
      'rateBucket',
      'watchRateBucket',
    ]);
    for (const key of Object.values(keys)) {
      expect(key.startsWith(PREFIX)).toBe(true);
      expect(hashTags(key)).toHaveLength(1);
    }
  });

  it('keeps one hash tag per profile, the same as under the default prefix (same cluster slot)', () => {
    const mine = redisKeys(PREFIX);
    const dflt = redisKeys(DEFAULT_KEY_PREFIX);
    const profileKeys = (k: RedisKeys) => [
      k.profile('alice'),
      k.lock('alice'),
      k.analytics('alice', 'q'),
      k.analyticsIndex('alice'),
    ];
    for (const key of profileKeys(mine)) expect(hashTags(key)).toEqual(['alice']);
    expect(profileKeys(mine).map(hashTags)).toEqual(profileKeys(dflt).map(hashTags));
    expect(hashTags(mine.profileId('p1'))).toEqual(hashTags(dflt.profileId('p1')));
    expect(new Set(profileKeys(mine)).size).toBe(4);
  });

  it('keeps both hot-set keys on one slot (the listing script reads both), apart from any profile', () => {
    const k = redisKeys(PREFIX);
    expect(hashTags(k.hotReads())).toEqual(['watch']);
    expect(hashTags(k.hotChecked())).toEqual(['watch']);
    expect(hashTags(k.hotSeen())).toEqual(['watch']);
    expect(k.hotReads()).not.toBe(k.hotChecked());
    expect(k.watchRateBucket('h')).not.toBe(k.rateBucket('h'));
  });

  it('defaults to lc: (the documented layout) and accepts an empty prefix', () => {
    expect(redisKeys(DEFAULT_KEY_PREFIX).profile('demo')).toBe('lc:{demo}:profile');
    expect(redisKeys('').profile('demo')).toBe('{demo}:profile');
    expect(redisKeys('').profileId('p')).toBe('id:{p}');
  });

  it('refuses a prefix with braces, which would move the hash tag', () => {
    expect(() => redisKeys('a{b}:')).toThrow(/hash tag/);
  });
});

/** A Redis client that records the key of every command it is sent (and answers plausibly). */
const recordingRedis = () => {
  const touched: string[] = [];
  const touch = <T>(value: T, ...keys: string[]): T => {
    touched.push(...keys);
    return value;
  };
  const chain = {
    set: (k: string) => touch(chain, k),
    sadd: (k: string) => touch(chain, k),
    expire: (k: string) => touch(chain, k),
    exec: async () => [],
  };
  const redis = {
    status: 'ready',
    get: async (k: string) => touch(null, k),
    mget: async (...ks: string[]) =>
      touch(
        ks.map(() => null),
        ...ks,
      ),
    set: async (k: string) => touch('OK', k),
    // Scripts get their keys as the first `n` arguments; the token bucket answers [allowed, wait].
    eval: async (script: string, n: number, ...args: unknown[]) =>
      touch(/TIME/.test(script) ? [1, 0] : 1, ...(args.slice(0, n) as string[])),
    multi: () => chain,
  };
  return { redis: redis as unknown as RedisClient, touched };
};

describe('the Redis adapters use only their key set', () => {
  it('profile cache, analytics cache and rate limiter send keys under the prefix alone', async () => {
    const { redis, touched } = recordingRedis();
    const keys = redisKeys(PREFIX);
    const cache = new RedisProfileCache(redis, keys);
    const snapshot: Snapshot = { kind: 'profile', profile: makeProfile('alice'), fetchedAt: 1 };
    await cache.get('alice');
    await cache.poll('alice');
    const token = (await cache.tryLock('alice', 1_000)) as string;
    await cache.set('alice', snapshot, 60, token);
    await cache.set('alice', snapshot, 60);
    await cache.unlock('alice', token);
    await cache.invalidate('alice');
    await cache.usernameForId('prof_alice');
    const analytics = new RedisAnalyticsCache(redis, keys);
    await analytics.get('alice', 'h');
    await analytics.set('alice', 'h', '{}', 60);
    await new RedisRateLimiter(redis, keys, 'api-key', 60).take();
    expect(touched.length).toBeGreaterThan(15);
    for (const k of touched) expect(k.startsWith(PREFIX), k).toBe(true);
    expect(touched).toContain(keys.profileId('prof_alice'));
    expect(touched.at(-1)).toMatch(new RegExp(`^${PREFIX}rate:\\{[0-9a-f]{16}\\}$`));
  });
});
