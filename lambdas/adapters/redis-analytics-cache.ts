// Cached analytics answers in Redis: one key per query (`keys.analytics(username, hash)`), listed
// in the profile's analytics index (same hash tag, same slot) so invalidation deletes them by
// exact key (redis-profile-cache.ts INVALIDATE), never by SCAN.
import { keys } from './redis-keys.ts';
import type { RedisClient } from './redis-client.ts';

export class RedisAnalyticsCache {
  readonly #redis: RedisClient;

  constructor(redis: RedisClient) {
    this.#redis = redis;
  }

  async get(username: string, queryHash: string): Promise<string | undefined> {
    return (await this.#redis.get(keys.analytics(username, queryHash))) ?? undefined;
  }

  async set(username: string, queryHash: string, body: string, ttlS: number): Promise<void> {
    const key = keys.analytics(username, queryHash);
    const index = keys.analyticsIndex(username);
    const ttl = Math.max(1, Math.ceil(ttlS));
    // One transaction on one slot: the entry never exists without its index membership.
    const res = await this.#redis.multi().set(key, body, 'EX', ttl).sadd(index, key).expire(index, ttl).exec();
    const failed = res?.find(([err]) => err);
    if (failed) throw failed[0];
  }
}
