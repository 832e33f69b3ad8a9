// A cached view → HTTP: strong ETag, If-None-Match → 304, Cache-Control by freshness, X-Cache.
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

/** Per config and view TTL, the two Cache-Control values (fresh, stale), formatted once. */
const formatted = new WeakMap<CacheConfig, Map<number, [fresh: string, stale: string]>>();

export const cacheControl = (result: Pick<ViewResult, 'outcome'>, maxAgeS: number, config: CacheConfig): string => {
  let byTtl = formatted.get(config);
  if (byTtl === undefined) {
    byTtl = new Map();
    formatted.set(config, byTtl);
  }
  let pair = byTtl.get(maxAgeS);
  if (pair === undefined) {
    pair = [
      `public, max-age=${config.l1TtlS}, stale-while-revalidate=${maxAgeS}, stale-if-error=${config.staleTtlS}`,
      `public, max-age=0, stale-if-error=${config.staleTtlS}`,
    ];
    byTtl.set(maxAgeS, pair);
  }
  return result.outcome === 'STALE' ? pair[1] : pair[0];
};

/**
 * A fresh headers object per response (later middleware may add to it); the view's memoized
 * headers are copied in, never handed out, since every response from the entry shares them.
 * A 304 carries them too: a cache refreshing its stored response takes the 304's headers.
 */
export const viewResponse = (event: HttpEvent, result: ViewResult, maxAgeS: number, config: CacheConfig): HttpResult => {
  const headers: Record<string, string> = {
    etag: result.etag,
    'cache-control': cacheControl(result, maxAgeS, config),
    'x-cache': result.outcome,
  };
  if (result.lastModified) headers['last-modified'] = result.lastModified;
  if (etagMatches(event.headers?.['if-none-match'], result.etag)) {
    if (result.headers) Object.assign(headers, result.headers);
    return { statusCode: 304, headers };
  }
  headers['content-type'] = result.contentType;
  if (result.headers) Object.assign(headers, result.headers);
  return { statusCode: 200, headers, body: result.body };
};
