import { describe, expect, it } from 'vitest';
import {
  CORS_METHODS,
  CORS_ROUTE_KEYS,
  corsMethods,
  corsRouteKeys,
  declaredRoutes,
  PAGE_ROUTE_KEYS,
  pageRouteKeys,
  RESERVED_SEGMENTS,
  type Route,
  reservedSegments,
  routeKey,
  routes,
  withImpliedRoutes,
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

  it('gives, for the real table, the HTML page routes (GET and the HEAD beside it) and no JSON route', () => {
    const pages = [
      '/{username}',
      '/embed/{username}',
      '/dashboard/{username}',
      '/docs',
      '/assets/{file}',
      '/robots.txt',
      '/favicon.ico',
    ];
    expect([...PAGE_ROUTE_KEYS].sort()).toEqual(pages.flatMap((p) => [`GET ${p}`, `HEAD ${p}`]).sort());
  });

  it('is what error-page decides HTML errors by', () => {
    for (const r of routes) expect(isPageRoute({ routeKey: routeKey(r) })).toBe(r.page === true);
  });
});

describe('withImpliedRoutes', () => {
  const small: Route[] = [
    { method: 'GET', path: '/a/{id}', fn: 'profile', cors: true },
    { method: 'PATCH', path: '/a/{id}', fn: 'admin' },
    { method: 'GET', path: '/p', fn: 'site', page: true },
    { method: 'GET', path: '/r/{id}', fn: 'track' },
    { method: 'HEAD', path: '/r/{id}', fn: 'track' },
    { method: 'POST', path: '/events', fn: 'track', cors: true },
  ];

  it('adds a HEAD beside every GET (same function and flags) and one OPTIONS per CORS path, nothing else', () => {
    const out = withImpliedRoutes(small);
    expect(out.map(routeKey)).toEqual([
      'GET /a/{id}',
      'HEAD /a/{id}',
      'PATCH /a/{id}',
      'GET /p',
      'HEAD /p',
      'GET /r/{id}',
      'HEAD /r/{id}',
      'POST /events',
      'OPTIONS /a/{id}',
      'OPTIONS /events',
    ]);
    expect(out.find((r) => routeKey(r) === 'HEAD /a/{id}')).toEqual({
      method: 'HEAD',
      path: '/a/{id}',
      fn: 'profile',
      cors: true,
    });
    expect(out.find((r) => routeKey(r) === 'HEAD /p')).toEqual({ method: 'HEAD', path: '/p', fn: 'site', page: true });
    expect(out.find((r) => routeKey(r) === 'OPTIONS /events')).toEqual({
      method: 'OPTIONS',
      path: '/events',
      fn: 'track',
      cors: true,
    });
  });

  it('keeps a HEAD the table declares, and changes nothing when applied twice', () => {
    const out = withImpliedRoutes(small);
    expect(out.filter((r) => routeKey(r) === 'HEAD /r/{id}')).toEqual([small[4]]);
    expect(withImpliedRoutes(out)).toEqual(out);
  });

  it('is the served table: every declared route, a HEAD for each GET, an OPTIONS for each CORS path, no duplicate', () => {
    const keys = routes.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of declaredRoutes) expect(keys).toContain(routeKey(r));
    for (const r of declaredRoutes.filter((d) => d.method === 'GET')) expect(keys).toContain(`HEAD ${r.path}`);
    const gets = declaredRoutes.filter((r) => r.method === 'GET').length;
    const corsPaths = new Set(declaredRoutes.filter((r) => r.cors).map((r) => r.path)).size;
    // HEAD /r/{username}/{linkId} is declared (the track function counts no HEAD), so one GET implies nothing.
    expect(routes.length).toBe(declaredRoutes.length + gets - 1 + corsPaths);
  });
});

describe('CORS routes', () => {
  it('flags exactly the public reads, oEmbed, the OpenAPI description and the beacon endpoint, with HEAD and preflights', () => {
    const paths = ['/api/profiles/{username}', '/api/profiles/{username}/links', '/oembed', '/openapi.json'];
    expect([...CORS_ROUTE_KEYS].sort()).toEqual(
      [...paths.flatMap((p) => [`GET ${p}`, `HEAD ${p}`, `OPTIONS ${p}`]), 'POST /api/events', 'OPTIONS /api/events'].sort(),
    );
  });

  it('grants no private route, page or webhook', () => {
    for (const r of routes) {
      const privateOrPage =
        r.fn === 'admin' || r.fn === 'webhook' || r.page === true || r.path.startsWith('/r/') || r.path === '/health';
      if (privateOrPage && r.method !== 'OPTIONS')
        expect({ key: routeKey(r), cors: r.cors }).toEqual({ key: routeKey(r), cors: undefined });
    }
  });

  it('lets a preflight allow only the CORS methods of its path (never PATCH on .../links)', () => {
    expect(Object.fromEntries(CORS_METHODS)).toEqual({
      'OPTIONS /api/profiles/{username}': ['GET', 'HEAD'],
      'OPTIONS /api/profiles/{username}/links': ['GET', 'HEAD'],
      'OPTIONS /oembed': ['GET', 'HEAD'],
      'OPTIONS /openapi.json': ['GET', 'HEAD'],
      'OPTIONS /api/events': ['POST'],
    });
    const flagged: Route[] = [...table, { method: 'POST', path: '/{username}/qr.png', fn: 'site', cors: true }];
    expect([...corsRouteKeys(flagged)]).toEqual(['POST /{username}/qr.png']);
    expect([...corsMethods(withImpliedRoutes(flagged))]).toEqual([['OPTIONS /{username}/qr.png', ['POST']]]);
    expect(corsMethods(table).size).toBe(0);
  });
});
