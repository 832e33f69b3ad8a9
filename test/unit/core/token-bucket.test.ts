import { describe, expect, it } from 'vitest';
import { LocalTokenBucket, takeToken, type BucketState } from '../../../lambdas/core/token-bucket.ts';

describe('token bucket', () => {
  it('allows a burst of exactly the budget, then says how long until the next token', () => {
    let state: BucketState | undefined;
    const perMs = 150 / 60_000;
    let allowed = 0;
    let last: ReturnType<typeof takeToken> | undefined;
    for (let i = 0; i < 200; i++) {
      last = takeToken(state, 0, 150, perMs);
      state = last.state;
      if (last.allowed) allowed++;
    }
    expect(allowed).toBe(150);
    expect(last?.allowed).toBe(false);
    expect(last?.retryAfterMs).toBe(400); // one token per 60 000 / 150 ms
  });

  it('refills at the budget per minute', () => {
    const perMs = 60 / 60_000;
    let { state } = takeToken(undefined, 0, 60, perMs);
    for (let i = 0; i < 59; i++) state = takeToken(state, 0, 60, perMs).state;
    expect(takeToken(state, 999, 60, perMs).allowed).toBe(false);
    expect(takeToken(state, 1000, 60, perMs).allowed).toBe(true);
  });

  it('never lets a 60-second window see more than twice the budget, and a steady load gets the budget', () => {
    const budget = 150;
    const perMs = budget / 60_000;
    let state: BucketState | undefined;
    const granted: number[] = [];
    // A client hammering every 10 ms for 5 minutes.
    for (let t = 0; t <= 300_000; t += 10) {
      const step = takeToken(state, t, budget, perMs);
      state = step.state;
      if (step.allowed) granted.push(t);
    }
    let maxInWindow = 0;
    let lo = 0;
    for (let hi = 0; hi < granted.length; hi++) {
      while (granted[hi] - granted[lo] >= 60_000) lo++;
      maxInWindow = Math.max(maxInWindow, hi - lo + 1);
    }
    expect(maxInWindow).toBeLessThanOrEqual(2 * budget);
    const lastMinute = granted.filter((t) => t > 240_000).length;
    expect(lastMinute).toBeGreaterThanOrEqual(budget - 1);
    expect(lastMinute).toBeLessThanOrEqual(budget + 1);
  });

  it('LocalTokenBucket applies the same arithmetic in process', async () => {
    let now = 0;
    const bucket = new LocalTokenBucket(2, () => now);
    expect((await bucket.take()).allowed).toBe(true);
    expect((await bucket.take()).allowed).toBe(true);
    const denied = await bucket.take();
    expect(denied).toEqual({ allowed: false, retryAfterMs: 30_000 });
    now = 30_000;
    expect((await bucket.take()).allowed).toBe(true);
  });
});
