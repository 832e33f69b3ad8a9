// The profile Lambda: public reads of cached profiles, and the health route.
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { View, ViewResult } from '../core/profile-service.ts';
import { dashboardHeaders, dashboardView } from '../pages/dashboard-page.ts';
import { errorPageResponse, isPageRoute } from '../pages/error-page.ts';
import { profilePageHeaders, profilePageView } from '../pages/profile-page.ts';
import { assetRoute, faviconResponse, robotsResponse } from '../pages/static-files.ts';
import { assertNotReserved, publicBaseUrl } from '../pages/static-routes.ts';
import { type HealthCheck, checkHealth } from '../shared/health.ts';
import { errorResponse, type HttpEvent, type HttpResult, httpErrors, json } from '../shared/http.ts';
import { NotFoundError, ProfileNotFoundError } from '../shared/errors.ts';
import { type ReadPath, readPath } from '../shared/read-path.ts';
import { logger, metrics, metricsOn } from '../shared/telemetry.ts';
import { parseUsername } from '../shared/username.ts';
import { viewResponse } from './respond.ts';
import { linksView, profileView } from './views.ts';

export type ProfileDeps = Pick<ReadPath, 'service' | 'config' | 'l1'>;

export const makeHandler = (deps: ProfileDeps) => {
  const { service, config } = deps;
  const negativeCacheControl = `public, max-age=${config.cache.negativeTtlS}`;

  const serveView = async (
    event: HttpEvent,
    view: View,
    extraHeaders?: (result: ViewResult) => Record<string, string>,
  ): Promise<HttpResult> => {
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

  const l1Health: HealthCheck = async () => ({ status: 'up', detail: JSON.stringify(deps.l1.stats) });

  const routes: Record<string, (event: HttpEvent) => Promise<HttpResult>> = {
    'GET /api/profiles/{username}': (e) => serveView(e, profileView),
    'GET /api/profiles/{username}/links': (e) => serveView(e, linksView),
    'GET /{username}': (e) => {
      assertNotReserved(e.pathParameters?.username);
      return serveView(e, profilePageView(publicBaseUrl(e)), (r) => profilePageHeaders(r.profile));
    },
    'GET /dashboard/{username}': (e) => {
      assertNotReserved(e.pathParameters?.username);
      return serveView(e, dashboardView, dashboardHeaders);
    },
    'GET /assets/{file}': async (e) => assetRoute(e),
    'GET /robots.txt': async () => robotsResponse(),
    'GET /favicon.ico': async () => faviconResponse(),
    'GET /health': async () => json(200, await checkHealth({ l1: l1Health }), { 'cache-control': 'no-store' }),
  };

  const base = middy<HttpEvent, HttpResult>();
  if (metricsOn) base.use(logMetrics(metrics));
  // Page routes answer errors as HTML pages, the API as JSON.
  const renderError = (err: unknown, event: HttpEvent): HttpResult =>
    isPageRoute(event) ? errorPageResponse(err) : errorResponse(err);
  return base.use(httpErrors(logger, renderError)).handler(async (event) => {
    const route = routes[event.routeKey];
    if (!route) throw new NotFoundError(`No route for ${event.routeKey}.`);
    return route(event);
  });
};

export const handler = makeHandler(readPath());
