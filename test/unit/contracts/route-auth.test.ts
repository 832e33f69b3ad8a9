import { describe, expect, it } from 'vitest';
import { declaredRoutes, ROUTE_AUTH, routeKey, routes, SCOPES } from '../../../lambdas/contracts/routes.ts';

// The public routes, by name: everything else in the table must declare `auth`. A new route
// without it fails here until it is either listed as public or given its scope.
const PUBLIC = new Set([
  'GET /health',
  'GET /api/profiles/{username}',
  'GET /api/profiles/{username}/links',
  'GET /r/{username}/{linkId}',
  'HEAD /r/{username}/{linkId}',
  'POST /api/events',
  // The incoming webhook target: its Standard Webhooks signature is its authentication.
  'POST /webhooks/linktree',
  'GET /{username}',
  'GET /embed/{username}',
  'GET /oembed',
  'GET /openapi.json',
  'GET /docs',
  // The dashboard page is public; the data it loads is the private analytics route.
  'GET /dashboard/{username}',
  'GET /assets/{file}',
  'GET /robots.txt',
  'GET /favicon.ico',
]);

describe('every private route declares its auth in the route table', () => {
  it('each declared route is either public by name or declares auth', () => {
    const missing = declaredRoutes.filter((r) => !PUBLIC.has(routeKey(r)) && !r.auth).map(routeKey);
    expect(missing).toEqual([]);
  });

  it('no public route declares auth, and no public route is missing from the table', () => {
    expect(declaredRoutes.filter((r) => PUBLIC.has(routeKey(r)) && r.auth).map(routeKey)).toEqual([]);
    const keys = new Set(declaredRoutes.map(routeKey));
    expect([...PUBLIC].filter((k) => !keys.has(k))).toEqual([]);
  });

  it('auth is a known scope or root, private routes are never CORS or pages, and implied HEADs inherit it', () => {
    for (const r of routes) {
      if (!r.auth) continue;
      expect([...SCOPES, 'root']).toContain(r.auth);
      expect({ key: routeKey(r), cors: r.cors, page: r.page }).toEqual({ key: routeKey(r), cors: undefined, page: undefined });
    }
    expect(ROUTE_AUTH.get('HEAD /api/profiles/{username}/analytics')).toBe('analytics:read');
    expect(ROUTE_AUTH.get('GET /api/profiles/{username}/analytics')).toBe('analytics:read');
    expect(ROUTE_AUTH.get('POST /api/keys')).toBe('root');
    expect(ROUTE_AUTH.has('GET /api/profiles/{username}')).toBe(false);
  });

  it('every admin route is private', () => {
    expect(routes.filter((r) => r.fn === 'admin' && !r.auth).map(routeKey)).toEqual([]);
  });
});
