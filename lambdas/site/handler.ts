// The site Lambda: the owner's analytics dashboard, oEmbed and the pages' static files (/assets,
// /favicon.ico, /robots.txt). Kept apart from the profile function so the public read path does
// not load uPlot and the asset bodies (≈ 66 KB of bundle) on every cold start. The dashboard
// shell is a cached View of the profile through the same read path (an unknown profile is the
// 404 page), served and error-rendered exactly as the profile function's pages are. The API
// description is served here too, as JSON (/openapi.json) and as a page (/docs): both come from
// the document generated at build time (lambdas/openapi/), built into their bodies once per process.
import { openApiResponse } from '../openapi/document.ts';
import { dashboardView } from '../pages/dashboard-page.ts';
import { docsResponse } from '../pages/docs-page.ts';
import { oembedRoute } from '../pages/oembed.ts';
import { assetRoute, faviconResponse, robotsResponse } from '../pages/static-files.ts';
import { assertNotReserved } from '../pages/static-routes.ts';
import { routedHandler, type ViewDeps, viewServer } from '../profile/serve-view.ts';
import { header } from '../shared/http.ts';

export type SiteDeps = ViewDeps & {
  /** `PUBLIC_BASE_URL`: the only host whose pages oEmbed answers for; unset, the request's own domain. */
  publicBaseUrl?: string;
};

export const makeHandler = (deps: SiteDeps) => {
  const serveView = viewServer(deps);
  return routedHandler({
    'GET /dashboard/{username}': (e) => {
      assertNotReserved(e.pathParameters?.username);
      return serveView(e, dashboardView);
    },
    'GET /assets/{file}': async (e) => assetRoute(e),
    'GET /robots.txt': async () => robotsResponse(),
    'GET /favicon.ico': async () => faviconResponse(),
    'GET /openapi.json': async (e) => openApiResponse(header(e, 'if-none-match')),
    'GET /docs': async (e) => docsResponse(header(e, 'if-none-match')),
    // Asked by the platforms that embed a page, not on a viewer's path: kept off the profile bundle.
    'GET /oembed': oembedRoute(deps),
  });
};
