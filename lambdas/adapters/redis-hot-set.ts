// The hot set in Redis, shared by every process on the same Redis: two sorted sets under the one
// `{watch}` hash tag (so the listing script may touch them all in cluster mode), `reads` (username
// → last read, ms) and `checked` (username → last checked by the watcher, ms), plus the hash
// `seen` (username → the content hash the watcher last saw). Recording a read is
// one fire-and-forget script call behind the process's Redis breaker: it never delays a read, and
// a Redis in trouble costs it nothing. All three expire a hot period after their last write, so a
// watcher turned off leaves nothing behind.
import type { CircuitBreaker } from '../core/circuit-breaker.ts';
import { type HotSet, MAX_HOT_PROFILES } from '../core/hot-set.ts';
import type { RedisClient } from './redis-client.ts';
import type { RedisKeys } from './redis-keys.ts';

// Past the cap, the least recently read entries go: reads of ever more distinct profiles (a
// crawler) must not make the listing script, which sorts the whole set, block Redis.
const RECORD = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local cap = tonumber(ARGV[4])
if redis.call('ZCARD', KEYS[1]) > cap then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -cap - 1) end
return 1
`;

// Prunes reads older than the cutoff, and the checks and seen hashes of profiles no longer hot
// (ZINTERSTORE with weight 0 on reads keeps the checked time), then lists the hot ones by last
// check, never-checked first.
const LIST = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('ZINTERSTORE', KEYS[2], 2, KEYS[2], KEYS[1], 'WEIGHTS', 1, 0)
end
for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
  if not redis.call('ZSCORE', KEYS[1], f) then redis.call('HDEL', KEYS[3], f) end
end
local hot = redis.call('ZRANGE', KEYS[1], 0, -1)
local rows = {}
for i, m in ipairs(hot) do
  rows[i] = { m, tonumber(redis.call('ZSCORE', KEYS[2], m) or '0') }
end
table.sort(rows, function(a, b)
  if a[2] ~= b[2] then return a[2] < b[2] end
  return a[1] < b[1]
end)
local out = {}
local limit = tonumber(ARGV[2])
for i = 1, math.min(limit, #rows) do out[i] = rows[i][1] end
return out
`;

// Only for a profile still hot: a late check must not resurrect a pruned entry.
const MARK = `
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  if ARGV[4] ~= '' then
    redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
    redis.call('PEXPIRE', KEYS[3], ARGV[3])
  end
  return 1
end
return 0
`;

export interface RedisHotSetDeps {
  redis: RedisClient;
  keys: RedisKeys;
  /** WATCH_HOT_S in ms: how long both sets outlive their last write. */
  hotMs: number;
  /** The process's Redis breaker (the read path's): recording skips Redis while it is open. */
  breaker?: CircuitBreaker;
  /** MAX_HOT_PROFILES unless told (tests). */
  maxProfiles?: number;
  now?: () => number;
}

export class RedisHotSet implements HotSet {
  readonly #d: RedisHotSetDeps;
  readonly #now: () => number;

  constructor(deps: RedisHotSetDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  recordRead(username: string): void {
    const { redis, keys, breaker, hotMs } = this.#d;
    // Disconnected calls fail at once; an open breaker means reads are not asking Redis either.
    if (redis.status !== 'ready') return;
    if (breaker && !breaker.allow()) return;
    const cap = this.#d.maxProfiles ?? MAX_HOT_PROFILES;
    redis.eval(RECORD, 1, keys.hotReads(), this.#now(), username, hotMs, cap).then(
      () => breaker?.success(),
      () => breaker?.failure(),
    );
  }

  async hot(now: number, hotMs: number, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    const { redis, keys } = this.#d;
    const out = (await redis.eval(LIST, 3, keys.hotReads(), keys.hotChecked(), keys.hotSeen(), now - hotMs, limit)) as string[];
    return out;
  }

  async markChecked(username: string, now: number, contentHash?: string): Promise<void> {
    const { redis, keys, hotMs } = this.#d;
    await redis.eval(MARK, 3, keys.hotReads(), keys.hotChecked(), keys.hotSeen(), now, username, hotMs, contentHash ?? '');
  }

  async seen(usernames: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (!usernames.length) return out;
    const hashes = await this.#d.redis.hmget(this.#d.keys.hotSeen(), ...usernames);
    usernames.forEach((u, i) => {
      const h = hashes[i];
      if (h) out.set(u, h);
    });
    return out;
  }
}
