import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../../lambdas/admin/handler.ts';
import { ApiKeys } from '../../../lambdas/core/api-keys.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { MemoryApiKeyStore } from '../../helpers/api-keys.ts';
import { apiEvent, lambdaContext } from '../../helpers/events.ts';

const ROOT = 'root-token-for-tests';

const setup = (withKeys = true) => {
  const store = new MemoryApiKeyStore();
  const keys = new ApiKeys({ store, cacheTtlMs: 0, cacheMax: 10 });
  const h = makeHandler({
    adminToken: async () => ROOT,
    keys: () => (withKeys ? keys : undefined),
    service: { profile: async () => ({ profile: {} as never, outcome: 'HIT' as const }) },
    origin: { updateLinks: async () => ({}) as never },
    invalidator: { invalidateProfile: async () => ({}) as never },
    publisher: { publish: async () => {} } as never,
    analytics: { store: () => ({}) as never, cache: () => undefined, ttlS: () => 0 },
  });
  const call = async (
    method: string,
    route: string,
    opts: { body?: unknown; token?: string; pathParameters?: Record<string, string> } = {},
    // biome-ignore lint/suspicious/noExplicitAny: answers of several shapes, checked field by field
  ): Promise<HttpResult & { json: any }> => {
    const r = (await h(
      apiEvent({
        method,
        route,
        pathParameters: opts.pathParameters,
        headers: { authorization: `Bearer ${opts.token ?? ROOT}` },
        ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
      }),
      lambdaContext(),
    )) as HttpResult;
    return { ...r, json: r.body ? JSON.parse(r.body) : undefined };
  };
  return { call, store };
};

describe('the key routes', () => {
  it('root makes a key (201, shown once), lists it without secrets, revokes it', async () => {
    const { call, store } = setup();
    const made = await call('POST', '/api/keys', {
      body: { scopes: ['analytics:read'], profiles: ['Demo'], expiresAt: '2999-01-01T00:00:00+02:00' },
    });
    expect(made.statusCode).toBe(201);
    expect(made.headers['cache-control']).toBe('no-store');
    expect(made.json).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{24}$/),
      key: expect.stringMatching(/^lck_/),
      scopes: ['analytics:read'],
      profiles: ['demo'],
      expiresAt: '2998-12-31T22:00:00.000Z',
    });
    const listed = await call('GET', '/api/keys');
    expect(listed.statusCode).toBe(200);
    expect(listed.json.keys).toEqual([
      expect.objectContaining({ id: made.json.id, scopes: ['analytics:read'], profiles: ['demo'], revoked: false }),
    ]);
    expect(listed.body).not.toContain(made.json.key);
    const revoked = await call('DELETE', '/api/keys/{id}', { pathParameters: { id: made.json.id } });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json).toEqual({ id: made.json.id, revoked: true });
    expect([...store.records.values()][0].revokedAt).not.toBeNull();
    // The new key itself works on its route, and not on the key routes.
    expect((await call('GET', '/api/keys', { token: made.json.key })).statusCode).toBe(401);
  });

  it('a scoped key may not make, list or revoke keys (403)', async () => {
    const { call } = setup();
    const made = await call('POST', '/api/keys', {
      body: { scopes: ['analytics:read', 'links:write', 'cache:invalidate', 'webhooks:manage'] },
    });
    const token = made.json.key;
    expect((await call('POST', '/api/keys', { token, body: { scopes: ['analytics:read'] } })).statusCode).toBe(403);
    expect((await call('GET', '/api/keys', { token })).statusCode).toBe(403);
    expect((await call('DELETE', '/api/keys/{id}', { token, pathParameters: { id: made.json.id } })).statusCode).toBe(403);
  });

  it.each([
    ['not JSON', '{'],
    ['no scopes', {}],
    ['empty scopes', { scopes: [] }],
    ['an unknown scope', { scopes: ['analytics:write'] }],
    ['a repeated scope', { scopes: ['analytics:read', 'analytics:read'] }],
    ['a bad username', { scopes: ['analytics:read'], profiles: ['no spaces'] }],
    ['empty profiles', { scopes: ['analytics:read'], profiles: [] }],
    ['a repeated profile', { scopes: ['analytics:read'], profiles: ['demo', 'DEMO'] }],
    ['a past expiresAt', { scopes: ['analytics:read'], expiresAt: '2020-01-01T00:00:00Z' }],
    ['a bad expiresAt', { scopes: ['analytics:read'], expiresAt: 'tomorrow' }],
    ['an unknown field', { scopes: ['analytics:read'], admin: true }],
  ])('400 for %s, and nothing is stored', async (_name, body) => {
    const { call, store } = setup();
    const r = await call('POST', '/api/keys', { body });
    expect(r.statusCode).toBe(400);
    expect(r.json.error.code).toBe('INVALID_REQUEST');
    expect(store.records.size).toBe(0);
  });

  it.each(['key_000000000000000000000000', 'nope'])('404 when revoking unknown id %s', async (id) => {
    const { call } = setup();
    const r = await call('DELETE', '/api/keys/{id}', { pathParameters: { id } });
    expect(r.statusCode).toBe(404);
    expect(r.json.error.code).toBe('NOT_FOUND');
  });

  it('without a key store: 503 on the key routes, the root key still works', async () => {
    const { call } = setup(false);
    const r = await call('GET', '/api/keys');
    expect(r.statusCode).toBe(503);
    expect((await call('GET', '/api/keys', { token: `lck_${'A'.repeat(43)}` })).statusCode).toBe(401);
  });
});
