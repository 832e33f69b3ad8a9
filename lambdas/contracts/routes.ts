// The one route table: API Gateway routes in CDK and the local HTTP adapter are both built from it,
// so the local stack dispatches exactly as the deployed HTTP API does. `routes` is the declared
// table plus what it implies: a HEAD beside every GET (API Gateway routes HEAD only to a HEAD
// route) and an OPTIONS preflight route on every path with a CORS route.

/** Each Lambda function, by name; its entry is `lambdas/<name>/index.ts`, export `handler`. */
export type FunctionName = 'profile' | 'site' | 'track' | 'webhook' | 'admin';

/** What a scoped API key may be allowed to do (docs/api-keys.md); the root key (ADMIN_TOKEN) may do all. */
export const SCOPES = ['analytics:read', 'links:write', 'cache:invalidate', 'webhooks:manage'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** API Gateway path template: `{param}` segments, no greedy params. */
  path: string;
  fn: FunctionName;
  /** An HTML page for people: its errors render as HTML error pages, not the JSON error body. */
  page?: true;
  /**
   * Readable by browser code on other sites (the origins of `CORS_ORIGINS`): the kernel adds the
   * CORS headers to its answers and answers the path's OPTIONS preflight. Public routes only.
   */
  cors?: true;
  /**
   * A private route and what its bearer key needs: a scope, or 'root' (the ADMIN_TOKEN only). The
   * kernel checks it before the handler runs, and the profile too where the path has `{username}`.
   * Left out means public; a test keeps every route outside the public list declaring it.
   */
  auth?: Scope | 'root';
}

/** The routes as written; `routes` (below) is what is deployed and served. */
export const declaredRoutes: readonly Route[] = [
  { method: 'GET', path: '/health', fn: 'profile' },
  { method: 'GET', path: '/api/profiles/{username}', fn: 'profile', cors: true },
  { method: 'GET', path: '/api/profiles/{username}/links', fn: 'profile', cors: true },
  // Click tracking (docs/analytics.md): redirects and beacon events onto the queue.
  { method: 'GET', path: '/r/{username}/{linkId}', fn: 'track' },
  { method: 'HEAD', path: '/r/{username}/{linkId}', fn: 'track' },
  { method: 'POST', path: '/api/events', fn: 'track', cors: true },
  // Private routes (docs/api-keys.md): analytics over the 10-second aggregates, the owner's writes.
  { method: 'GET', path: '/api/profiles/{username}/analytics', fn: 'admin', auth: 'analytics:read' },
  { method: 'PATCH', path: '/api/profiles/{username}/links', fn: 'admin', auth: 'links:write' },
  { method: 'POST', path: '/api/cache/invalidate/{username}', fn: 'admin', auth: 'cache:invalidate' },
  // Scoped API keys, made, listed and revoked by the root key alone.
  { method: 'POST', path: '/api/keys', fn: 'admin', auth: 'root' },
  { method: 'GET', path: '/api/keys', fn: 'admin', auth: 'root' },
  { method: 'DELETE', path: '/api/keys/{id}', fn: 'admin', auth: 'root' },
  // Outgoing webhooks to the teams that embed profiles (docs/webhooks-out.md).
  { method: 'POST', path: '/api/webhook-endpoints', fn: 'admin', auth: 'webhooks:manage' },
  { method: 'GET', path: '/api/webhook-endpoints', fn: 'admin', auth: 'webhooks:manage' },
  { method: 'DELETE', path: '/api/webhook-endpoints/{id}', fn: 'admin', auth: 'webhooks:manage' },
  { method: 'GET', path: '/api/webhook-endpoints/{id}/deliveries', fn: 'admin', auth: 'webhooks:manage' },
  { method: 'POST', path: '/webhooks/linktree', fn: 'webhook' },
  // Pages (HTML, docs/pages.md): the link-in-bio page is on the hot path with the JSON reads; the
  // owner's dashboard and the static files are the site function's, so the profile bundle stays lean.
  { method: 'GET', path: '/{username}', fn: 'profile', page: true },
  // Embedding in other products: the compact framable page, oEmbed, the API description.
  { method: 'GET', path: '/embed/{username}', fn: 'profile', page: true },
  { method: 'GET', path: '/oembed', fn: 'site', cors: true },
  { method: 'GET', path: '/openapi.json', fn: 'site', cors: true },
  { method: 'GET', path: '/docs', fn: 'site', page: true },
  { method: 'GET', path: '/dashboard/{username}', fn: 'site', page: true },
  { method: 'GET', path: '/assets/{file}', fn: 'site', page: true },
  { method: 'GET', path: '/robots.txt', fn: 'site', page: true },
  { method: 'GET', path: '/favicon.ico', fn: 'site', page: true },
];

export const routeKey = (r: Pick<Route, 'method' | 'path'>): string => `${r.method} ${r.path}`;

/**
 * `table` with the routes it implies, each after the route it comes from: a HEAD for every GET
 * without one (same function and flags: HEAD answers as GET does, without the body), then an
 * OPTIONS for every path with a CORS route, to the function of that path's first CORS route.
 * Routes already in the table are kept as written, so applying it twice changes nothing.
 */
export const withImpliedRoutes = (table: readonly Route[]): Route[] => {
  const keys = new Set(table.map(routeKey));
  const out: Route[] = [];
  const imply = (r: Route) => {
    if (keys.has(routeKey(r))) return;
    keys.add(routeKey(r));
    out.push(r);
  };
  for (const r of table) {
    out.push(r);
    if (r.method === 'GET') imply({ ...r, method: 'HEAD' });
  }
  for (const r of table) if (r.cors) imply({ method: 'OPTIONS', path: r.path, fn: r.fn, cors: true });
  return out;
};

/** Every route the HTTP API answers, deployed (CDK) and local (the adapter) alike. */
export const routes: readonly Route[] = withImpliedRoutes(declaredRoutes);

/** Route keys of the CORS routes of `table`, their preflight (OPTIONS) routes included. */
export const corsRouteKeys = (table: readonly Route[]): ReadonlySet<string> => new Set(table.filter((r) => r.cors).map(routeKey));

/**
 * For each OPTIONS route of `table` on a CORS path, the methods a preflight may allow there (the
 * path's CORS routes, in table order): a private method on the same path is never among them.
 */
export const corsMethods = (table: readonly Route[]): ReadonlyMap<string, readonly Route['method'][]> => {
  const out = new Map<string, Route['method'][]>();
  for (const r of table) {
    if (!r.cors || r.method === 'OPTIONS') continue;
    const key = routeKey({ method: 'OPTIONS', path: r.path });
    const methods = out.get(key) ?? [];
    if (!methods.includes(r.method)) methods.push(r.method);
    out.set(key, methods);
  }
  return out;
};

/** Route keys of the flagged page routes of `table`. */
export const pageRouteKeys = (table: readonly Route[]): ReadonlySet<string> => new Set(table.filter((r) => r.page).map(routeKey));

/**
 * The literal first path segments of `table` (lower case): each is a route of its own, so no
 * username may take it. Derived, so a new route reserves its segment without a second list.
 */
export const reservedSegments = (table: readonly Route[]): ReadonlySet<string> => {
  const out = new Set<string>();
  for (const r of table) {
    const first = r.path.split('/')[1] ?? '';
    if (first && !first.startsWith('{')) out.add(first.toLowerCase());
  }
  return out;
};

export const PAGE_ROUTE_KEYS: ReadonlySet<string> = pageRouteKeys(routes);

export const CORS_ROUTE_KEYS: ReadonlySet<string> = corsRouteKeys(routes);

export const CORS_METHODS: ReadonlyMap<string, readonly Route['method'][]> = corsMethods(routes);

export const RESERVED_SEGMENTS: ReadonlySet<string> = reservedSegments(routes);

/** Route key → what its bearer key needs, for every private route of `table` (implied HEADs too). */
export const routeAuth = (table: readonly Route[]): ReadonlyMap<string, Scope | 'root'> =>
  new Map(table.flatMap((r) => (r.auth ? [[routeKey(r), r.auth] as const] : [])));

export const ROUTE_AUTH: ReadonlyMap<string, Scope | 'root'> = routeAuth(routes);
