// What every origin adapter that speaks HTTP shares (contract section 3): the token bucket before
// every attempt, a timeout on every attempt, retries with backoff and full jitter within a total
// time budget, and a process-wide pause on a throttling answer's Retry-After, so a cold request
// after it fails fast (or is served stale) instead of hitting the origin again. The adapter gives
// the exchange (how one attempt talks to its origin) and which statuses mean what.
import { MetricNames } from '../contracts/metrics.ts';
import type { OriginConfig } from '../core/settings.ts';
import { OriginUnavailableError } from '../shared/errors.ts';
import { noTelemetry, type RateLimiter, type Telemetry } from '../core/ports.ts';
import { type Attempt, type Clock, parseRetryAfter, RetriesExhaustedError, realClock, withRetries } from '../core/retry.ts';

/** The longest Retry-After honoured: a hostile or broken header must not stop the service for hours. */
export const MAX_RETRY_AFTER_MS = 300_000;

export interface OriginAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** One attempt's exchange; it must settle soon after `signal` aborts. */
export type Exchange = (signal: AbortSignal) => Promise<OriginAnswer>;

/** Thrown by an exchange for a failure that another attempt would not fix (oversized body, refused redirect). */
export class PermanentOriginFailure extends Error {}

export interface StatusRules {
  /** Statuses that end the call as answers, besides 2xx (404 → not found). */
  final: readonly number[];
  /** Statuses counted as throttling (`OriginThrottled`) and retried. */
  throttling: readonly number[];
  /** Statuses whose Retry-After pauses every call of this process, not just this call's retries. */
  pausing: readonly number[];
}

export interface OriginRequesterDeps {
  config: OriginConfig;
  limiter: RateLimiter;
  telemetry?: Telemetry;
  clock?: Clock;
}

class BudgetSpent extends Error {}
class OriginPaused extends Error {}

export class OriginRequester {
  readonly #config: OriginConfig;
  readonly #limiter: RateLimiter;
  readonly #telemetry: Telemetry;
  readonly #clock: Clock;
  // Outcomes in order (a counter, not a clock: a page read at 200 and found unreadable in the
  // same millisecond must still read as a failure).
  #events = 0;
  #lastOk = 0;
  #lastFailure: { seq: number; detail: string } | undefined;
  /** No request before this time (the origin's Retry-After, on the injected clock). */
  #pausedUntil = 0;

  constructor(deps: OriginRequesterDeps) {
    this.#config = deps.config;
    this.#limiter = deps.limiter;
    this.#telemetry = deps.telemetry ?? noTelemetry;
    this.#clock = deps.clock ?? realClock;
  }

  /** The origin's state as last seen by this process (health never calls the origin itself). */
  health(): { status: 'up' | 'down'; detail?: string } {
    if (this.#lastFailure && this.#lastFailure.seq > this.#lastOk) return { status: 'down', detail: this.#lastFailure.detail };
    return { status: 'up', ...(this.#lastOk ? {} : { detail: 'not called yet' }) };
  }

  /** An answer the adapter could not use after all (a page of an unknown shape): health shows it. */
  noteFailure(detail: string): void {
    this.#failed(detail);
  }

  #failed(detail: string): void {
    this.#lastFailure = { seq: ++this.#events, detail };
  }

  /** One logical call. Throws OriginUnavailableError when it cannot get a final answer in time. */
  async call(exchange: Exchange, rules: StatusRules): Promise<OriginAnswer> {
    const telemetry = this.#telemetry;
    const clock = this.#clock;
    const pausedMs = this.#pausedUntil - clock.now();
    if (pausedMs > 0) {
      telemetry.count(MetricNames.OriginThrottled);
      throw new OriginUnavailableError('The profile origin asked for a pause; try again shortly.', pausedMs / 1000);
    }
    const attempt = async (remainingMs: number): Promise<Attempt<OriginAnswer>> => {
      // Another call's answer paused the origin meanwhile: wait it out if the budget allows.
      const waitMs = this.#pausedUntil - clock.now();
      if (waitMs > 0) return { ok: false, retryable: true, retryAfterMs: waitMs, error: new OriginPaused('origin paused') };
      const token = await this.#limiter.take();
      if (!token.allowed) {
        telemetry.count(MetricNames.OriginThrottled);
        // The budget is spent: fail now rather than queue callers behind it.
        return {
          ok: false,
          retryable: false,
          retryAfterMs: token.retryAfterMs,
          error: new BudgetSpent('origin request budget spent'),
        };
      }
      telemetry.count(MetricNames.OriginCalls);
      try {
        const res = await exchange(AbortSignal.timeout(Math.min(this.#config.timeoutMs, remainingMs)));
        if ((res.status >= 200 && res.status < 300) || rules.final.includes(res.status)) {
          this.#lastOk = ++this.#events;
          return { ok: true, value: res };
        }
        const throttled = rules.throttling.includes(res.status);
        if (throttled) telemetry.count(MetricNames.OriginThrottled);
        this.#failed(`answered ${res.status}`);
        const retryable = throttled || res.status >= 500;
        const parsed = parseRetryAfter(res.headers.get('retry-after'), clock.now());
        const retryAfterMs = parsed === undefined ? undefined : Math.min(parsed, MAX_RETRY_AFTER_MS);
        if (retryAfterMs && rules.pausing.includes(res.status)) {
          this.#pausedUntil = Math.max(this.#pausedUntil, clock.now() + retryAfterMs);
        }
        return { ok: false, retryable, retryAfterMs, error: new Error(`origin answered ${res.status}`) };
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        this.#failed(error.message);
        if (err instanceof PermanentOriginFailure) return { ok: false, retryable: false, error };
        telemetry.count(MetricNames.OriginErrors);
        return { ok: false, retryable: true, error };
      }
    };
    try {
      return await withRetries(
        attempt,
        {
          maxAttempts: this.#config.maxAttempts,
          baseMs: this.#config.backoffBaseMs,
          capMs: this.#config.backoffCapMs,
          budgetMs: this.#config.retryBudgetMs,
        },
        clock,
      );
    } catch (err) {
      if (err instanceof RetriesExhaustedError) {
        const spent = err.cause instanceof BudgetSpent;
        const paused = err.cause instanceof OriginPaused;
        throw new OriginUnavailableError(
          spent
            ? 'The origin request budget is spent; try again shortly.'
            : paused
              ? 'The profile origin asked for a pause; try again shortly.'
              : 'The profile origin is unavailable; try again shortly.',
          err.retryAfterMs / 1000,
          { cause: err },
        );
      }
      throw err;
    }
  }
}
