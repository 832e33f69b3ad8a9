// oEmbed 1.0 (https://oembed.com) for our pages: `GET /oembed?url=<page URL>&maxwidth=&maxheight=`
// answers a `rich` embed whose html is an <iframe> of /embed/{username}, so a consumer that speaks
// oEmbed (a CMS, a chat unfurler) can embed a profile knowing only its page URL. Pages advertise
// the endpoint with a discovery <link> (oembedDiscoveryLink). Only our own pages are answered: a
// URL on another host, or a path that is not /{username} or /embed/{username}, is a 404, so the
// endpoint never vouches for anything it does not serve.
import * as z from 'zod/mini';
import type { Profile } from '../core/profile.ts';
import type { ProfileService } from '../core/profile-service.ts';
import type { CacheConfig } from '../core/settings.ts';
import { cacheHeaders, cdnHeaders } from '../profile/respond.ts';
import { NotFoundError, NotImplementedError, ProfileNotFoundError, ValidationError } from '../shared/errors.ts';
import { type HttpEvent, type HttpResult, json } from '../shared/http.ts';
import { USERNAME_RE } from '../shared/username.ts';
import { html, type SafeHtml } from './html.ts';
import { isReserved, publicBaseUrl } from './static-routes.ts';

/** The iframe's size when the consumer sets no bound: a phone-width column of links. */
export const OEMBED_SIZE = { width: 400, height: 600 } as const;

export const PROVIDER_NAME = 'linkcache';

export const profilePageUrl = (baseUrl: string, username: string): string => `${baseUrl}/${encodeURIComponent(username)}`;

export const embedPageUrl = (baseUrl: string, username: string): string => `${baseUrl}/embed/${encodeURIComponent(username)}`;

/** The oEmbed endpoint's URL for one page, as the discovery link gives it. */
export const oembedUrl = (baseUrl: string, pageUrl: string): string =>
  `${baseUrl}/oembed?url=${encodeURIComponent(pageUrl)}&format=json`;

/** `<link rel="alternate" type="application/json+oembed">` for the head of the page at `pageUrl`. */
export const oembedDiscoveryLink = (baseUrl: string, pageUrl: string, title: string): SafeHtml =>
  html`<link rel="alternate" type="application/json+oembed" href="${oembedUrl(baseUrl, pageUrl)}" title="${title}">`;

/**
 * The lower-cased username of the page `raw` names, when it is one of ours: http(s), the host of
 * `baseUrl`, and the path `{base path}/{username}` or `{base path}/embed/{username}` (query and
 * fragment ignored). Anything else, reserved names included, is undefined.
 */
export const pageUsername = (raw: string, baseUrl: string): string | undefined => {
  let url: URL;
  let base: URL;
  try {
    url = new URL(raw);
    base = new URL(baseUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.host !== base.host || url.username || url.password) return undefined;
  const prefix = `${base.pathname.replace(/\/+$/, '')}/`;
  if (!url.pathname.startsWith(prefix)) return undefined;
  const segments = url.pathname.slice(prefix.length).split('/');
  const segment = segments.length === 1 ? segments[0] : segments.length === 2 && segments[0] === 'embed' ? segments[1] : '';
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  return USERNAME_RE.test(name) && !isReserved(name) ? name.toLowerCase() : undefined;
};

// Every check says its own message: shared/validation.ts would bring zod's English locale (≈ 3 KB)
// into the profile bundle, which is kept small. The rule is validation.ts's safe text all the same:
// no control character (\p{Cc}) and no unpaired surrogate (\p{Cs} matches only a lone one).
const SAFE_TEXT = /^[^\p{Cc}\p{Cs}]*$/u;
const text = (max: number) =>
  z
    .string()
    .check(
      z.regex(SAFE_TEXT, 'must not contain control characters or unpaired surrogates'),
      z.maxLength(max, `must be at most ${max} characters`),
    );
// A bound is a positive whole number of CSS pixels; anything else is the consumer's mistake (400).
const dimension = z.optional(z.string().check(z.regex(/^0*[1-9]\d{0,8}$/, 'must be a whole number of pixels, at least 1')));

export const oembedQuerySchema = z.object({
  url: text(2048),
  maxwidth: dimension,
  maxheight: dimension,
  format: z.optional(text(32)),
});

export interface OembedQuery {
  url: string;
  maxWidth?: number;
  maxHeight?: number;
}

/** The query, validated: 400 without `url` or with a bad bound, 501 for a format other than JSON. */
export const parseOembedQuery = (params: Record<string, string | undefined> | undefined): OembedQuery => {
  if (!params?.url) throw new ValidationError('The url parameter is required: the address of the page to embed.');
  const parsed = oembedQuerySchema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`Invalid oEmbed query: ${issue?.path.join('.') || 'query'}: ${issue?.message ?? 'invalid'}.`);
  }
  const { url, maxwidth, maxheight, format } = parsed.data;
  if (format !== undefined && format.toLowerCase() !== 'json') {
    throw new NotImplementedError(`Only format=json is offered, not "${format}".`);
  }
  return {
    url,
    ...(maxwidth ? { maxWidth: Number(maxwidth) } : {}),
    ...(maxheight ? { maxHeight: Number(maxheight) } : {}),
  };
};

/** An oEmbed 1.0 `rich` answer (oembed.com, section 2.3.4), the fields this provider fills. */
export interface OembedAnswer {
  version: '1.0';
  type: 'rich';
  /** The display name (else `@username`). */
  title: string;
  author_name: string;
  /** The profile's page, `{base}/{username}`. */
  author_url: string;
  provider_name: string;
  provider_url: string;
  /** Seconds a consumer may keep the answer: the profile's freshness (`PROFILE_TTL_S`). */
  cache_age: number;
  /** An <iframe> of `{base}/embed/{username}`, `width` × `height`. */
  html: string;
  width: number;
  height: number;
}

/** The oEmbed `rich` answer for `profile`, its iframe shrunk to the consumer's bounds. */
export const oembedAnswer = (profile: Profile, baseUrl: string, q: Omit<OembedQuery, 'url'>, cacheAgeS: number): OembedAnswer => {
  const username = profile.username.toLowerCase();
  const name = profile.displayName.trim() || `@${username}`;
  const width = Math.min(OEMBED_SIZE.width, q.maxWidth ?? Number.POSITIVE_INFINITY);
  const height = Math.min(OEMBED_SIZE.height, q.maxHeight ?? Number.POSITIVE_INFINITY);
  // border:0 and max-width keep the frame from looking like a frame or overflowing a narrow column.
  const iframe = html`<iframe src="${embedPageUrl(baseUrl, username)}" width="${width}" height="${height}" title="${`Links from ${name}`}" loading="lazy" style="border:0;max-width:100%"></iframe>`;
  return {
    version: '1.0',
    type: 'rich',
    title: name,
    author_name: name,
    author_url: profilePageUrl(baseUrl, username),
    provider_name: PROVIDER_NAME,
    provider_url: baseUrl,
    cache_age: cacheAgeS,
    html: iframe.value,
    width,
    height,
  };
};

export interface OembedDeps {
  service: Pick<ProfileService, 'profile'>;
  config: { cache: CacheConfig };
  /** `PUBLIC_BASE_URL`: the only host whose pages are answered; unset, the request's own domain. */
  publicBaseUrl?: string;
}

/** GET /oembed (JSON errors: it is an API for programs, not a page). */
export const oembedRoute = (deps: OembedDeps) => {
  const { cache } = deps.config;
  const negativeCacheControl = `public, max-age=${cache.negativeTtlS}`;
  return async (event: HttpEvent): Promise<HttpResult> => {
    const q = parseOembedQuery(event.queryStringParameters);
    const baseUrl = publicBaseUrl(event, deps.publicBaseUrl);
    const username = pageUsername(q.url, baseUrl);
    if (!username) throw new NotFoundError(`The url is not a profile page of ${baseUrl} (${baseUrl}/{username}).`);
    let read: Awaited<ReturnType<ProfileService['profile']>>;
    try {
      read = await deps.service.profile(username, cache.profileTtlS);
    } catch (err) {
      // Like the pages' 404: remembered as long as the read path remembers the origin's, and
      // purged from a CDN with the profile.
      if (err instanceof ProfileNotFoundError) {
        Object.assign(err.headers, cdnHeaders(username));
        err.headers['cache-control'] = negativeCacheControl;
      }
      throw err;
    }
    // Cached as the pages it describes are (and purged with them): a renamed profile's title changes.
    return json(200, oembedAnswer(read.profile, baseUrl, q, cache.profileTtlS), cacheHeaders(read, cache, username));
  };
};
