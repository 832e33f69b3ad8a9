// What the route table does not say about each route, for the API description
// (tools/openapi-document.ts): a summary, the parameters, the body and answers with the zod/mini
// schemas the handlers validate with (or, for answers the code builds without a schema, the
// schemas written beside that code and held to its output by test/unit/openapi), and the error
// codes of lambdas/shared/errors.ts each route can answer. Keyed by route key: a route of the
// table without an entry here fails the generation, except the HEAD and OPTIONS routes the table
// implies, which are derived from their GET and from the CORS kernel.
import * as z from 'zod/mini';
import { newKeySchema } from '../lambdas/admin/keys.ts';
import {
  analyticsAnswerSchema,
  createdKeyAnswerSchema,
  invalidateAnswerSchema,
  keyListAnswerSchema,
  revokedKeyAnswerSchema,
} from '../lambdas/admin/schemas.ts';
import { linksPatchSchema, linkUpdateSchema } from '../lambdas/admin/links.ts';
import { createEndpointSchema } from '../lambdas/admin/webhook-endpoints.ts';
import {
  createdEndpointAnswerSchema,
  deliveriesAnswerSchema,
  endpointListAnswerSchema,
} from '../lambdas/admin/webhook-endpoints-schemas.ts';
import { analyticsQuerySchema } from '../lambdas/core/analytics-schemas.ts';
import { linksAnswerSchema } from '../lambdas/core/profile-schemas.ts';
import { linkSchema, profileSchema } from '../lambdas/core/profile.ts';
import { assetManifest } from '../lambdas/pages/asset-manifest.generated.ts';
import { oembedAnswerSchema } from '../lambdas/pages/oembed-schema.ts';
import { oembedQuerySchema } from '../lambdas/pages/oembed.ts';
import { healthAnswerSchema } from '../lambdas/shared/health-schema.ts';
import { USERNAME_RE } from '../lambdas/shared/username.ts';
import { beaconAnswerSchema } from '../lambdas/track/schemas.ts';
import { beaconBodySchema } from '../lambdas/track/handler.ts';
import { MAX_WEBHOOK_BYTES } from '../lambdas/webhook/handler.ts';
import { webhookPayloadSchema } from '../lambdas/webhook/payload.ts';
import { webhookAnswerSchema } from '../lambdas/webhook/schemas.ts';

export type Schema = z.core.$ZodType;

/** A schema that becomes `#/components/schemas/<id>`. */
export interface Named {
  id: string;
  schema: Schema;
  description?: string;
}

export const Tags = {
  profiles: 'Profiles',
  tracking: 'Tracking',
  admin: 'Admin',
  webhooks: 'Webhooks',
  pages: 'Pages',
  meta: 'Service',
} as const;
export type Tag = (typeof Tags)[keyof typeof Tags];

export const TAG_DESCRIPTIONS: Record<Tag, string> = {
  Profiles: 'Cached public profiles (L1 in process, L2 Redis, then the origin).',
  Tracking: 'Click redirects and page-view/click beacons, counted exactly once into 10-second aggregates.',
  Admin:
    'Private routes: `Authorization: Bearer <key>`, the root key (ADMIN_TOKEN) or a scoped API key holding the scope the operation names, checked before anything else.',
  Webhooks: 'Standard Webhooks from the link platform that keep the cache fresh.',
  Pages: 'HTML for people; their errors are HTML pages with the same status codes.',
  Service: 'Health, this description and static files.',
};

/** Response headers the description names, with what they hold. */
export const RESPONSE_HEADERS = {
  etag: { description: 'Strong entity tag of the body; send it back in If-None-Match.', schema: { type: 'string' } },
  'cache-control': { description: 'How long caches may keep the answer.', schema: { type: 'string' } },
  'content-disposition': {
    description: '`format=csv`: `attachment; filename="analytics-<username>-<from>-<to>.csv"`.',
    schema: { type: 'string' },
  },
  'x-cache': {
    description:
      'Which tier answered: `HIT` a fresh copy, `MISS` fetched for this request, `STALE` past its freshness (one refresh runs).',
    schema: { type: 'string', enum: ['HIT', 'MISS', 'STALE'] },
  },
  'last-modified': { description: "The profile's lastModified as an HTTP date.", schema: { type: 'string' } },
  location: { description: "The link's URL (http: or https: only).", schema: { type: 'string' } },
  'retry-after': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
  'www-authenticate': { description: '`Bearer`.', schema: { type: 'string' } },
  'content-security-policy': {
    description: "The page's policy: scripts and styles from /assets only.",
    schema: { type: 'string' },
  },
  allow: { description: 'The methods the path answers to other sites.', schema: { type: 'string' } },
  vary: { description: 'Request headers the answer depends on.', schema: { type: 'string' } },
  'access-control-allow-origin': {
    description: "The origin granted (`*`, or the request's Origin when it is one of CORS_ORIGINS); absent otherwise.",
    schema: { type: 'string' },
  },
  'access-control-expose-headers': { description: 'Headers a script on another site may read.', schema: { type: 'string' } },
  'access-control-allow-methods': { description: 'Granted preflight: the methods allowed.', schema: { type: 'string' } },
  'access-control-allow-headers': { description: 'Granted preflight: the request headers allowed.', schema: { type: 'string' } },
  'access-control-max-age': { description: 'Granted preflight: seconds a browser may keep it.', schema: { type: 'integer' } },
} as const;
export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

/** Request headers the description names (Authorization is the admin security scheme). */
export const REQUEST_HEADERS = {
  'if-none-match': {
    required: false,
    description: 'An ETag from an earlier answer (a list, or `*`; `W/` ignored): a match answers 304 without a body.',
    schema: { type: 'string' },
  },
  'webhook-id': {
    required: true,
    description: 'The idempotency key, at most 256 characters.',
    schema: { type: 'string', maxLength: 256 },
  },
  'webhook-timestamp': {
    required: true,
    description: "Unix seconds, within 300 s of the server's clock either way.",
    schema: { type: 'string', pattern: '^\\d{1,12}$' },
  },
  'webhook-signature': {
    required: true,
    description:
      'Space-separated `v1,<base64>` entries; one must be base64(HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<raw body>")).',
    schema: { type: 'string' },
  },
  origin: { required: false, description: 'The origin of the page asking (browsers send it).', schema: { type: 'string' } },
  'access-control-request-method': {
    required: false,
    description: 'The method the browser is about to send.',
    schema: { type: 'string' },
  },
} as const;
export type RequestHeader = keyof typeof REQUEST_HEADERS;

export interface ResponseMeta {
  description: string;
  /** A JSON body (`application/json; charset=utf-8`). */
  json?: Named;
  /** Another body: media type → JSON Schema of it. */
  content?: Record<string, Record<string, unknown>>;
  headers?: ResponseHeader[];
}

export interface OperationMeta {
  operationId: string;
  summary: string;
  description?: string;
  tag: Tag;
  /** Needs the admin bearer token. */
  admin?: true;
  /** `{param}` of the path → what it is; `username` and undescribed ones have defaults. */
  pathParams?: Record<string, { description: string; schema?: Schema; example?: string }>;
  /** The query, as a zod object: each property a parameter. */
  query?: Schema;
  requestHeaders?: RequestHeader[];
  body?: Named & { mediaTypes: string[]; example: unknown };
  responses: Record<number, ResponseMeta>;
  /** JSON error codes (lambdas/shared/errors.ts) the route answers; INTERNAL_ERROR is implied. */
  errors?: string[];
  /** Page routes: the statuses of their HTML error pages; 500 is implied. */
  pageErrors?: number[];
  /** HEAD: no answer has a body. */
  headersOnly?: true;
}

export const usernameParam = z.string().check(z.regex(USERNAME_RE));

export const PATH_PARAM_DEFAULTS: Record<string, { description: string; schema?: Schema; example?: string }> = {
  username: {
    description: 'Case-insensitive (the lower-case form is the cache key and what answers name).',
    schema: usernameParam,
    example: 'demo',
  },
};

// Components.
const Link: Named = { id: 'Link', schema: linkSchema, description: 'One link of a profile.' };
const Profile: Named = {
  id: 'Profile',
  schema: profileSchema,
  description: 'A profile as the origin gave it (fields not listed are dropped when the origin answer is validated).',
};
const LinksAnswer: Named = { id: 'LinksAnswer', schema: linksAnswerSchema };
const Health: Named = { id: 'Health', schema: healthAnswerSchema, description: "This process's dependencies." };
const BeaconBody: Named = {
  id: 'BeaconBody',
  schema: beaconBodySchema,
  description:
    'One invalid event refuses the whole batch. Beyond the schema: `linkId` is required for `link.clicked`; `occurredAt` is at most 5 min in the future and no older than QUEUE_RETENTION_S; every string is safe text (no control character, no unpaired surrogate). Other fields are ignored.',
};
const BeaconAnswer: Named = { id: 'BeaconAnswer', schema: beaconAnswerSchema };
const AnalyticsAnswer: Named = { id: 'AnalyticsAnswer', schema: analyticsAnswerSchema };
const LinkUpdate: Named = {
  id: 'LinkUpdate',
  schema: linkUpdateSchema,
  description:
    'Beyond the schema: `url` must be http: or https:; `id`, `title` and `url` are safe text (no control character, tab and newline included; no unpaired surrogate). An update without `id` means what the origin makes of it.',
};
const LinksPatch: Named = { id: 'LinksPatch', schema: linksPatchSchema };
const InvalidateAnswer: Named = { id: 'InvalidateAnswer', schema: invalidateAnswerSchema };
const NewWebhookEndpoint: Named = {
  id: 'NewWebhookEndpoint',
  schema: createEndpointSchema,
  description: 'An https URL (http only for loopback hosts locally), the event types, optionally the profiles.',
};
const CreatedWebhookEndpoint: Named = { id: 'CreatedWebhookEndpoint', schema: createdEndpointAnswerSchema };
const WebhookEndpointList: Named = { id: 'WebhookEndpointList', schema: endpointListAnswerSchema };
const WebhookDeliveries: Named = { id: 'WebhookDeliveries', schema: deliveriesAnswerSchema };
const NewKey: Named = {
  id: 'NewKey',
  schema: newKeySchema,
  description: 'Scopes (non-empty, unique), optionally the profiles (usernames, unique) and an expiry in the future.',
};
const CreatedKey: Named = { id: 'CreatedKey', schema: createdKeyAnswerSchema };
const KeyList: Named = { id: 'KeyList', schema: keyListAnswerSchema };
const RevokedKey: Named = { id: 'RevokedKey', schema: revokedKeyAnswerSchema };
const WebhookPayload: Named = {
  id: 'WebhookPayload',
  schema: webhookPayloadSchema,
  description:
    'Beyond the schema: `type` may not be `link.clicked` or `profile.viewed` (a webhook never adds to analytics); `type` and `data.profileId` are safe text. Other `data` fields are kept as sent.',
};
const WebhookAnswer: Named = { id: 'WebhookAnswer', schema: webhookAnswerSchema };
const OembedAnswer: Named = { id: 'OembedAnswer', schema: oembedAnswerSchema, description: 'An oEmbed 1.0 `rich` answer.' };

/** Every named schema, in the order of components.schemas; ones no route uses are kept too. */
export const COMPONENTS: Named[] = [
  Profile,
  Link,
  LinksAnswer,
  Health,
  BeaconBody,
  BeaconAnswer,
  AnalyticsAnswer,
  LinksPatch,
  LinkUpdate,
  InvalidateAnswer,
  NewKey,
  CreatedKey,
  KeyList,
  RevokedKey,
  NewWebhookEndpoint,
  CreatedWebhookEndpoint,
  WebhookEndpointList,
  WebhookDeliveries,
  WebhookPayload,
  WebhookAnswer,
  OembedAnswer,
];

const CACHED = ['etag', 'cache-control', 'x-cache', 'last-modified'] as const satisfies ResponseHeader[];
const notModified = (headers: readonly ResponseHeader[]): ResponseMeta => ({
  description: 'Not modified: If-None-Match matched the current ETag. No body.',
  headers: [...headers],
});
const html = { 'text/html; charset=utf-8': { type: 'string' } };
const PAGE = [...CACHED, 'content-security-policy'] as const satisfies ResponseHeader[];
const STATIC = ['etag', 'cache-control'] as const satisfies ResponseHeader[];
const assetTypes = [...new Set(Object.values(assetManifest).map((a) => a.contentType))].sort();

export const OPERATIONS: Record<string, OperationMeta> = {
  'GET /health': {
    operationId: 'getHealth',
    summary: 'Health of the dependencies this process uses',
    description:
      'Each dependency `up`, `down` (a check over 1 s is down, "timed out") or `disabled`. `origin` reports the last call this process made; health never calls the origin. Deployed, the profile function reports redis, origin and l1; the local stack adds queue, idempotency and database.',
    tag: Tags.meta,
    responses: { 200: { description: 'Always 200, also when degraded.', json: Health, headers: ['cache-control'] } },
  },
  'GET /api/profiles/{username}': {
    operationId: 'getProfile',
    summary: 'A profile, from the cache tiers',
    description:
      'Served from L1, then L2, then the origin; a stale copy is answered at once while one refresh runs. Only enabled links are shown.',
    tag: Tags.profiles,
    requestHeaders: ['if-none-match'],
    responses: {
      200: { description: 'The profile.', json: Profile, headers: [...CACHED] },
      304: notModified(CACHED),
    },
    errors: ['INVALID_USERNAME', 'PROFILE_NOT_FOUND', 'ORIGIN_UNAVAILABLE'],
  },
  'GET /api/profiles/{username}/links': {
    operationId: 'getLinks',
    summary: "A profile's enabled links, by position",
    tag: Tags.profiles,
    requestHeaders: ['if-none-match'],
    responses: {
      200: { description: 'The enabled links, sorted by position.', json: LinksAnswer, headers: [...CACHED] },
      304: notModified(CACHED),
    },
    errors: ['INVALID_USERNAME', 'PROFILE_NOT_FOUND', 'ORIGIN_UNAVAILABLE'],
  },
  'GET /r/{username}/{linkId}': {
    operationId: 'redirect',
    summary: 'Redirect to a link, counting the click',
    description:
      'A GET from a person publishes one `link.clicked` event before answering (bounded by CLICK_PUBLISH_BUDGET_MS; the redirect happens even if the queue fails). Bots (isbot, or no User-Agent) are redirected but not counted. Referer and CloudFront-Viewer-Country are read, never a 400.',
    tag: Tags.tracking,
    pathParams: { linkId: { description: 'The link id.', example: 'lnk_shop' } },
    responses: { 302: { description: 'To the link. Empty body.', headers: ['location', 'cache-control'] } },
    errors: ['INVALID_USERNAME', 'PROFILE_NOT_FOUND', 'LINK_NOT_FOUND', 'ORIGIN_UNAVAILABLE'],
  },
  'HEAD /r/{username}/{linkId}': {
    operationId: 'redirectHead',
    summary: 'Redirect to a link, not counted',
    description: 'As GET, but never counted (link checkers and unfurlers send HEAD).',
    tag: Tags.tracking,
    headersOnly: true,
    pathParams: { linkId: { description: 'The link id.', example: 'lnk_shop' } },
    responses: { 302: { description: 'To the link.', headers: ['location', 'cache-control'] } },
    errors: ['INVALID_USERNAME', 'PROFILE_NOT_FOUND', 'LINK_NOT_FOUND', 'ORIGIN_UNAVAILABLE'],
  },
  'POST /api/events': {
    operationId: 'postEvents',
    summary: 'Page-view and click beacons',
    description:
      'Parsed as JSON whatever the Content-Type (sendBeacon sends text/plain). Each username is resolved through the cache to its profile id. An event with an `id` counts once however often it is resent. Bots get 202 with `counted: 0`, nothing enqueued.',
    tag: Tags.tracking,
    body: {
      ...BeaconBody,
      mediaTypes: ['application/json', 'text/plain'],
      example: {
        events: [
          { type: 'profile.viewed', username: 'demo', referrer: 'https://t.co/x', utm: { source: 'newsletter' } },
          { type: 'link.clicked', username: 'demo', linkId: 'lnk_shop', id: '0b3f7a5e-5c1d-4e8a-9f2b-6d4c3a2b1e0f' },
        ],
      },
    },
    responses: { 202: { description: 'Accepted.', json: BeaconAnswer, headers: ['cache-control'] } },
    errors: ['INVALID_REQUEST', 'PROFILE_NOT_FOUND', 'ORIGIN_UNAVAILABLE', 'SERVICE_UNAVAILABLE'],
  },
  'GET /api/profiles/{username}/analytics': {
    operationId: 'getAnalytics',
    summary: "A profile's views, clicks and visitors over a range",
    description:
      'Exact counts, keyed by profile id. Beyond the parameters: `from` must be before `to`, the range at most 90 days and at most 10,080 buckets, and the interval no finer than the data kept for `from` (10-second windows ANALYTICS_RAW_RETENTION_D days, hourly 400 days, daily for good). The filters `linkId`, `country` and `device` narrow every number. Other parameters are ignored. Answers are cached in Redis for ANALYTICS_TTL_S per exact query.',
    tag: Tags.admin,
    admin: true,
    query: analyticsQuerySchema,
    responses: {
      200: {
        description: 'The report (JSON), or with `format=csv` its series as CSV.',
        json: AnalyticsAnswer,
        content: { 'text/csv; charset=utf-8': { type: 'string' } },
        headers: ['cache-control', 'x-cache', 'content-disposition'],
      },
    },
    errors: [
      'UNAUTHORIZED',
      'INVALID_USERNAME',
      'INVALID_REQUEST',
      'PROFILE_NOT_FOUND',
      'ORIGIN_UNAVAILABLE',
      'SERVICE_UNAVAILABLE',
    ],
  },
  'PATCH /api/profiles/{username}/links': {
    operationId: 'patchLinks',
    summary: "Update a profile's links at the origin",
    description:
      "Forwarded to the origin (same rate budget and retries), then every cached view of the profile is invalidated and `links.updated` published. Answers the origin's new profile, disabled links included. With `ORIGIN=linktree` (public pages, read-only): 501 `NOT_SUPPORTED`.",
    tag: Tags.admin,
    admin: true,
    body: { ...LinksPatch, mediaTypes: ['application/json'], example: { links: [{ id: 'lnk_shop', title: 'Print shop' }] } },
    responses: { 200: { description: "The origin's new profile.", json: Profile, headers: ['cache-control'] } },
    errors: [
      'UNAUTHORIZED',
      'INVALID_USERNAME',
      'INVALID_REQUEST',
      'PROFILE_NOT_FOUND',
      'ORIGIN_UNAVAILABLE',
      'WRITE_INCOMPLETE',
      'NOT_SUPPORTED',
    ],
  },
  'POST /api/cache/invalidate/{username}': {
    operationId: 'invalidateCache',
    summary: "Drop a profile's cached views",
    description:
      "This process's L1 entry and, in one script on exact keys, the Redis snapshot, analytics answers and fill lock. Other containers' L1 copies expire within L1_TTL_S.",
    tag: Tags.admin,
    admin: true,
    responses: {
      200: { description: 'Done (also when nothing was cached).', json: InvalidateAnswer, headers: ['cache-control'] },
    },
    errors: ['UNAUTHORIZED', 'INVALID_USERNAME', 'SERVICE_UNAVAILABLE'],
  },
  'POST /api/keys': {
    operationId: 'createKey',
    summary: 'Make a scoped API key (root key only)',
    description:
      'The key (`lck_` + 256 random bits) is in this answer only: it is stored as its SHA-256. It works at once, on the routes of its scopes and, where a route has `{username}`, on its profiles only (all when `profiles` is left out), until `expiresAt` or its revocation.',
    tag: Tags.admin,
    admin: true,
    body: {
      ...NewKey,
      mediaTypes: ['application/json'],
      example: { scopes: ['analytics:read'], profiles: ['demo'], expiresAt: '2099-01-01T00:00:00Z' },
    },
    responses: { 201: { description: 'The key, shown once.', json: CreatedKey, headers: ['cache-control'] } },
    errors: ['INVALID_REQUEST', 'SERVICE_UNAVAILABLE'],
  },
  'GET /api/keys': {
    operationId: 'listKeys',
    summary: 'List the scoped API keys (root key only)',
    description: 'Oldest first, revoked and expired ones included; never a key or its hash.',
    tag: Tags.admin,
    admin: true,
    responses: { 200: { description: 'The keys.', json: KeyList, headers: ['cache-control'] } },
    errors: ['SERVICE_UNAVAILABLE'],
  },
  'DELETE /api/keys/{id}': {
    operationId: 'revokeKey',
    summary: 'Revoke a scoped API key (root key only)',
    description:
      'Refused at once by this process and within L1_TTL_S by every other (their cached lookups expire). Revoking again answers 200 and keeps the first time.',
    tag: Tags.admin,
    admin: true,
    pathParams: { id: { description: 'The key id, as `POST /api/keys` answered it.', example: 'key_0123456789abcdef01234567' } },
    responses: { 200: { description: 'Revoked.', json: RevokedKey, headers: ['cache-control'] } },
    errors: ['NOT_FOUND', 'SERVICE_UNAVAILABLE'],
  },
  'POST /api/webhook-endpoints': {
    operationId: 'createWebhookEndpoint',
    summary: 'Register an outgoing webhook endpoint (webhooks:manage)',
    description:
      'Each change of a matching profile is POSTed to `url` as a Standard Webhooks message signed with the `secret` answered here (once). `profiles` left out: every profile the key may reach. The URL is checked (https; no private, loopback, link-local or metadata address) now and before every attempt.',
    tag: Tags.admin,
    admin: true,
    body: {
      ...NewWebhookEndpoint,
      mediaTypes: ['application/json'],
      example: { url: 'https://hooks.example.com/linkcache', events: ['profile.updated', 'links.updated'], profiles: ['demo'] },
    },
    responses: { 201: { description: 'The endpoint and its secret.', json: CreatedWebhookEndpoint, headers: ['cache-control'] } },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'INVALID_REQUEST', 'SERVICE_UNAVAILABLE'],
  },
  'GET /api/webhook-endpoints': {
    operationId: 'listWebhookEndpoints',
    summary: 'List the outgoing webhook endpoints this key may manage',
    description: 'Oldest first, with `enabled` and `disabledReason`; never a secret.',
    tag: Tags.admin,
    admin: true,
    responses: { 200: { description: 'The endpoints.', json: WebhookEndpointList, headers: ['cache-control'] } },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'SERVICE_UNAVAILABLE'],
  },
  'DELETE /api/webhook-endpoints/{id}': {
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete an outgoing webhook endpoint',
    description: "Its pending deliveries end. An endpoint outside the key's profiles answers 404.",
    tag: Tags.admin,
    admin: true,
    pathParams: { id: { description: 'The endpoint id.', example: 'ep_0123456789abcdef01234567' } },
    responses: { 204: { description: 'Deleted.', headers: ['cache-control'] } },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'SERVICE_UNAVAILABLE'],
  },
  'GET /api/webhook-endpoints/{id}/deliveries': {
    operationId: 'listWebhookDeliveries',
    summary: "An endpoint's delivery attempts, newest first",
    description: 'The last 100 attempts (kept WEBHOOK_DELIVERY_RETENTION_D days).',
    tag: Tags.admin,
    admin: true,
    pathParams: { id: { description: 'The endpoint id.', example: 'ep_0123456789abcdef01234567' } },
    responses: { 200: { description: 'The attempts.', json: WebhookDeliveries, headers: ['cache-control'] } },
    errors: ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'SERVICE_UNAVAILABLE'],
  },
  'POST /webhooks/linktree': {
    operationId: 'receiveWebhook',
    summary: 'A signed webhook from the link platform',
    description: `Checked in this order, and a refused request changes nothing: size (over ${MAX_WEBHOOK_BYTES} bytes: 413), signature headers (401), body shape (400), the webhook-id claim (done already: 200 with duplicate true; in progress: 409). Then profile.updated, links.updated and profile.deleted invalidate every cached view of the profile, and the event is enqueued. A failure after the claim releases it (503) so the sender's retry runs everything again.`,
    tag: Tags.webhooks,
    requestHeaders: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
    body: {
      ...WebhookPayload,
      mediaTypes: ['application/json'],
      example: { type: 'profile.updated', timestamp: '2026-12-01T20:30:00Z', data: { profileId: 'prof_demo', username: 'demo' } },
    },
    responses: {
      200: { description: 'Received (or a duplicate, done already).', json: WebhookAnswer, headers: ['cache-control'] },
    },
    errors: ['PAYLOAD_TOO_LARGE', 'INVALID_SIGNATURE', 'INVALID_REQUEST', 'WEBHOOK_IN_PROGRESS', 'SERVICE_UNAVAILABLE'],
  },
  'GET /{username}': {
    operationId: 'profilePage',
    summary: 'The link-in-bio page',
    description:
      'A cached view like the JSON profile (same ETag, 304 and X-Cache). The first segments of other routes are never usernames (the 404 page, no origin call).',
    tag: Tags.pages,
    requestHeaders: ['if-none-match'],
    responses: { 200: { description: 'The page.', content: html, headers: [...PAGE] }, 304: notModified(PAGE) },
    pageErrors: [404, 503],
  },
  'GET /embed/{username}': {
    operationId: 'embedPage',
    summary: 'The compact page for iframes in other products',
    description: 'Framable by the sources of FRAME_ANCESTORS; links open in a new browsing context and are still counted.',
    tag: Tags.pages,
    requestHeaders: ['if-none-match'],
    responses: { 200: { description: 'The page.', content: html, headers: [...PAGE] }, 304: notModified(PAGE) },
    pageErrors: [404, 503],
  },
  'GET /oembed': {
    operationId: 'oembed',
    summary: 'oEmbed 1.0 for our profile pages',
    description:
      'A `rich` answer whose html is an iframe of /embed/{username}. Only our own pages are answered: a URL on another host, or a path that is not /{username} or /embed/{username}, is a 404. `format` other than json: 501.',
    tag: Tags.pages,
    query: oembedQuerySchema,
    responses: { 200: { description: 'The embed.', json: OembedAnswer, headers: ['cache-control', 'x-cache'] } },
    errors: ['INVALID_REQUEST', 'NOT_FOUND', 'PROFILE_NOT_FOUND', 'ORIGIN_UNAVAILABLE', 'NOT_IMPLEMENTED'],
  },
  'GET /openapi.json': {
    operationId: 'getOpenApi',
    summary: 'This description (OpenAPI 3.1)',
    description: "Generated from the route table and the handlers' own schemas.",
    tag: Tags.meta,
    requestHeaders: ['if-none-match'],
    responses: {
      200: {
        description: 'The OpenAPI document.',
        content: { 'application/json; charset=utf-8': { type: 'object' } },
        headers: [...STATIC],
      },
      304: notModified(STATIC),
    },
  },
  'GET /docs': {
    operationId: 'docsPage',
    summary: 'This description as a page for people',
    tag: Tags.pages,
    requestHeaders: ['if-none-match'],
    responses: {
      200: { description: 'The API reference.', content: html, headers: [...STATIC, 'content-security-policy'] },
      304: notModified([...STATIC, 'content-security-policy']),
    },
  },
  'GET /dashboard/{username}': {
    operationId: 'dashboardPage',
    summary: "The owner's analytics dashboard",
    description: 'The page is public; the data it shows needs the admin token, which the page asks for and keeps in the tab.',
    tag: Tags.pages,
    requestHeaders: ['if-none-match'],
    responses: { 200: { description: 'The dashboard shell.', content: html, headers: [...PAGE] }, 304: notModified(PAGE) },
    pageErrors: [404, 503],
  },
  'GET /assets/{file}': {
    operationId: 'asset',
    summary: 'A static file of the pages',
    description: 'Content-hashed names, immutable for a year.',
    tag: Tags.meta,
    pathParams: { file: { description: 'The content-hashed file name, as the pages link it.' } },
    requestHeaders: ['if-none-match'],
    responses: {
      200: {
        description: 'The file.',
        content: Object.fromEntries(assetTypes.map((t) => [t, { type: 'string' }])),
        headers: [...STATIC],
      },
      304: notModified(STATIC),
    },
    pageErrors: [404],
  },
  'GET /robots.txt': {
    operationId: 'robots',
    summary: 'robots.txt',
    tag: Tags.meta,
    responses: {
      200: {
        description: 'Crawl rules.',
        content: { 'text/plain; charset=utf-8': { type: 'string' } },
        headers: ['cache-control'],
      },
    },
  },
  'GET /favicon.ico': {
    operationId: 'favicon',
    summary: 'The icon, for browsers that ask for /favicon.ico',
    tag: Tags.meta,
    responses: {
      200: { description: 'The SVG icon.', content: { 'image/svg+xml': { type: 'string' } }, headers: ['cache-control'] },
    },
  },
};
