// The one way an HTTP handler is assembled: middy, Powertools metrics (when on), errors mapped to
// responses in one place, then dispatch on the API Gateway route key (lambdas/contracts/routes.ts).
// The kernel also answers what the route table implies for every function alike: HEAD as GET
// (same status and headers; the body is dropped on the way out), CORS on the flagged routes, and
// the `auth` of private routes: the bearer key checked before the handler runs (shared/auth.ts).
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { ROUTE_AUTH } from '../contracts/routes.ts';
import { type Authenticator, authorize, type Principal, type RouteAuth } from './auth.ts';
import { addCorsHeaders, type CorsPolicy, configuredCors, isCorsRoute, isPreflightRoute, preflightResponse } from './cors.ts';
import { NotFoundError, UnauthorizedError } from './errors.ts';
import { errorResponse, type HttpEvent, type HttpResult, httpErrors } from './http.ts';
import { logger, metrics, metricsOn } from './telemetry.ts';

/** What the kernel knows of a request beyond the event: the checked principal on private routes. */
export interface RouteContext {
  principal?: Principal;
}

/** Returns a fresh `headers` object per response: the kernel adds to it (CORS). */
export type RouteHandler = (event: HttpEvent, ctx: RouteContext) => Promise<HttpResult>;

export interface RouterOptions {
  /** How errors become responses (HTML pages on page routes); JSON errors by default. */
  renderError?: (err: unknown, event: HttpEvent) => HttpResult;
  /** Runs before any route, e.g. the admin token check; throws to refuse. */
  guard?: (event: HttpEvent) => Promise<void>;
  /**
   * middy's early-timeout response just before Lambda's own timeout (a timer and a race per
   * request). On by default; off on the cached read path, where every call is bounded and the
   * timer costs more than an L1 hit.
   */
  timeoutEarly?: boolean;
  /** The CORS policy; by default the process's, which the wiring sets from `CORS_ORIGINS`. */
  cors?: CorsPolicy;
  /** Who a bearer key is: needed by a function with private routes; without it they answer 401. */
  authenticator?: Authenticator;
  /** Route key → `auth` of the private routes; by default the route table's (contracts/routes.ts). */
  routeAuth?: ReadonlyMap<string, RouteAuth>;
}

/** `routes` plus `HEAD <path>` → the GET handler wherever the function gives no HEAD of its own. */
export const withHeadRoutes = (routes: Record<string, RouteHandler>): Record<string, RouteHandler> => {
  const out = { ...routes };
  for (const key of Object.keys(routes)) {
    if (!key.startsWith('GET ')) continue;
    const head = `HEAD ${key.slice(4)}`;
    if (!(head in out)) out[head] = routes[key];
  }
  return out;
};

export const routedHandler = (routes: Record<string, RouteHandler>, options: RouterOptions = {}) => {
  const base = middy<HttpEvent, HttpResult>(options.timeoutEarly === false ? { timeoutEarlyInMillis: 0 } : {});
  if (metricsOn) base.use(logMetrics(metrics));
  const { guard, authenticator } = options;
  const needs = options.routeAuth ?? ROUTE_AUTH;
  const table = withHeadRoutes(routes);
  const cors = (): CorsPolicy => options.cors ?? configuredCors();
  const render = options.renderError ?? errorResponse;
  // Errors of a CORS route carry the grant too, so a script on another site can read them.
  const renderError = (err: unknown, event: HttpEvent): HttpResult => {
    const result = render(err, event);
    return isCorsRoute(event.routeKey) ? addCorsHeaders(cors(), event, result) : result;
  };
  return base.use(httpErrors(logger, renderError)).handler(async (event) => {
    const key = event.routeKey;
    // Before the guard: a browser's preflight never carries credentials.
    if (isPreflightRoute(key)) return preflightResponse(cors(), event);
    if (guard) await guard(event);
    const route = table[key];
    if (!route) throw new NotFoundError(`No route for ${key}.`);
    const ctx: RouteContext = {};
    const need = needs.get(key);
    if (need) {
      // Fails closed: a private route in a function wired without an authenticator admits nobody.
      if (!authenticator) throw new UnauthorizedError('This route takes no keys here.');
      ctx.principal = await authorize(event, need, authenticator);
    }
    const result = await route(event, ctx);
    return isCorsRoute(key) ? addCorsHeaders(cors(), event, result) : result;
  });
};
