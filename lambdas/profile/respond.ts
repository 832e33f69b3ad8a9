// A cached view → HTTP: strong ETag, If-None-Match → 304, Cache-Control by freshness, X-Cache.
import type { ViewResult } from '../core/profile-service.ts';
import type { CacheConfig } from '../shared/config.ts';
import type { HttpEvent, HttpResult } from '../shared/http.ts';

/** RFC 9110 If-None-Match: a list of entity tags or `*`, compared weakly. */
export const etagMatches = (ifNoneMatch: string | undefined, etag: string): boolean => {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
};

const formatted = new Map<string, string>();

/** The Cache-Control value for an answer; a handful of distinct strings, built once each. */
export const cacheControl = (result: Pick<ViewResult, 'outcome'>, maxAgeS: number, config: CacheConfig): string => {
  const stale = result.outcome === 'STALE';
  const key = `${stale}|${maxAgeS}|${config.l1TtlS}|${config.staleTtlS}`;
  let value = formatted.get(key);
  if (value === undefined) {
    value = stale
      ? `public, max-age=0, stale-if-error=${config.staleTtlS}`
      : `public, max-age=${config.l1TtlS}, stale-while-revalidate=${maxAgeS}, stale-if-error=${config.staleTtlS}`;
    formatted.set(key, value);
  }
  return value;
};

export const viewResponse = (event: HttpEvent, result: ViewResult, maxAgeS: number, config: CacheConfig): HttpResult => {
  const headers: Record<string, string> = {
    etag: result.etag,
    'cache-control': cacheControl(result, maxAgeS, config),
    'x-cache': result.outcome,
  };
  if (result.lastModified) headers['last-modified'] = result.lastModified;
  if (etagMatches(event.headers?.['if-none-match'], result.etag)) return { statusCode: 304, headers };
  headers['content-type'] = result.contentType;
  return { statusCode: 200, headers, body: result.body };
};
