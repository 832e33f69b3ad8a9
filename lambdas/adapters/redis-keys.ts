// Redis key names, in one place, all under one configured prefix (`REDIS_KEY_PREFIX`) so stacks
// and test runs can share a Redis without seeing each other's keys. Every key about one profile
// carries the `{username}` hash tag, so in cluster mode they live on one slot: invalidation is one
// atomic multi-key operation. The prefix cannot contain braces, so it never moves a key's slot.

export const DEFAULT_KEY_PREFIX = 'lc:';

export interface RedisKeys {
  readonly prefix: string;
  /** The cached origin snapshot (or a negative entry) of a profile. */
  profile(username: string): string;
  /** Lock electing a single origin caller across processes. */
  lock(username: string): string;
  /** Cached analytics summary for one query; listed in `analyticsIndex` for exact invalidation. */
  analytics(username: string, queryHash: string): string;
  /** Set of the analytics keys cached for a profile, so invalidation needs no SCAN. */
  analyticsIndex(username: string): string;
  /** profileId → username, maintained by the read path for webhooks that only carry the id. */
  profileId(profileId: string): string;
  /** Origin token bucket per API key (hashed, never the key itself). */
  rateBucket(apiKeyHash: string): string;
  /** The change watcher's own share of that budget (WATCH_BUDGET_SHARE), per API key. */
  watchRateBucket(apiKeyHash: string): string;
  /** Hot set: username → last read (ms). Shares the `{watch}` tag with `hotChecked` (one slot, one script). */
  hotReads(): string;
  /** Hot set: username → last checked by the watcher (ms). */
  hotChecked(): string;
  /** Hot set: username → content hash the watcher last saw (a hash; same `{watch}` slot). */
  hotSeen(): string;
}

export const redisKeys = (prefix: string): RedisKeys => {
  if (/[{}]/.test(prefix)) throw new Error('a Redis key prefix cannot contain "{" or "}": it would move the hash tag');
  const tag = (username: string): string => `${prefix}{${username}}`;
  return {
    prefix,
    profile: (username) => `${tag(username)}:profile`,
    lock: (username) => `${tag(username)}:lock`,
    analytics: (username, queryHash) => `${tag(username)}:analytics:${queryHash}`,
    analyticsIndex: (username) => `${tag(username)}:analytics`,
    profileId: (profileId) => `${prefix}id:{${profileId}}`,
    rateBucket: (apiKeyHash) => `${prefix}rate:{${apiKeyHash}}`,
    watchRateBucket: (apiKeyHash) => `${prefix}rate:{${apiKeyHash}}:watch`,
    hotReads: () => `${prefix}{watch}:reads`,
    hotChecked: () => `${prefix}{watch}:checked`,
    hotSeen: () => `${prefix}{watch}:seen`,
  };
};
