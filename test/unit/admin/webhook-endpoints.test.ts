// The outgoing-webhook endpoint routes through the admin handler, with the root key and scoped
// keys made by POST /api/keys: scopes, profiles, visibility, validation.
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../../lambdas/admin/handler.ts';
import { MAX_ENDPOINTS } from '../../../lambdas/admin/webhook-endpoints.ts';
import { ApiKeys } from '../../../lambdas/core/api-keys.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { MemoryApiKeyStore } from '../../helpers/api-keys.ts';
import { apiEvent, lambdaContext } from '../../helpers/events.ts';
import { MemoryDeliveryLog, MemoryEndpointStore, makeEndpoint } from '../../helpers/outgoing-webhooks.ts';

const ROOT = 'root-token-for-tests';

const setup = (checkUrl: (url: string) => Promise<void> = async () => {}) => {
  const keys = new ApiKeys({ store: new MemoryApiKeyStore(), cacheTtlMs: 0, cacheMax: 10 });
  const endpoints = new MemoryEndpointStore();
  const log = new MemoryDeliveryLog();
  const h = makeHandler({
    adminToken: async () => ROOT,
    keys: () => keys,
    service: { profile: async () => ({ profile: {} as never, outcome: 'HIT' as const }) },
    origin: { updateLinks: async () => ({}) as never },
    invalidator: { invalidateProfile: async () => ({}) as never },
    publisher: { publish: async () => {} } as never,
    analytics: { store: () => ({}) as never, cache: () => undefined, ttlS: () => 0 },
    webhooks: { endpoints: () => endpoints, deliveries: () => log, checkUrl },
  });
  const call = async (
    method: string,
    route: string,
    opts: { body?: unknown; token?: string; id?: string } = {},
    // biome-ignore lint/suspicious/noExplicitAny: answers of several shapes, checked field by field
  ): Promise<HttpResult & { json: any }> => {
    const r = (await h(
      apiEvent({
        method,
        route,
        ...(opts.id !== undefined ? { pathParameters: { id: opts.id } } : {}),
        headers: { authorization: `Bearer ${opts.token ?? ROOT}` },
        ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
      }),
      lambdaContext(),
    )) as HttpResult;
    return { ...r, json: r.body ? JSON.parse(r.body) : undefined };
  };
  const scopedKey = async (scopes: string[], profiles?: string[]): Promise<string> => {
    const made = await call('POST', '/api/keys', { body: { scopes, ...(profiles ? { profiles } : {}) } });
    expect(made.statusCode).toBe(201);
    return made.json.key as string;
  };
  return { call, endpoints, log, scopedKey };
};

const body = (over: Record<string, unknown> = {}) => ({
  url: 'https://hooks.example.com/in',
  events: ['links.updated'],
  ...over,
});

describe('POST /api/webhook-endpoints', () => {
  it('root: 201 with the secret; profiles left out means every profile (null)', async () => {
    const { call, endpoints } = setup();
    const r = await call('POST', '/api/webhook-endpoints', { body: body() });
    expect(r.statusCode).toBe(201);
    expect(r.json).toMatchObject({
      id: expect.stringMatching(/^ep_[0-9a-f]{24}$/),
      url: 'https://hooks.example.com/in',
      events: ['links.updated'],
      profiles: null,
      secret: expect.stringMatching(/^whsec_/),
      enabled: true,
    });
    expect((await endpoints.get(r.json.id))?.secret).toBe(r.json.secret);
  });

  it('a scoped key: profiles left out are its own; naming one it cannot reach is 403 and stores nothing', async () => {
    const { call, endpoints, scopedKey } = setup();
    const key = await scopedKey(['webhooks:manage'], ['demo', 'alice']);
    const own = await call('POST', '/api/webhook-endpoints', { body: body(), token: key });
    expect(own.json.profiles).toEqual(['demo', 'alice']);
    const bad = await call('POST', '/api/webhook-endpoints', { body: body({ profiles: ['demo', 'bob'] }), token: key });
    expect(bad.statusCode).toBe(403);
    expect(endpoints.items.size).toBe(1);
  });

  it('a key without webhooks:manage is 403', async () => {
    const { call, scopedKey } = setup();
    const key = await scopedKey(['analytics:read']);
    expect((await call('POST', '/api/webhook-endpoints', { body: body(), token: key })).statusCode).toBe(403);
  });

  it.each([
    ['not JSON', '{'],
    ['no events', { url: 'https://a.example/x', events: [] }],
    ['an unknown event', { url: 'https://a.example/x', events: ['link.clicked'] }],
    ['a bad username', { url: 'https://a.example/x', events: ['links.updated'], profiles: ['no/slash'] }],
    ['an unknown field', { url: 'https://a.example/x', events: ['links.updated'], extra: 1 }],
    ['a control character', { url: 'https://a.example/\u0000', events: ['links.updated'] }],
  ])('%s → 400', async (_what, b) => {
    const { call, endpoints } = setup();
    const r = await call('POST', '/api/webhook-endpoints', { body: b });
    expect(r.statusCode).toBe(400);
    expect(endpoints.items.size).toBe(0);
  });

  it('past MAX_ENDPOINTS endpoints → 400, nothing stored', async () => {
    const { call, endpoints } = setup();
    for (let i = 0; i < MAX_ENDPOINTS; i++) await endpoints.put(makeEndpoint({ id: `ep_${String(i).padStart(24, '0')}` }));
    const r = await call('POST', '/api/webhook-endpoints', { body: body() });
    expect(r.statusCode).toBe(400);
    expect(endpoints.items.size).toBe(MAX_ENDPOINTS);
  });

  it('a URL the SSRF check refuses → 400 naming why', async () => {
    const { call, endpoints } = setup(async () => {
      throw new Error('points at a forbidden address (10.0.0.1 is a private address)');
    });
    const r = await call('POST', '/api/webhook-endpoints', { body: body({ url: 'https://10.0.0.1/x' }) });
    expect(r.statusCode).toBe(400);
    expect(r.json.error.message).toMatch(/private/);
    expect(endpoints.items.size).toBe(0);
  });
});

describe('listing, deleting and the delivery log', () => {
  it('a key sees only endpoints within its profiles; others are 404 to it', async () => {
    const { call, scopedKey } = setup();
    const all = (await call('POST', '/api/webhook-endpoints', { body: body() })).json;
    const demo = (await call('POST', '/api/webhook-endpoints', { body: body({ profiles: ['demo'] }) })).json;
    const key = await scopedKey(['webhooks:manage'], ['demo']);
    const listed = await call('GET', '/api/webhook-endpoints', { token: key });
    expect(listed.json.endpoints.map((e: { id: string }) => e.id)).toEqual([demo.id]);
    expect(listed.json.endpoints[0]).not.toHaveProperty('secret');
    expect((await call('DELETE', '/api/webhook-endpoints/{id}', { id: all.id, token: key })).statusCode).toBe(404);
    expect((await call('GET', '/api/webhook-endpoints/{id}/deliveries', { id: all.id, token: key })).statusCode).toBe(404);
    expect((await call('GET', '/api/webhook-endpoints', {})).json.endpoints).toHaveLength(2);
  });

  it('DELETE → 204, then 404; a malformed id is 404', async () => {
    const { call, endpoints } = setup();
    const e = (await call('POST', '/api/webhook-endpoints', { body: body() })).json;
    expect((await call('DELETE', '/api/webhook-endpoints/{id}', { id: e.id })).statusCode).toBe(204);
    expect(endpoints.items.size).toBe(0);
    expect((await call('DELETE', '/api/webhook-endpoints/{id}', { id: e.id })).statusCode).toBe(404);
    expect((await call('DELETE', '/api/webhook-endpoints/{id}', { id: '../x' })).statusCode).toBe(404);
  });

  it('deliveries: newest first, with null responseCode when no answer', async () => {
    const { call, log } = setup();
    const e = (await call('POST', '/api/webhook-endpoints', { body: body() })).json;
    await log.append({
      endpointId: e.id,
      webhookId: 'msg_1',
      type: 'links.updated',
      attempt: 1,
      at: '2026-01-01T00:00:00.000Z',
      responseCode: null,
      durationMs: 10_000,
    });
    await log.append({
      endpointId: e.id,
      webhookId: 'msg_1',
      type: 'links.updated',
      attempt: 2,
      at: '2026-01-01T00:00:05.000Z',
      responseCode: 200,
      durationMs: 12,
    });
    const r = await call('GET', '/api/webhook-endpoints/{id}/deliveries', { id: e.id });
    expect(r.statusCode).toBe(200);
    expect(r.json.deliveries).toEqual([
      {
        webhookId: 'msg_1',
        type: 'links.updated',
        attempt: 2,
        at: '2026-01-01T00:00:05.000Z',
        responseCode: 200,
        durationMs: 12,
      },
      {
        webhookId: 'msg_1',
        type: 'links.updated',
        attempt: 1,
        at: '2026-01-01T00:00:00.000Z',
        responseCode: null,
        durationMs: 10_000,
      },
    ]);
  });
});
