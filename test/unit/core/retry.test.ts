import { describe, expect, it } from 'vitest';
import { type Attempt, fullJitter, parseRetryAfter, RetriesExhaustedError, withRetries } from '../../../lambdas/core/retry.ts';
import { FakeClock } from '../../helpers/fakes.ts';

const policy = { maxAttempts: 5, baseMs: 100, capMs: 1_000, budgetMs: 5_000 };
const fail = (retryAfterMs?: number, retryable = true): Attempt<string> => ({
  ok: false,
  retryable,
  retryAfterMs,
  error: new Error('boom'),
});

describe('full jitter', () => {
  it('draws from [0, min(cap, base·2^n))', () => {
    expect(fullJitter(0, policy, () => 0.999)).toBe(99);
    expect(fullJitter(3, policy, () => 0.5)).toBe(400);
    expect(fullJitter(10, policy, () => 0.999)).toBe(999); // capped
    expect(fullJitter(2, policy, () => 0)).toBe(0);
  });
});

describe('withRetries', () => {
  it('retries retryable failures with backoff until success', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const outcomes = [fail(), fail(), { ok: true as const, value: 'done' }];
    const sleeps: number[] = [];
    const sleepy = Object.assign(clock, {
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock.advance(ms);
      },
    });
    await expect(withRetries(async () => outcomes.shift() as Attempt<string>, policy, sleepy)).resolves.toBe('done');
    expect(sleeps).toEqual([50, 100]); // random 0.5 × 100, × 200
    expect(clock.now() - start).toBe(150);
  });

  it('waits at least the Retry-After the server asked for', async () => {
    const clock = new FakeClock();
    const sleeps: number[] = [];
    Object.assign(clock, {
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock.advance(ms);
      },
    });
    const outcomes = [fail(2_000), { ok: true as const, value: 'ok' }];
    await withRetries(async () => outcomes.shift() as Attempt<string>, policy, clock);
    expect(sleeps).toEqual([2_000]);
  });

  it('gives up when the next sleep would overrun the total budget, suggesting a Retry-After', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const err = await withRetries(
      async () => {
        attempts++;
        return fail(10_000);
      },
      policy,
      clock,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(attempts).toBe(1);
    expect(err.retryAfterMs).toBe(10_000);
  });

  it('stops at maxAttempts and at non-retryable failures', async () => {
    const clock = new FakeClock();
    let n = 0;
    const counted = (outcome: () => Attempt<string>) => async () => {
      n++;
      return outcome();
    };
    await expect(
      withRetries(
        counted(() => fail()),
        { ...policy, budgetMs: 1e9 },
        clock,
      ),
    ).rejects.toThrow(/5 attempt/);
    expect(n).toBe(5);
    n = 0;
    await expect(
      withRetries(
        counted(() => fail(undefined, false)),
        policy,
        clock,
      ),
    ).rejects.toThrow(/1 attempt/);
    expect(n).toBe(1);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter('Mon, 01 Jun 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
