import { describe, expect, it } from 'vitest';
import { redisKeys } from '../../../lambdas/adapters/redis-keys.ts';
import { RedisProfileCache } from '../../../lambdas/adapters/redis-profile-cache.ts';
import { ProfileInvalidator } from '../../../lambdas/core/invalidation.ts';
import { DependencyUnavailableError } from '../../../lambdas/shared/errors.ts';
import type { RedisClient } from '../../../lambdas/adapters/redis-client.ts';

describe('ProfileInvalidator', () => {
  const build = (mapping: Record<string, string>, failOn?: string) => {
    const invalidated: string[] = [];
    const inv = new ProfileInvalidator({
      invalidate: async (u) => {
        if (u === failOn) throw new Error('redis down');
        invalidated.push(u);
        return 1;
      },
      usernameForId: async (id) => mapping[id],
    });
    return { inv, invalidated };
  };

  it('invalidates both the named username and the one the id maps to (a rename)', async () => {
    const { inv, invalidated } = build({ p1: 'old_name' });
    expect(await inv.invalidateProfile({ profileId: 'p1', username: 'new_name' })).toEqual(['new_name', 'old_name']);
    expect(invalidated).toEqual(['new_name', 'old_name']);
  });

  it('invalidates once when both agree', async () => {
    const { inv, invalidated } = build({ p1: 'alice' });
    await inv.invalidateProfile({ profileId: 'p1', username: 'alice' });
    expect(invalidated).toEqual(['alice']);
  });

  it('has nothing to invalidate for a profile never cached', async () => {
    const { inv, invalidated } = build({});
    expect(await inv.invalidateProfile({ profileId: 'unknown' })).toEqual([]);
    expect(invalidated).toEqual([]);
  });

  it('turns a cache failure into DependencyUnavailableError', async () => {
    const { inv } = build({}, 'alice');
    await expect(inv.invalidateProfile({ username: 'alice' })).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});

describe('RedisProfileCache.invalidate key set', () => {
  it('passes exactly the snapshot, analytics index and lock keys to one script (no KEYS/SCAN)', async () => {
    const calls: unknown[][] = [];
    const redis = {
      eval: async (...args: unknown[]) => {
        calls.push(args);
        return 3;
      },
    } as unknown as RedisClient;
    await new RedisProfileCache(redis, redisKeys('run1:')).invalidate('alice');
    expect(calls).toHaveLength(1);
    const [script, numKeys, ...keys] = calls[0] as [string, number, ...string[]];
    expect(numKeys).toBe(3);
    expect(keys).toEqual(['run1:{alice}:profile', 'run1:{alice}:analytics', 'run1:{alice}:lock']);
    expect(script).toContain('SMEMBERS');
    expect(script).not.toMatch(/'KEYS'|'SCAN'/i);
  });
});
