// A token bucket: `capacity` burst, refilled at `ratePerMin` per minute. The Redis limiter runs
// the same arithmetic atomically in Lua; this in-process one is its fallback when Redis is down.
import type { RateLimiter } from './ports.ts';

export interface BucketState {
  tokens: number;
  updatedAt: number;
}

/** Pure step shared by tests and the local limiter: refill since `updatedAt`, then try to take one. */
export const takeToken = (
  state: BucketState | undefined,
  now: number,
  capacity: number,
  perMs: number,
): { state: BucketState; allowed: boolean; retryAfterMs: number } => {
  const start = state ?? { tokens: capacity, updatedAt: now };
  const tokens = Math.min(capacity, start.tokens + Math.max(0, now - start.updatedAt) * perMs);
  if (tokens >= 1) return { state: { tokens: tokens - 1, updatedAt: now }, allowed: true, retryAfterMs: 0 };
  return { state: { tokens, updatedAt: now }, allowed: false, retryAfterMs: Math.ceil((1 - tokens) / perMs) };
};

export class LocalTokenBucket implements RateLimiter {
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #now: () => number;
  #state: BucketState | undefined;

  constructor(ratePerMin: number, now: () => number = Date.now) {
    this.#capacity = Math.max(1, ratePerMin);
    this.#perMs = ratePerMin / 60_000;
    this.#now = now;
  }

  async take(): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const step = takeToken(this.#state, this.#now(), this.#capacity, this.#perMs);
    this.#state = step.state;
    return { allowed: step.allowed, retryAfterMs: step.retryAfterMs };
  }
}
