// Serving cached views over HTTP, shared by the profile function (JSON API, the link-in-bio page)
// and the site function (the dashboard): a View read through the cache tiers answered with its
// ETag/304/Cache-Control/X-Cache (respond.ts), a negatively cached 404, and errors rendered as
// HTML pages on page routes and as JSON on the API — one router for both handlers.
import type { View } from '../core/profile-service.ts';
import { errorPageResponse, isPageRoute } from '../pages/error-page.ts';
import { ProfileNotFoundError } from '../shared/errors.ts';
import { errorResponse, type HttpEvent, type HttpResult } from '../shared/http.ts';
import type { ReadPath } from '../wiring/read-path.ts';
import { type RouteHandler, routedHandler as sharedRoutedHandler } from '../shared/router.ts';
import { parseUsername } from '../shared/username.ts';
import { cdnHeaders, viewResponse } from './respond.ts';

export type ViewDeps = Pick<ReadPath, 'service' | 'config'>;

/** The view's own headers (a page's CSP) come memoized with its body: nothing is added per request. */
export type ServeView = (event: HttpEvent, view: View) => Promise<HttpResult>;

/** Serves `view` of the profile named by the `{username}` path parameter. */
export const viewServer = ({ service, config }: ViewDeps): ServeView => {
  const negativeCacheControl = `public, max-age=${config.cache.negativeTtlS}`;
  return async (event, view) => {
    const username = parseUsername(event.pathParameters?.username);
    try {
      const result = await service.view(view, username);
      return viewResponse(event, result, view.maxAgeS(config.cache), config.cache, username);
    } catch (err) {
      // A 404 is cached downstream too, for as long as we cache it ourselves, and purged with the profile.
      if (err instanceof ProfileNotFoundError) {
        Object.assign(err.headers, cdnHeaders(username));
        err.headers['cache-control'] = negativeCacheControl;
      }
      throw err;
    }
  };
};

/** Page routes answer errors as HTML pages, the API as JSON. */
export const renderError = (err: unknown, event: HttpEvent): HttpResult =>
  isPageRoute(event) ? errorPageResponse(err) : errorResponse(err);

/** The router of the profile and site functions: page routes render errors as HTML. */
export const routedHandler = (routes: Record<string, RouteHandler>) =>
  sharedRoutedHandler(routes, { renderError, timeoutEarly: false });
