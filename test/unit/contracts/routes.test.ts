import { describe, expect, it } from 'vitest';
import {
  PAGE_ROUTE_KEYS,
  pageRouteKeys,
  RESERVED_SEGMENTS,
  type Route,
  reservedSegments,
  routeKey,
  routes,
} from '../../../lambdas/contracts/routes.ts';
import { isPageRoute } from '../../../lambdas/pages/error-page.ts';
import { assertNotReserved, isReserved } from '../../../lambdas/pages/static-routes.ts';

const table: Route[] = [
  { method: 'GET', path: '/health', fn: 'profile' },
  { method: 'GET', path: '/api/profiles/{username}', fn: 'profile' },
  { method: 'POST', path: '/api/events', fn: 'track' },
  { method: 'GET', path: '/{username}', fn: 'profile', page: true },
  { method: 'GET', path: '/Stats/{username}', fn: 'site', page: true },
  { method: 'GET', path: '/{username}/qr.png', fn: 'site' },
];

describe('reservedSegments', () => {
  it('is the literal first segment of every route, lower-cased, once each; parameters reserve nothing', () => {
    expect([...reservedSegments(table)].sort()).toEqual(['api', 'health', 'stats']);
  });

  it('reserves the first segment of a route as soon as it is in the table', () => {
    const more: Route[] = [...table, { method: 'GET', path: '/sitemap.xml', fn: 'site' }];
    expect(reservedSegments(table).has('sitemap.xml')).toBe(false);
    expect(reservedSegments(more).has('sitemap.xml')).toBe(true);
  });

  it('gives, for the real table, the reserved first segments of the public contract', () => {
    expect([...RESERVED_SEGMENTS].sort()).toEqual(
      [
        'api',
        'assets',
        'dashboard',
        'docs',
        'embed',
        'favicon.ico',
        'health',
        'oembed',
        'openapi.json',
        'r',
        'robots.txt',
        'webhooks',
      ].sort(),
    );
  });

  it('is what static-routes checks usernames against, case-insensitively', () => {
    for (const s of RESERVED_SEGMENTS) {
      expect(isReserved(s.toUpperCase())).toBe(true);
      expect(() => assertNotReserved(s)).toThrow(/is not a profile/);
    }
    expect(isReserved('demo')).toBe(false);
    expect(isReserved(undefined)).toBe(false);
    expect(() => assertNotReserved('demo')).not.toThrow();
  });
});

describe('pageRouteKeys', () => {
  it('is exactly the route keys of the flagged routes', () => {
    expect([...pageRouteKeys(table)].sort()).toEqual(['GET /Stats/{username}', 'GET /{username}']);
    expect(pageRouteKeys([]).size).toBe(0);
  });

  it('gives, for the real table, the HTML page routes and no JSON route', () => {
    expect([...PAGE_ROUTE_KEYS].sort()).toEqual(
      [
        'GET /{username}',
        'GET /embed/{username}',
        'GET /dashboard/{username}',
        'GET /docs',
        'GET /assets/{file}',
        'GET /robots.txt',
        'GET /favicon.ico',
      ].sort(),
    );
  });

  it('is what error-page decides HTML errors by', () => {
    for (const r of routes) expect(isPageRoute({ routeKey: routeKey(r) })).toBe(r.page === true);
  });
});
