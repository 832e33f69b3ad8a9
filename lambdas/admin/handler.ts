import type { ProfileInvalidator } from '../core/invalidation.ts';
import type { ProfileOrigin } from '../core/ports.ts';
import type { ProfileService } from '../core/profile-service.ts';
import type { EventPublisher } from '../core/events.ts';
import { json } from '../shared/http.ts';
import { parseUsername } from '../shared/username.ts';
import { type AnalyticsDeps, analyticsRoute } from './analytics.ts';
import { type KeyService, keyRoutes } from './keys.ts';
import { patchLinksRoute } from './links.ts';
import { type WebhookEndpointsDeps, webhookEndpointRoutes } from './webhook-endpoints.ts';
import { type RouteHandler, routedHandler } from '../shared/router.ts';

export interface AdminDeps {
  adminToken: () => Promise<string>;
  /** Scoped API keys (docs/api-keys.md), built on first use; none: only the root key is accepted. */
  keys?: () => KeyService | undefined;
  service: Pick<ProfileService, 'profile'>;
  origin: Pick<ProfileOrigin, 'updateLinks'>;
  invalidator: Pick<ProfileInvalidator, 'invalidateProfile'>;
  publisher: EventPublisher;
  analytics: Omit<AnalyticsDeps, 'service'>;
  /** Outgoing webhook endpoints and their delivery log (docs/webhooks-out.md). */
  webhooks?: WebhookEndpointsDeps;
}

export type AdminRoute = RouteHandler;

const invalidateRoute =
  (deps: AdminDeps): AdminRoute =>
  async (event) => {
    const username = parseUsername(event.pathParameters?.username);
    await deps.invalidator.invalidateProfile({ username });
    return json(200, { invalidated: true }, { 'cache-control': 'no-store' });
  };

/** Route key (as in lambdas/contracts/routes.ts) → route. Adding a private route is one line here. */
export const adminRoutes = (deps: AdminDeps): Record<string, AdminRoute> => ({
  'PATCH /api/profiles/{username}/links': patchLinksRoute(deps),
  'POST /api/cache/invalidate/{username}': invalidateRoute(deps),
  'GET /api/profiles/{username}/analytics': analyticsRoute({ ...deps.analytics, service: deps.service }),
  ...keyRoutes(() => deps.keys?.()),
  ...(deps.webhooks ? webhookEndpointRoutes(deps.webhooks) : {}),
});

export const makeHandler = (deps: AdminDeps) => {
  const routes = adminRoutes(deps);
  // Every admin route is private: the kernel checks each one's `auth` (contracts/routes.ts) first.
  const verifyKey = async (key: string) => deps.keys?.()?.authenticate(key);
  return routedHandler(routes, { authenticator: { adminToken: deps.adminToken, verifyKey } });
};
