// Redis key names, in one place. Every key about one profile carries the `{username}` hash tag,
// so in cluster mode they live on one slot: invalidation is one atomic multi-key operation.

const tag = (username: string): string => `lc:{${username}}`;

export const keys = {
  /** The cached origin snapshot (or a negative entry) of a profile. */
  profile: (username: string): string => `${tag(username)}:profile`,
  /** Lock electing a single origin caller across processes. */
  lock: (username: string): string => `${tag(username)}:lock`,
  /** Cached analytics summary for one query; listed in `analyticsIndex` for exact invalidation. */
  analytics: (username: string, queryHash: string): string => `${tag(username)}:analytics:${queryHash}`,
  /** Set of the analytics keys cached for a profile, so invalidation needs no SCAN. */
  analyticsIndex: (username: string): string => `${tag(username)}:analytics`,
  /** profileId → username, maintained by the read path for webhooks that only carry the id. */
  profileId: (profileId: string): string => `lc:id:{${profileId}}`,
  /** Origin token bucket per API key (hashed, never the key itself). */
  rateBucket: (apiKeyHash: string): string => `lc:rate:{${apiKeyHash}}`,
};
