// Serving cached views over HTTP, shared by the profile function (JSON API, the link-in-bio page)
// and the site function (the dashboard): a View read through the cache tiers answered with its
// ETag/304/Cache-Control/X-Cache (respond.ts), a negatively cached 404, and errors rendered as
// HTML pages on page routes and as JSON on the API — one router for both handlers.
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { View, ViewResult } from '../core/profile-service.ts';
import { errorPageResponse, isPageRoute } from '../pages/error-page.ts';
import { NotFoundError, ProfileNotFoundError } from '../shared/errors.ts';
import { errorResponse, type HttpEvent, type HttpResult, httpErrors } from '../shared/http.ts';
import type { ReadPath } from '../shared/read-path.ts';
import { logger, metrics, metricsOn } from '../shared/telemetry.ts';
import { parseUsername } from '../shared/username.ts';
import { viewResponse } from './respond.ts';

export type ViewDeps = Pick<ReadPath, 'service' | 'config'>;

export type ServeView = (
  event: HttpEvent,
  view: View,
  extraHeaders?: (result: ViewResult) => Record<string, string>,
) => Promise<HttpResult>;

/** Serves `view` of the profile named by the `{username}` path parameter. */
export const viewServer = ({ service, config }: ViewDeps): ServeView => {
  const negativeCacheControl = `public, max-age=${config.cache.negativeTtlS}`;
  return async (event, view, extraHeaders) => {
    const username = parseUsername(event.pathParameters?.username);
    try {
      const result = await service.view(view, username);
      const response = viewResponse(event, result, view.maxAgeS(config.cache), config.cache);
      if (extraHeaders) Object.assign(response.headers, extraHeaders(result));
      return response;
    } catch (err) {
      // A 404 is cached downstream too, for as long as we cache it ourselves.
      if (err instanceof ProfileNotFoundError) err.headers['cache-control'] = negativeCacheControl;
      throw err;
    }
  };
};

/** Page routes answer errors as HTML pages, the API as JSON. */
export const renderError = (err: unknown, event: HttpEvent): HttpResult =>
  isPageRoute(event) ? errorPageResponse(err) : errorResponse(err);

export type RouteHandler = (event: HttpEvent) => Promise<HttpResult>;

/** The Lambda handler over a route key (as in lambdas/routes.ts) → route map, with metrics and `renderError`. */
export const routedHandler = (routes: Record<string, RouteHandler>) => {
  // No early-timeout timer and race per request (middy's default): every dependency call on these
  // paths is bounded by its own timeout, and on the L1-hit path the timer costs more than the work.
  const base = middy<HttpEvent, HttpResult>({ timeoutEarlyInMillis: 0 });
  if (metricsOn) base.use(logMetrics(metrics));
  return base.use(httpErrors(logger, renderError)).handler(async (event) => {
    const route = routes[event.routeKey];
    if (!route) throw new NotFoundError(`No route for ${event.routeKey}.`);
    return route(event);
  });
};
