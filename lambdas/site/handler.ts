// The site Lambda: the owner's analytics dashboard and the pages' static files (/assets,
// /favicon.ico, /robots.txt). Kept apart from the profile function so the public read path does
// not load uPlot and the asset bodies (≈ 66 KB of bundle) on every cold start. The dashboard
// shell is a cached View of the profile through the same read path (an unknown profile is the
// 404 page), served and error-rendered exactly as the profile function's pages are.
import { dashboardView } from '../pages/dashboard-page.ts';
import { assetRoute, faviconResponse, robotsResponse } from '../pages/static-files.ts';
import { assertNotReserved } from '../pages/static-routes.ts';
import { routedHandler, type ViewDeps, viewServer } from '../profile/serve-view.ts';

export type SiteDeps = ViewDeps;

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
  });
};
