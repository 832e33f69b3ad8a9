// The origin budget, shared by every process on the same Redis: one atomic Lua token bucket per
// API key, clocked by the Redis server's TIME so processes with skewed clocks agree.
import { createHash } from 'node:crypto';
import type { CircuitBreaker } from '../core/circuit-breaker.ts';
import type { RateLimiter } from '../core/ports.ts';
import { LocalTokenBucket } from '../core/token-bucket.ts';
import type { RedisKeys } from './redis-keys.ts';
import type { RedisClient } from './redis-client.ts';

const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = cap; ts = now end
tokens = math.min(cap, tokens + math.max(0, now - ts) * perMs)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap / perMs) + 1000)
return {allowed, wait}
`;

export const apiKeyHash = (apiKey: string): string => createHash('sha256').update(apiKey).digest('hex').slice(0, 16);

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisClient;
  readonly #key: string;
  readonly #capacity: number;
  readonly #perMs: number;
  /** Used while Redis is unreachable, so the origin is still protected per process. */
  readonly #fallback: LocalTokenBucket;
  readonly #breaker: CircuitBreaker | undefined;

  /** With `breaker` (the read path's), a Redis that stopped answering costs no time per origin call. */
  constructor(redis: RedisClient, keys: RedisKeys, apiKey: string, ratePerMin: number, breaker?: CircuitBreaker) {
    this.#redis = redis;
    this.#breaker = breaker;
    this.#key = keys.rateBucket(apiKeyHash(apiKey));
    this.#capacity = Math.max(1, ratePerMin);
    this.#perMs = ratePerMin / 60_000;
    this.#fallback = new LocalTokenBucket(ratePerMin);
  }

  async take(): Promise<{ allowed: boolean; retryAfterMs: number }> {
    // Disconnected calls fail at once: no need to ask (or tell) the breaker.
    if (this.#redis.status !== 'ready') return this.#fallback.take();
    if (this.#breaker && !this.#breaker.allow()) return this.#fallback.take();
    try {
      const [allowed, wait] = (await this.#redis.eval(TAKE, 1, this.#key, this.#capacity, this.#perMs)) as [number, number];
      this.#breaker?.success();
      return { allowed: allowed === 1, retryAfterMs: Number(wait) };
    } catch {
      this.#breaker?.failure();
      return this.#fallback.take();
    }
  }
}
