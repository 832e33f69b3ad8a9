// A cached view as an HTTP answer: conditional requests (If-None-Match first, then
// If-Modified-Since), the caching headers per kind of cache, CDN tags and Age.
import { describe, expect, it } from 'vitest';
import { readPathSettings } from '../../../lambdas/config/config.ts';
import { parseConfig } from '../../../lambdas/config/variables.ts';
import type { ViewResult } from '../../../lambdas/core/profile-service.ts';
import {
  cacheControl,
  cacheHeaders,
  cdnCacheControl,
  cdnHeaders,
  notModifiedSince,
  viewResponse,
} from '../../../lambdas/profile/respond.ts';
import { apiEvent } from '../../helpers/events.ts';
import { makeProfile } from '../../helpers/fakes.ts';

const config = readPathSettings(parseConfig({ L1_TTL_S: '5', CDN_MAX_AGE_S: '30', STALE_TTL_S: '86400' })).cache;
const LAST_MODIFIED = 'Mon, 01 Jun 2026 10:00:00 GMT';

const result = (over: Partial<ViewResult> = {}): ViewResult => ({
  body: '{"a":1}',
  etag: '"abc"',
  lastModified: LAST_MODIFIED,
  headers: undefined,
  outcome: 'HIT',
  contentType: 'application/json; charset=utf-8',
  profile: makeProfile('demo'),
  ageS: 3,
  ...over,
});

const get = (headers: Record<string, string> = {}) =>
  apiEvent({ route: '/api/profiles/{username}', pathParameters: { username: 'demo' }, headers });

const respond = (headers: Record<string, string> = {}, over: Partial<ViewResult> = {}) =>
  viewResponse(get(headers), result(over), 300, config, 'demo');

describe('If-Modified-Since', () => {
  it('answers 304 when the date is at or after Last-Modified, 200 when before', () => {
    expect(respond({ 'if-modified-since': LAST_MODIFIED }).statusCode).toBe(304);
    expect(respond({ 'if-modified-since': 'Mon, 01 Jun 2026 10:00:01 GMT' }).statusCode).toBe(304);
    const before = respond({ 'if-modified-since': 'Mon, 01 Jun 2026 09:59:59 GMT' });
    expect(before.statusCode).toBe(200);
    expect(before.body).toBe('{"a":1}');
  });

  it('is ignored when unparsable, and when there is no Last-Modified to compare with', () => {
    expect(respond({ 'if-modified-since': 'yesterday-ish' }).statusCode).toBe(200);
    expect(respond({ 'if-modified-since': LAST_MODIFIED }, { lastModified: undefined }).statusCode).toBe(200);
    expect(notModifiedSince(undefined, LAST_MODIFIED)).toBe(false);
  });

  it('gives way to If-None-Match, which decides alone (RFC 9110)', () => {
    const later = 'Tue, 02 Jun 2026 00:00:00 GMT';
    expect(respond({ 'if-none-match': '"other"', 'if-modified-since': later }).statusCode).toBe(200);
    expect(respond({ 'if-none-match': '"abc"', 'if-modified-since': 'Sun, 01 Jan 2006 00:00:00 GMT' }).statusCode).toBe(304);
  });
});

describe('caching headers', () => {
  it('tells browsers L1_TTL_S and shared caches and CDNs CDN_MAX_AGE_S, without stale-while-revalidate', () => {
    const r = respond();
    expect(r.headers['cache-control']).toBe('public, max-age=5, s-maxage=30, stale-if-error=86400');
    expect(r.headers['cdn-cache-control']).toBe('max-age=30, stale-if-error=86400');
    expect(r.headers['cache-control']).not.toContain('stale-while-revalidate');
  });

  it('keeps STALE answers out of every cache in front (max-age=0, no s-maxage, no CDN-Cache-Control)', () => {
    const r = respond({}, { outcome: 'STALE' });
    expect(r.headers['cache-control']).toBe('public, max-age=0, stale-if-error=86400');
    expect(r.headers['cdn-cache-control']).toBeUndefined();
    expect(cdnCacheControl({ outcome: 'STALE' }, config)).toBeUndefined();
  });

  it('tags every answer of the profile for purging by tag, and names no CDN policy without CDN_MAX_AGE_S', () => {
    const r = respond();
    expect(r.headers['surrogate-key']).toBe('profile:demo');
    expect(r.headers['cache-tag']).toBe('profile:demo');
    expect(viewResponse(get(), result(), 300, config).headers['surrogate-key']).toBeUndefined();
    const { cdnMaxAgeS: _, ...noCdn } = config;
    const plain = viewResponse(get(), result(), 300, noCdn, 'demo');
    expect(plain.headers['cache-control']).toBe('public, max-age=5, stale-if-error=86400');
    expect(plain.headers['cdn-cache-control']).toBeUndefined();
  });

  it('says Age on answers from a cache tier (HIT, STALE) and none on a MISS', () => {
    expect(respond({}, { outcome: 'HIT', ageS: 3 }).headers.age).toBe('3');
    expect(respond({}, { outcome: 'STALE', ageS: 400 }).headers.age).toBe('400');
    expect(respond({}, { outcome: 'MISS', ageS: 0 }).headers.age).toBeUndefined();
  });

  it('gives a 304 the headers of the 200 but the body and its type', () => {
    const ok = respond();
    const not = respond({ 'if-none-match': '"abc"' });
    expect(not.statusCode).toBe(304);
    expect(not.body).toBeUndefined();
    const { 'content-type': type, ...rest } = ok.headers;
    expect(type).toMatch(/json/);
    expect(not.headers).toEqual(rest);
  });

  it('keeps cacheControl for callers that format their own answer (the view TTL no longer enters it)', () => {
    expect(cacheControl({ outcome: 'HIT' }, 300, config)).toBe(cacheControl({ outcome: 'MISS' }, 120, config));
    expect(cacheControl({ outcome: 'STALE' }, 300, config)).toBe('public, max-age=0, stale-if-error=86400');
  });
});

describe('cdnHeaders and cacheHeaders (for answers that are not a View, such as oEmbed)', () => {
  it('gives one frozen, lower-case tag object per username', () => {
    const t = cdnHeaders('Demo');
    expect(t).toEqual({ 'surrogate-key': 'profile:demo', 'cache-tag': 'profile:demo' });
    expect(Object.isFrozen(t)).toBe(true);
    expect(cdnHeaders('Demo')).toBe(t);
  });

  it('gives a fresh object with every caching header of the answer', () => {
    const h = cacheHeaders({ outcome: 'HIT', ageS: 7 }, config, 'demo');
    expect(h).toEqual({
      'cache-control': 'public, max-age=5, s-maxage=30, stale-if-error=86400',
      'cdn-cache-control': 'max-age=30, stale-if-error=86400',
      'surrogate-key': 'profile:demo',
      'cache-tag': 'profile:demo',
      'x-cache': 'HIT',
      age: '7',
    });
    expect(cacheHeaders({ outcome: 'HIT', ageS: 7 }, config, 'demo')).not.toBe(h);
    expect(cacheHeaders({ outcome: 'MISS' }, config, 'demo').age).toBeUndefined();
  });
});
