// CORS for the routes flagged `cors` in lambdas/contracts/routes.ts: the answers grant the origins
// of `CORS_ORIGINS` (`*`, or the request's Origin echoed with `Vary: Origin`), and the OPTIONS
// preflight routes of those paths are answered here, by the kernel. API Gateway's own CORS
// configuration is left off: it applies to every route of the API, private ones included, and
// overrides what the Lambda answers (docs/api.md, "Browsers on other sites").
import { CORS_METHODS, CORS_ROUTE_KEYS } from '../contracts/routes.ts';
import type { HttpEvent, HttpResult } from './http.ts';

/** Request headers a cross-origin script may send to a CORS route (CORS-safelisted ones need no grant). */
export const CORS_ALLOW_HEADERS = 'content-type, if-none-match, if-modified-since';
/** Response headers a cross-origin script may read beyond the safelisted ones (Cache-Control, Last-Modified, ...). */
export const CORS_EXPOSE_HEADERS = 'etag, x-cache, age, retry-after';
/** Seconds a browser keeps a preflight's answer: Chromium's cap (Firefox keeps up to a day). */
export const CORS_MAX_AGE_S = 7200;

export interface CorsPolicy {
  /** `*`: any origin, one answer for all; otherwise the allowed origins, lower case. */
  readonly anyOrigin: boolean;
  readonly origins: ReadonlySet<string>;
}

/** No cross-origin grant at all (no `CORS_ORIGINS` given to the process). */
export const NO_CORS: CorsPolicy = { anyOrigin: false, origins: new Set() };

/** The policy of a `CORS_ORIGINS` value: `*` or a comma list of origins (`https://app.example.com`). */
export const corsPolicy = (value: string | undefined): CorsPolicy => {
  const list = (value ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, '').toLowerCase())
    .filter(Boolean);
  if (list.includes('*')) return { anyOrigin: true, origins: new Set() };
  return list.length ? { anyOrigin: false, origins: new Set(list) } : NO_CORS;
};

let processPolicy: CorsPolicy = NO_CORS;

/**
 * Sets the process's policy from `CORS_ORIGINS`; the wiring calls it (the kernel reads no
 * environment), as it registers health checks. Routers given no policy of their own use it.
 */
export const configureCors = (value: string | undefined): void => {
  processPolicy = corsPolicy(value);
};

export const configuredCors = (): CorsPolicy => processPolicy;

/** Whether the answer to `routeKey` is the CORS kernel's business (a flagged route or its preflight). */
export const isCorsRoute = (routeKey: string): boolean => CORS_ROUTE_KEYS.has(routeKey);

/** Whether `routeKey` is a preflight route of the table (answered by `preflightResponse`). */
export const isPreflightRoute = (routeKey: string): boolean => CORS_METHODS.has(routeKey);

const addVary = (headers: Record<string, string>, name: string): void => {
  const vary = headers.vary;
  headers.vary = vary ? `${vary}, ${name}` : name;
};

/** The allowed origin to echo for `origin`, or undefined. */
const granted = (policy: CorsPolicy, origin: string | undefined): string | undefined => {
  if (policy.anyOrigin) return '*';
  if (origin === undefined || policy.origins.size === 0) return undefined;
  return policy.origins.has(origin.toLowerCase()) ? origin : undefined;
};

/**
 * Adds the CORS headers of an actual answer to `result.headers` (a fresh object per response, as
 * every handler returns). With a list of origins the answer depends on Origin whatever it is
 * (granted or not), so every answer says `Vary: Origin` and a cache keeps them apart; with `*`
 * it does not depend on it at all.
 */
export const addCorsHeaders = (policy: CorsPolicy, event: HttpEvent, result: HttpResult): HttpResult => {
  if (policy === NO_CORS) return result;
  const headers = result.headers;
  const allow = granted(policy, event.headers?.origin);
  if (!policy.anyOrigin) addVary(headers, 'Origin');
  if (allow !== undefined) {
    headers['access-control-allow-origin'] = allow;
    headers['access-control-expose-headers'] = CORS_EXPOSE_HEADERS;
  }
  return result;
};

/** `Allow` of each preflight route: what the path answers to other sites, OPTIONS included. */
const allowOf = new Map([...CORS_METHODS].map(([key, methods]) => [key, [...methods, 'OPTIONS'].join(', ')]));

/**
 * 204 to an OPTIONS request on a CORS path. An allowed Origin asking for one of the path's CORS
 * methods gets the grant (origin, methods, headers, max-age); anything else (another origin, a
 * private method of the same path such as PATCH .../links, no Origin) gets no CORS header, so a
 * browser refuses the request it was about to make.
 */
export const preflightResponse = (policy: CorsPolicy, event: HttpEvent): HttpResult => {
  const methods = CORS_METHODS.get(event.routeKey) ?? [];
  const headers: Record<string, string> = { allow: allowOf.get(event.routeKey) ?? 'OPTIONS', 'cache-control': 'no-store' };
  if (!policy.anyOrigin) addVary(headers, 'Origin');
  // The grant depends on the method asked for too.
  addVary(headers, 'Access-Control-Request-Method');
  const allow = granted(policy, event.headers?.origin);
  const asked = event.headers?.['access-control-request-method']?.trim().toUpperCase();
  if (allow !== undefined && asked !== undefined && (methods as readonly string[]).includes(asked)) {
    headers['access-control-allow-origin'] = allow;
    headers['access-control-allow-methods'] = methods.join(', ');
    headers['access-control-allow-headers'] = CORS_ALLOW_HEADERS;
    headers['access-control-max-age'] = String(CORS_MAX_AGE_S);
  }
  return { statusCode: 204, headers };
};
