// Real Redis for integration tests (127.0.0.1:6379, started by .ci/run), plus unique key spaces:
// every key a test run writes is under TEST_KEY_PREFIX, never a dev stack's `lc:`.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis, type RedisClient, waitReady } from '../../lambdas/adapters/redis-client.ts';
import { type RedisKeys, redisKeys } from '../../lambdas/adapters/redis-keys.ts';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One prefix per test process: runs on the same Redis, and any dev stack, never share a key. */
export const TEST_KEY_PREFIX = `t:${process.pid}:${Date.now().toString(36)}:`;

/** The key set the tests' adapters use (and tests inspect). */
export const testKeys: RedisKeys = redisKeys(TEST_KEY_PREFIX);

export const connectRedis = async (url = REDIS_URL): Promise<RedisClient> => {
  const client = createRedis(
    {
      url,
      cluster: false,
      readFromReplicas: false,
      connectTimeoutMs: 1_000,
      commandTimeoutMs: 1_000,
      keyPrefix: TEST_KEY_PREFIX,
    },
    () => {},
  ) as RedisClient;
  if (!(await waitReady(client, 3_000))) throw new Error(`Redis is not reachable at ${url}: integration tests need it`);
  return client;
};

/**
 * Deletes every key this test run wrote (the id mappings outlive invalidation by design). A SCAN
 * is fine here: the prefix is this run's alone.
 */
export const deleteTestKeys = async (redis: RedisClient): Promise<void> => {
  if (redis.status !== 'ready') return;
  let cursor = '0';
  do {
    const [next, found] = await (redis as Redis).scan(cursor, 'MATCH', `${TEST_KEY_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) await redis.del(...found);
  } while (cursor !== '0');
};

/** A username no other test run uses. */
export const uniqueUsername = (prefix = 't'): string => `${prefix}_${randomBytes(5).toString('hex')}`;
