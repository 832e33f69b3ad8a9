// Exponential backoff with full jitter (delay = random(0, min(cap, base·2^n))), honouring a server's
// Retry-After, bounded by a total time budget: the caller knows the worst case up front.

export type Attempt<T> = { ok: true; value: T } | { ok: false; retryable: boolean; retryAfterMs?: number; error: Error };

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  capMs: number;
  /** All attempts and sleeps of one call finish within this many ms. */
  budgetMs: number;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export const fullJitter = (attempt: number, policy: RetryPolicy, random: () => number): number =>
  Math.floor(random() * Math.min(policy.capMs, policy.baseMs * 2 ** attempt));

export class RetriesExhaustedError extends Error {
  readonly retryAfterMs: number;
  readonly attempts: number;
  constructor(attempts: number, retryAfterMs: number, cause: Error) {
    super(`gave up after ${attempts} attempt(s): ${cause.message}`, { cause });
    this.attempts = attempts;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Runs `attempt(remainingMs)` until it succeeds, fails for good, attempts run out, or the next
 * sleep would overrun the budget. Throws RetriesExhaustedError with a suggested Retry-After.
 */
export const withRetries = async <T>(
  attempt: (remainingMs: number) => Promise<Attempt<T>>,
  policy: RetryPolicy,
  clock: Clock = realClock,
): Promise<T> => {
  const deadline = clock.now() + policy.budgetMs;
  for (let n = 0; ; n++) {
    const result = await attempt(Math.max(1, deadline - clock.now()));
    if (result.ok) return result.value;
    const jitter = fullJitter(n, policy, clock.random);
    const delay = Math.max(jitter, result.retryAfterMs ?? 0);
    const suggestAfter = Math.max(delay, result.retryAfterMs ?? 0, 1_000);
    if (!result.retryable || n + 1 >= policy.maxAttempts || clock.now() + delay >= deadline) {
      throw new RetriesExhaustedError(n + 1, suggestAfter, result.error);
    }
    await clock.sleep(delay);
  }
};

/** Retry-After as seconds or an HTTP date → ms; undefined if absent or unparseable. */
export const parseRetryAfter = (value: string | null | undefined, now: number): number | undefined => {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};
