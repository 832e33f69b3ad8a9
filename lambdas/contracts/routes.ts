// The one route table: API Gateway routes in CDK and the local HTTP adapter are both built from it,
// so the local stack dispatches exactly as the deployed HTTP API does.

/** Each Lambda function, by name; its entry is `lambdas/<name>/index.ts`, export `handler`. */
export type FunctionName = 'profile' | 'site' | 'track' | 'webhook' | 'admin';

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH';
  /** API Gateway path template: `{param}` segments, no greedy params. */
  path: string;
  fn: FunctionName;
  /** An HTML page for people: its errors render as HTML error pages, not the JSON error body. */
  page?: true;
}

export const routes: readonly Route[] = [
  { method: 'GET', path: '/health', fn: 'profile' },
  { method: 'GET', path: '/api/profiles/{username}', fn: 'profile' },
  { method: 'GET', path: '/api/profiles/{username}/links', fn: 'profile' },
  // Click tracking (docs/analytics.md): redirects and beacon events onto the queue.
  { method: 'GET', path: '/r/{username}/{linkId}', fn: 'track' },
  { method: 'HEAD', path: '/r/{username}/{linkId}', fn: 'track' },
  { method: 'POST', path: '/api/events', fn: 'track' },
  // Analytics over the 10-second aggregates (private: admin token).
  { method: 'GET', path: '/api/profiles/{username}/analytics', fn: 'admin' },
  { method: 'PATCH', path: '/api/profiles/{username}/links', fn: 'admin' },
  { method: 'POST', path: '/api/cache/invalidate/{username}', fn: 'admin' },
  { method: 'POST', path: '/webhooks/linktree', fn: 'webhook' },
  // Pages (HTML, docs/pages.md): the link-in-bio page is on the hot path with the JSON reads; the
  // owner's dashboard and the static files are the site function's, so the profile bundle stays lean.
  { method: 'GET', path: '/{username}', fn: 'profile', page: true },
  // Embedding in other products: the compact framable page, oEmbed, the API description.
  { method: 'GET', path: '/embed/{username}', fn: 'profile', page: true },
  { method: 'GET', path: '/oembed', fn: 'profile' },
  { method: 'GET', path: '/openapi.json', fn: 'site' },
  { method: 'GET', path: '/docs', fn: 'site', page: true },
  { method: 'GET', path: '/dashboard/{username}', fn: 'site', page: true },
  { method: 'GET', path: '/assets/{file}', fn: 'site', page: true },
  { method: 'GET', path: '/robots.txt', fn: 'site', page: true },
  { method: 'GET', path: '/favicon.ico', fn: 'site', page: true },
];

export const routeKey = (r: Pick<Route, 'method' | 'path'>): string => `${r.method} ${r.path}`;

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

export const RESERVED_SEGMENTS: ReadonlySet<string> = reservedSegments(routes);
