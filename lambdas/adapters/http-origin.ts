// The HTTP profile origin (contract section 3): bearer auth, a timeout on every attempt, the shared
// token bucket before every attempt, retries on 429/5xx/timeouts within a total time budget. A
// 429 or 503 with Retry-After pauses every call of this process until then (capped), so a cold
// request after it fails fast (or is served stale) instead of hitting the origin again.
import { MetricNames } from '../contracts/metrics.ts';
import type { OriginConfig } from '../core/settings.ts';
import { OriginUnavailableError, ProfileNotFoundError, ValidationError } from '../shared/errors.ts';
import type { ProfileOrigin, RateLimiter, Telemetry } from '../core/ports.ts';
import { type LinkUpdate, type Profile, profileSchema } from '../core/profile.ts';
import { type Attempt, type Clock, parseRetryAfter, RetriesExhaustedError, realClock, withRetries } from '../core/retry.ts';
import { noTelemetry } from '../core/ports.ts';

export interface HttpOriginDeps {
  config: OriginConfig;
  apiKey: () => Promise<string>;
  limiter: RateLimiter;
  telemetry?: Telemetry;
  clock?: Clock;
  fetch?: typeof fetch;
}

class BudgetSpent extends Error {}
class OriginPaused extends Error {}

/** The longest Retry-After honoured: a hostile or broken header must not stop the service for hours. */
export const MAX_RETRY_AFTER_MS = 300_000;

/** The statuses whose Retry-After asks every caller to hold off, not just this call's retries. */
const PAUSING_STATUSES = new Set([429, 503]);

export class HttpProfileOrigin implements ProfileOrigin {
  readonly #deps: Required<HttpOriginDeps>;
  #lastOkAt = 0;
  #lastFailure: { at: number; detail: string } | undefined;
  /** No request before this time (the origin's Retry-After, on the injected clock). */
  #pausedUntil = 0;

  constructor(deps: HttpOriginDeps) {
    this.#deps = { telemetry: noTelemetry, clock: realClock, fetch: globalThis.fetch, ...deps };
  }

  async fetchProfile(username: string): Promise<Profile | undefined> {
    const res = await this.#call('GET', `/v1/profiles/${encodeURIComponent(username)}`, undefined, [404]);
    if (res.status === 404) return undefined;
    return this.#parseProfile(res.body);
  }

  async updateLinks(profileId: string, links: LinkUpdate[]): Promise<Profile> {
    const res = await this.#call('PATCH', `/v1/profiles/${encodeURIComponent(profileId)}/links`, { links }, [400, 404, 422]);
    if (res.status === 404) throw new ProfileNotFoundError(profileId);
    if (res.status !== 200) throw new ValidationError(`The origin refused the link update (${res.status}).`);
    return this.#parseProfile(res.body);
  }

  /** The origin's state as last seen by this process (health never calls the origin itself). */
  health(): { status: 'up' | 'down'; detail?: string } {
    if (this.#lastFailure && this.#lastFailure.at > this.#lastOkAt) return { status: 'down', detail: this.#lastFailure.detail };
    return { status: 'up', ...(this.#lastOkAt ? {} : { detail: 'not called yet' }) };
  }

  #parseProfile(body: string): Profile {
    const parsed = profileSchema.safeParse(safeJson(body));
    if (!parsed.success) {
      throw new OriginUnavailableError('The origin answered with a profile this service cannot read.', 30, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /** One logical call; `final` statuses end it without retry (besides 2xx). */
  async #call(method: string, path: string, payload: unknown, final: number[]): Promise<{ status: number; body: string }> {
    const { config, limiter, telemetry, clock } = this.#deps;
    const pausedMs = this.#pausedUntil - clock.now();
    if (pausedMs > 0) {
      telemetry.count(MetricNames.OriginThrottled);
      throw new OriginUnavailableError('The profile origin asked for a pause; try again shortly.', pausedMs / 1000);
    }
    const apiKey = await this.#deps.apiKey();
    const attempt = async (remainingMs: number): Promise<Attempt<{ status: number; body: string }>> => {
      // Another call's answer paused the origin meanwhile: wait it out if the budget allows.
      const waitMs = this.#pausedUntil - clock.now();
      if (waitMs > 0) return { ok: false, retryable: true, retryAfterMs: waitMs, error: new OriginPaused('origin paused') };
      const token = await limiter.take();
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
        const res = await this.#deps.fetch(`${config.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${apiKey}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: payload === undefined ? undefined : JSON.stringify(payload),
          signal: AbortSignal.timeout(Math.min(config.timeoutMs, remainingMs)),
        });
        const body = await res.text();
        if (res.ok || final.includes(res.status)) {
          this.#lastOkAt = clock.now();
          return { ok: true, value: { status: res.status, body } };
        }
        if (res.status === 429) telemetry.count(MetricNames.OriginThrottled);
        this.#lastFailure = { at: clock.now(), detail: `answered ${res.status}` };
        const retryable = res.status === 429 || res.status >= 500;
        const parsed = parseRetryAfter(res.headers.get('retry-after'), clock.now());
        const retryAfterMs = parsed === undefined ? undefined : Math.min(parsed, MAX_RETRY_AFTER_MS);
        if (retryAfterMs && PAUSING_STATUSES.has(res.status)) {
          this.#pausedUntil = Math.max(this.#pausedUntil, clock.now() + retryAfterMs);
        }
        return { ok: false, retryable, retryAfterMs, error: new Error(`origin answered ${res.status}`) };
      } catch (err) {
        telemetry.count(MetricNames.OriginErrors);
        this.#lastFailure = { at: clock.now(), detail: err instanceof Error ? err.message : String(err) };
        return { ok: false, retryable: true, error: err instanceof Error ? err : new Error(String(err)) };
      }
    };
    try {
      return await withRetries(
        attempt,
        {
          maxAttempts: config.maxAttempts,
          baseMs: config.backoffBaseMs,
          capMs: config.backoffCapMs,
          budgetMs: config.retryBudgetMs,
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

const safeJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};
