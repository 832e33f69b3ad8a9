// The one way an HTTP handler is assembled: middy, Powertools metrics (when on), errors mapped to
// responses in one place, then dispatch on the API Gateway route key (lambdas/contracts/routes.ts).
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { NotFoundError } from './errors.ts';
import { errorResponse, type HttpEvent, type HttpResult, httpErrors } from './http.ts';
import { logger, metrics, metricsOn } from './telemetry.ts';

export type RouteHandler = (event: HttpEvent) => Promise<HttpResult>;

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
}

export const routedHandler = (routes: Record<string, RouteHandler>, options: RouterOptions = {}) => {
  const base = middy<HttpEvent, HttpResult>(options.timeoutEarly === false ? { timeoutEarlyInMillis: 0 } : {});
  if (metricsOn) base.use(logMetrics(metrics));
  const { guard } = options;
  return base.use(httpErrors(logger, options.renderError ?? errorResponse)).handler(async (event) => {
    if (guard) await guard(event);
    const route = routes[event.routeKey];
    if (!route) throw new NotFoundError(`No route for ${event.routeKey}.`);
    return route(event);
  });
};
