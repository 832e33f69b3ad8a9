// The outgoing-webhook endpoint routes (`webhooks:manage`, docs/webhooks-out.md):
//   POST   /api/webhook-endpoints                   → 201 {id, url, events, profiles, secret, ...}
//   GET    /api/webhook-endpoints                   → 200 {endpoints: [...]} (never the secret)
//   DELETE /api/webhook-endpoints/{id}              → 204
//   GET    /api/webhook-endpoints/{id}/deliveries   → 200 {deliveries: [...]} newest first
// A key sees the endpoints whose every profile it may reach (an endpoint for every profile only
// by a key that reaches every profile); others are answered 404, as if they did not exist.
import * as z from 'zod/mini';
import {
  type DeliveryLog,
  type EndpointStore,
  endpointView,
  newEndpointId,
  newSecret,
  OUTGOING_EVENT_TYPES,
  type WebhookEndpoint,
} from '../core/outgoing-webhooks.ts';
import { mayReach, type Principal, requireProfile } from '../shared/auth.ts';
import { DependencyUnavailableError, NotFoundError, UnauthorizedError, ValidationError } from '../shared/errors.ts';
import { type HttpEvent, type HttpResult, json, rawBody } from '../shared/http.ts';
import type { RouteContext, RouteHandler } from '../shared/router.ts';
import { USERNAME_RE } from '../shared/username.ts';
import { firstIssue, safeTextCheck } from '../shared/validation.ts';

export const MAX_ENDPOINT_PROFILES = 100;
export const MAX_DELIVERIES_LISTED = 100;
/** Every change event is matched against every endpoint (one Scan per batch with changes): bounded. */
export const MAX_ENDPOINTS = 1_000;
const ENDPOINT_ID_RE = /^ep_[0-9a-f]{24}$/;

export const createEndpointSchema = z.strictObject({
  url: z.string().check(safeTextCheck, z.minLength(1), z.maxLength(2048)),
  events: z.array(z.enum(OUTGOING_EVENT_TYPES)).check(z.minLength(1), z.maxLength(OUTGOING_EVENT_TYPES.length)),
  profiles: z.optional(
    z
      .array(z.string().check(z.regex(USERNAME_RE, 'must be a username')))
      .check(z.minLength(1), z.maxLength(MAX_ENDPOINT_PROFILES)),
  ),
});

export interface WebhookEndpointsDeps {
  endpoints: () => Pick<EndpointStore, 'put' | 'get' | 'list' | 'delete'> | undefined;
  deliveries: () => Pick<DeliveryLog, 'list'> | undefined;
  /** Throws an Error saying what is wrong with the URL (scheme, host, resolved addresses). */
  checkUrl: (url: string) => Promise<void>;
  now?: () => number;
}

/** Whether `p` may see (and manage) the endpoint. */
export const mayManage = (p: Principal, e: Pick<WebhookEndpoint, 'profiles'>): boolean =>
  p.root || (e.profiles === null ? p.profiles === null : e.profiles.every((u) => mayReach(p, u)));

const principalOf = (ctx: RouteContext): Principal => {
  if (!ctx.principal) throw new UnauthorizedError();
  return ctx.principal;
};

const need = <T>(store: T | undefined, what: string): T => {
  if (!store) throw new DependencyUnavailableError(what);
  return store;
};

const parseBody = (event: HttpEvent) => {
  let body: unknown;
  try {
    body = JSON.parse(rawBody(event).toString('utf8'));
  } catch {
    throw new ValidationError('The body is not valid JSON: send {"url", "events": [...], "profiles"?: [...]}.');
  }
  const parsed = createEndpointSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError(`Invalid webhook endpoint at ${firstIssue(parsed.error, '(root)')}.`);
  return parsed.data;
};

const NO_STORE = { 'cache-control': 'no-store' };

export const createEndpointRoute =
  (deps: WebhookEndpointsDeps): RouteHandler =>
  async (event, ctx) => {
    const principal = principalOf(ctx);
    const body = parseBody(event);
    const requested = body.profiles ? [...new Set(body.profiles.map((u) => u.toLowerCase()))] : undefined;
    for (const u of requested ?? []) requireProfile(principal, u);
    try {
      await deps.checkUrl(body.url);
    } catch (err) {
      throw new ValidationError(`url: the URL ${err instanceof Error ? err.message : String(err)}.`);
    }
    const endpoint: WebhookEndpoint = {
      id: newEndpointId(),
      url: body.url,
      events: [...new Set(body.events)],
      // Left out: every profile the key may reach, frozen now (a scoped key's list, or all).
      profiles: requested ?? (principal.root || principal.profiles === null ? null : [...principal.profiles]),
      secret: newSecret(),
      enabled: true,
      disabledReason: null,
      failingSince: null,
      createdAt: new Date(deps.now?.() ?? Date.now()).toISOString(),
      createdBy: principal.keyId,
    };
    const store = need(deps.endpoints(), 'webhook endpoint store');
    if ((await store.list()).length >= MAX_ENDPOINTS)
      throw new ValidationError(`At most ${MAX_ENDPOINTS} webhook endpoints may exist; delete one first.`);
    await store.put(endpoint);
    return json(201, { ...endpointView(endpoint), secret: endpoint.secret }, NO_STORE);
  };

export const listEndpointsRoute =
  (deps: WebhookEndpointsDeps): RouteHandler =>
  async (_event, ctx) => {
    const principal = principalOf(ctx);
    const all = await need(deps.endpoints(), 'webhook endpoint store').list();
    return json(200, { endpoints: all.filter((e) => mayManage(principal, e)).map(endpointView) }, NO_STORE);
  };

const findManaged = async (deps: WebhookEndpointsDeps, event: HttpEvent, ctx: RouteContext): Promise<WebhookEndpoint> => {
  const principal = principalOf(ctx);
  const id = event.pathParameters?.id ?? '';
  const missing = () => new NotFoundError(`No webhook endpoint "${id.slice(0, 64)}".`);
  if (!ENDPOINT_ID_RE.test(id)) throw missing();
  const e = await need(deps.endpoints(), 'webhook endpoint store').get(id);
  if (!e || !mayManage(principal, e)) throw missing();
  return e;
};

export const deleteEndpointRoute =
  (deps: WebhookEndpointsDeps): RouteHandler =>
  async (event, ctx): Promise<HttpResult> => {
    const e = await findManaged(deps, event, ctx);
    await need(deps.endpoints(), 'webhook endpoint store').delete(e.id);
    return { statusCode: 204, headers: { ...NO_STORE }, body: '' };
  };

export const listDeliveriesRoute =
  (deps: WebhookEndpointsDeps): RouteHandler =>
  async (event, ctx) => {
    const e = await findManaged(deps, event, ctx);
    const entries = await need(deps.deliveries(), 'webhook delivery log').list(e.id, MAX_DELIVERIES_LISTED);
    return json(
      200,
      {
        deliveries: entries.map((d) => ({
          webhookId: d.webhookId,
          type: d.type,
          attempt: d.attempt,
          at: d.at,
          responseCode: d.responseCode,
          durationMs: d.durationMs,
          ...(d.error ? { error: d.error } : {}),
        })),
      },
      NO_STORE,
    );
  };

export const webhookEndpointRoutes = (deps: WebhookEndpointsDeps): Record<string, RouteHandler> => ({
  'POST /api/webhook-endpoints': createEndpointRoute(deps),
  'GET /api/webhook-endpoints': listEndpointsRoute(deps),
  'DELETE /api/webhook-endpoints/{id}': deleteEndpointRoute(deps),
  'GET /api/webhook-endpoints/{id}/deliveries': listDeliveriesRoute(deps),
});
