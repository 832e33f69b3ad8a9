// A cached view → HTTP: strong ETag, If-None-Match (then If-Modified-Since) → 304, Cache-Control
// by freshness and by kind of cache, CDN tags, X-Cache and Age.
import type { ViewResult } from '../core/profile-service.ts';
import type { CacheConfig } from '../core/settings.ts';
import type { HttpEvent, HttpResult } from '../shared/http.ts';

/** RFC 9110 If-None-Match: a list of entity tags or `*`, compared weakly. */
export const etagMatches = (ifNoneMatch: string | undefined, etag: string): boolean => {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
};

/**
 * RFC 9110 If-Modified-Since: true when the representation was last modified at or before the
 * given date. An unparsable date, or no Last-Modified to compare with, is no condition at all.
 * (The caller evaluates it only without If-None-Match, which takes precedence.)
 */
export const notModifiedSince = (ifModifiedSince: string | undefined, lastModified: string | undefined): boolean => {
  if (!ifModifiedSince || !lastModified) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && Date.parse(lastModified) <= since;
};

/** Whether a GET with these conditional headers is answered 304 (If-None-Match first, RFC 9110 §13.2.2). */
export const isNotModified = (
  headers: HttpEvent['headers'] | undefined,
  etag: string,
  lastModified: string | undefined,
): boolean => {
  const inm = headers?.['if-none-match'];
  return inm !== undefined ? etagMatches(inm, etag) : notModifiedSince(headers?.['if-modified-since'], lastModified);
};

/**
 * The header values of one cache configuration, formatted once. Browsers keep a copy `L1_TTL_S`
 * (what L1 may lag behind an invalidation, so a webhook's change shows as soon as any tier could
 * show it); shared caches and CDNs `CDN_MAX_AGE_S` (`s-maxage`, and `CDN-Cache-Control` for CDNs
 * that honour the targeted field). No stale-while-revalidate: it would let a cache in front serve
 * the old copy once more after an edit. stale-if-error keeps a copy answering while we fail.
 */
interface CacheStrings {
  fresh: string;
  stale: string;
  cdn: string | undefined;
}

const formatted = new WeakMap<CacheConfig, CacheStrings>();

const cacheStrings = (config: CacheConfig): CacheStrings => {
  let s = formatted.get(config);
  if (s === undefined) {
    const cdn = config.cdnMaxAgeS;
    const sMaxAge = cdn === undefined ? '' : `, s-maxage=${cdn}`;
    s = {
      fresh: `public, max-age=${config.l1TtlS}${sMaxAge}, stale-if-error=${config.staleTtlS}`,
      stale: `public, max-age=0, stale-if-error=${config.staleTtlS}`,
      cdn: cdn === undefined ? undefined : `max-age=${cdn}, stale-if-error=${config.staleTtlS}`,
    };
    formatted.set(config, s);
  }
  return s;
};

/**
 * Cache-Control of a cacheable answer: fresh, or `max-age=0` for a STALE one (served while a
 * refresh runs: no cache should keep it). The view TTL no longer enters the value; the parameter
 * stays for callers written against it.
 */
export const cacheControl = (result: Pick<ViewResult, 'outcome'>, _maxAgeS: number, config: CacheConfig): string => {
  const s = cacheStrings(config);
  return result.outcome === 'STALE' ? s.stale : s.fresh;
};

/** `CDN-Cache-Control` of a fresh answer; undefined for a STALE one or without `CDN_MAX_AGE_S`. */
export const cdnCacheControl = (result: Pick<ViewResult, 'outcome'>, config: CacheConfig): string | undefined =>
  result.outcome === 'STALE' ? undefined : cacheStrings(config).cdn;

export interface CdnTags {
  readonly 'surrogate-key': string;
  readonly 'cache-tag': string;
}

/** Bound on the memo of tag headers (a few hundred kB at most); it starts over when full. */
const MAX_TAGGED = 10_000;
const tags = new Map<string, CdnTags>();

/**
 * The CDN purge tags of every cacheable answer about `username` (JSON, links, page, embed,
 * oEmbed, their 404s): `Surrogate-Key` (Fastly and others) and `Cache-Tag` (Cloudflare, Akamai),
 * both `profile:{username}` in lower case, so one purge by tag drops all of a profile's answers.
 * Memoized: the same frozen object per username; copy its fields, never mutate it.
 */
export const cdnHeaders = (username: string): CdnTags => {
  let t = tags.get(username);
  if (t === undefined) {
    const tag = `profile:${username.toLowerCase()}`;
    t = Object.freeze({ 'surrogate-key': tag, 'cache-tag': tag });
    if (tags.size >= MAX_TAGGED) tags.clear();
    tags.set(username, t);
  }
  return t;
};

/**
 * Every caching header of a cacheable answer about `username` that is not a View (oEmbed):
 * Cache-Control, CDN-Cache-Control, the tags, X-Cache, and Age when a cached copy answers.
 */
export const cacheHeaders = (
  result: Pick<ViewResult, 'outcome'> & { ageS?: number },
  config: CacheConfig,
  username: string,
): Record<string, string> => {
  const t = cdnHeaders(username);
  const headers: Record<string, string> = {
    'cache-control': cacheControl(result, 0, config),
    'x-cache': result.outcome,
    'surrogate-key': t['surrogate-key'],
    'cache-tag': t['cache-tag'],
  };
  const cdn = cdnCacheControl(result, config);
  if (cdn !== undefined) headers['cdn-cache-control'] = cdn;
  if (result.outcome !== 'MISS' && result.ageS !== undefined) headers.age = String(result.ageS);
  return headers;
};

/**
 * A fresh headers object per response (later middleware may add to it); the view's memoized
 * headers are copied in, never handed out, since every response from the entry shares them.
 * A 304 carries them too: a cache refreshing its stored response takes the 304's headers.
 * `username` (lower case, as parsed) names the CDN tags; without it the answer carries none.
 */
export const viewResponse = (
  event: HttpEvent,
  result: ViewResult,
  _maxAgeS: number,
  config: CacheConfig,
  username?: string,
): HttpResult => {
  const s = cacheStrings(config);
  const stale = result.outcome === 'STALE';
  const headers: Record<string, string> = {
    etag: result.etag,
    'cache-control': stale ? s.stale : s.fresh,
    'x-cache': result.outcome,
  };
  if (!stale && s.cdn !== undefined) headers['cdn-cache-control'] = s.cdn;
  if (username !== undefined) {
    const t = cdnHeaders(username);
    headers['surrogate-key'] = t['surrogate-key'];
    headers['cache-tag'] = t['cache-tag'];
  }
  // A copy answered from a cache tier says how old it is; a MISS was fetched for this request.
  if (result.outcome !== 'MISS') headers.age = String(result.ageS);
  if (result.lastModified) headers['last-modified'] = result.lastModified;
  if (isNotModified(event.headers, result.etag, result.lastModified)) {
    if (result.headers) Object.assign(headers, result.headers);
    return { statusCode: 304, headers };
  }
  headers['content-type'] = result.contentType;
  if (result.headers) Object.assign(headers, result.headers);
  return { statusCode: 200, headers, body: result.body };
};
