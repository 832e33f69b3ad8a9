// The Linktree public-page origin (contract 3.2, `ORIGIN=linktree`): reads a profile the way a
// browser sees it, `GET {LINKTREE_BASE_URL}/{username}`, and maps the page's `__NEXT_DATA__`.
// Redirects are followed by hand (at most 3, same host only), the body is read as a stream and
// dropped past 5 MiB, and every attempt goes through the same token bucket, retries and
// Retry-After pause as the HTTP origin (origin-requests.ts). Read-only: public pages take no writes.
import { MetricNames } from '../contracts/metrics.ts';
import { mapNextData } from '../core/linktree-mapping.ts';
import type { ProfileOrigin, RateLimiter, Telemetry } from '../core/ports.ts';
import { noTelemetry } from '../core/ports.ts';
import type { LinkUpdate, Profile } from '../core/profile.ts';
import type { Clock } from '../core/retry.ts';
import type { OriginConfig } from '../core/settings.ts';
import { NotSupportedError, OriginShapeError } from '../shared/errors.ts';
import { extractNextData } from './next-data.ts';
import { type OriginAnswer, OriginRequester, PermanentOriginFailure, type StatusRules } from './origin-requests.ts';

/** The page body bound (contract 3.2); real pages are 100-400 KB. */
export const MAX_PAGE_BYTES = 5 * 1024 * 1024;
export const MAX_REDIRECTS = 3;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

// 403 and 429 are how Linktree (or its CDN) throttles; both honour Retry-After like a 503.
const RULES: StatusRules = { final: [404], throttling: [403, 429], pausing: [403, 429, 503] };

export interface LinktreePageOriginDeps {
  /** Timeouts, retries and budget: the same settings as the HTTP origin (`url` is not used). */
  config: OriginConfig;
  /** `LINKTREE_BASE_URL`, e.g. https://linktr.ee */
  baseUrl: string;
  /** `LINKTREE_USER_AGENT`: names this service and a contact. */
  userAgent: string;
  limiter: RateLimiter;
  telemetry?: Telemetry;
  clock?: Clock;
  fetch?: typeof fetch;
  maxBodyBytes?: number;
}

export class LinktreePageOrigin implements ProfileOrigin {
  readonly #base: URL;
  readonly #userAgent: string;
  readonly #fetch: typeof fetch;
  readonly #maxBytes: number;
  readonly #telemetry: Telemetry;
  readonly #requests: OriginRequester;

  constructor(deps: LinktreePageOriginDeps) {
    this.#base = new URL(deps.baseUrl.endsWith('/') ? deps.baseUrl : `${deps.baseUrl}/`);
    this.#userAgent = deps.userAgent;
    this.#fetch = deps.fetch ?? globalThis.fetch;
    this.#maxBytes = deps.maxBodyBytes ?? MAX_PAGE_BYTES;
    this.#telemetry = deps.telemetry ?? noTelemetry;
    this.#requests = new OriginRequester(deps);
  }

  async fetchProfile(username: string): Promise<Profile | undefined> {
    // "." and ".." are valid usernames here but path segments to a URL parser: no such page.
    if (/^\.+$/.test(username)) return undefined;
    const first = new URL(encodeURIComponent(username), this.#base);
    const res = await this.#requests.call((signal) => this.#get(first, signal), RULES);
    if (res.status === 404) return undefined;
    try {
      const raw = extractNextData(res.body);
      if (raw === undefined) throw new OriginShapeError('no __NEXT_DATA__ script in the page');
      let data: unknown;
      try {
        data = JSON.parse(raw);
      } catch (err) {
        throw new OriginShapeError('__NEXT_DATA__ is not JSON', { cause: err });
      }
      return mapNextData(data);
    } catch (err) {
      if (err instanceof OriginShapeError) {
        this.#telemetry.count(MetricNames.OriginShapeChanged);
        this.#telemetry.warn('Linktree page of an unknown shape', { username, detail: err.detail });
        this.#requests.noteFailure(`page shape changed: ${err.detail}`);
      }
      throw err;
    }
  }

  async updateLinks(_profileId: string, _links: LinkUpdate[]): Promise<Profile> {
    throw new NotSupportedError('Links cannot be changed through public Linktree pages (ORIGIN=linktree is read-only).');
  }

  health(): { status: 'up' | 'down'; detail?: string } {
    return this.#requests.health();
  }

  /** One attempt: the page, following at most MAX_REDIRECTS redirects on the same host. */
  async #get(first: URL, signal: AbortSignal): Promise<OriginAnswer> {
    let url = first;
    for (let hop = 0; ; hop++) {
      const res = await this.#fetch(url, {
        headers: { accept: 'text/html', 'user-agent': this.#userAgent },
        redirect: 'manual',
        signal,
      });
      const location = res.headers.get('location');
      if (REDIRECTS.has(res.status) && location) {
        await res.body?.cancel().catch(() => {});
        if (hop >= MAX_REDIRECTS) throw new PermanentOriginFailure(`more than ${MAX_REDIRECTS} redirects`);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new PermanentOriginFailure('redirect to an unreadable location');
        }
        if (next.host !== this.#base.host || (next.protocol !== this.#base.protocol && next.protocol !== 'https:')) {
          throw new PermanentOriginFailure(`redirect to another host refused (${next.host})`);
        }
        url = next;
        continue;
      }
      // Only a 200's body is read; the others are answered by their status alone.
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => {});
        return { status: res.status, headers: res.headers, body: '' };
      }
      return { status: res.status, headers: res.headers, body: await this.#readBounded(res) };
    }
  }

  async #readBounded(res: Response): Promise<string> {
    const declared = Number(res.headers.get('content-length'));
    if (declared > this.#maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new PermanentOriginFailure(`page over ${this.#maxBytes} bytes (content-length ${declared})`);
    }
    if (!res.body) return '';
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let total = 0;
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > this.#maxBytes) {
        await reader.cancel().catch(() => {});
        throw new PermanentOriginFailure(`page over ${this.#maxBytes} bytes`);
      }
      text += decoder.decode(value, { stream: true });
    }
    return text + decoder.decode();
  }
}
