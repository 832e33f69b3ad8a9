// The profile Lambda: the hot path of public reads — cached profiles as JSON, the link-in-bio
// page — and the health route. The dashboard and the static assets are the site function's
// (lambdas/site/), so this bundle carries neither uPlot nor the asset bodies.
import { embedRoute } from '../pages/embed-page.ts';
import { profilePageView } from '../pages/profile-page.ts';
import { assertNotReserved, publicBaseUrl } from '../pages/static-routes.ts';
import { type HealthCheck, checkHealth } from '../shared/health.ts';
import { json } from '../shared/http.ts';
import type { ReadPath } from '../wiring/read-path.ts';
import { routedHandler, viewServer } from './serve-view.ts';
import { linksView, profileView } from './views.ts';

export type ProfileDeps = Pick<ReadPath, 'service' | 'config' | 'l1'> & {
  /** `PUBLIC_BASE_URL`: the public origin of the pages; unset, the domain each request came in on. */
  publicBaseUrl?: string;
  /** `FRAME_ANCESTORS`: who may frame /embed/{username} (CSP frame-ancestors sources); `*` when unset. */
  frameAncestors?: string;
};

export const makeHandler = (deps: ProfileDeps) => {
  const serveView = viewServer(deps);
  const l1Health: HealthCheck = async () => ({ status: 'up', detail: JSON.stringify(deps.l1.stats) });

  return routedHandler({
    'GET /api/profiles/{username}': (e) => serveView(e, profileView),
    'GET /api/profiles/{username}/links': (e) => serveView(e, linksView),
    'GET /{username}': (e) => {
      assertNotReserved(e.pathParameters?.username);
      return serveView(e, profilePageView(publicBaseUrl(e, deps.publicBaseUrl)));
    },
    'GET /embed/{username}': embedRoute(serveView, deps),
    'GET /health': async () => json(200, await checkHealth({ l1: l1Health }), { 'cache-control': 'no-store' }),
  });
};
