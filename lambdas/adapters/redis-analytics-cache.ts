// Cached analytics answers in Redis: one key per query (`analytics(username, hash)` of the key
// set), listed in the profile's analytics index (same hash tag, same slot) so invalidation deletes
// them by exact key (redis-profile-cache.ts INVALIDATE), never by SCAN.
import type { RedisKeys } from './redis-keys.ts';
import type { RedisClient } from './redis-client.ts';

export class RedisAnalyticsCache {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;

  constructor(redis: RedisClient, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async get(username: string, queryHash: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#keys.analytics(username, queryHash))) ?? undefined;
  }

  async set(username: string, queryHash: string, body: string, ttlS: number): Promise<void> {
    const key = this.#keys.analytics(username, queryHash);
    const index = this.#keys.analyticsIndex(username);
    const ttl = Math.max(1, Math.ceil(ttlS));
    // One transaction on one slot: the entry never exists without its index membership.
    const res = await this.#redis.multi().set(key, body, 'EX', ttl).sadd(index, key).expire(index, ttl).exec();
    const failed = res?.find(([err]) => err);
    if (failed) throw failed[0];
  }
}
