// The HTTP profile origin (contract section 3): bearer auth, and the shared request machinery of
// origin-requests.ts (token bucket, per-attempt timeout, retries on 429/5xx/timeouts within a
// total time budget, a process-wide pause on a 429 or 503 with Retry-After).
import type { OriginConfig } from '../core/settings.ts';
import { OriginUnavailableError, ProfileNotFoundError, ValidationError } from '../shared/errors.ts';
import type { ProfileOrigin, RateLimiter, Telemetry } from '../core/ports.ts';
import { type LinkUpdate, type Profile, profileSchema } from '../core/profile.ts';
import type { Clock } from '../core/retry.ts';
import { type OriginAnswer, OriginRequester, type StatusRules } from './origin-requests.ts';

export { MAX_RETRY_AFTER_MS } from './origin-requests.ts';

export interface HttpOriginDeps {
  config: OriginConfig;
  apiKey: () => Promise<string>;
  limiter: RateLimiter;
  telemetry?: Telemetry;
  clock?: Clock;
  fetch?: typeof fetch;
}

const rules = (final: number[]): StatusRules => ({ final, throttling: [429], pausing: [429, 503] });

export class HttpProfileOrigin implements ProfileOrigin {
  readonly #config: OriginConfig;
  readonly #apiKey: () => Promise<string>;
  readonly #fetch: typeof fetch;
  readonly #requests: OriginRequester;

  constructor(deps: HttpOriginDeps) {
    this.#config = deps.config;
    this.#apiKey = deps.apiKey;
    this.#fetch = deps.fetch ?? globalThis.fetch;
    this.#requests = new OriginRequester(deps);
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
    return this.#requests.health();
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
  async #call(method: string, path: string, payload: unknown, final: number[]): Promise<OriginAnswer> {
    const apiKey = await this.#apiKey();
    return this.#requests.call(async (signal) => {
      const res = await this.#fetch(`${this.#config.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal,
      });
      return { status: res.status, headers: res.headers, body: await res.text() };
    }, rules(final));
  }
}

const safeJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};
