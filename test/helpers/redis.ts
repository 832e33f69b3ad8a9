// Real Redis for integration tests (127.0.0.1:6379, started by .ci/run), plus unique key spaces.
import { randomBytes } from 'node:crypto';
import { createRedis, type RedisClient, waitReady } from '../../lambdas/adapters/redis-client.ts';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const connectRedis = async (): Promise<RedisClient> => {
  const client = createRedis(
    { url: REDIS_URL, cluster: false, readFromReplicas: false, connectTimeoutMs: 1_000, commandTimeoutMs: 1_000 },
    () => {},
  ) as RedisClient;
  if (!(await waitReady(client, 3_000))) throw new Error(`Redis is not reachable at ${REDIS_URL}: integration tests need it`);
  return client;
};

/** A username no other test run uses. */
export const uniqueUsername = (prefix = 't'): string => `${prefix}_${randomBytes(5).toString('hex')}`;
