// The key routes' real answers (and the guard's 401/403) against the committed API description and
// the answer schemas of lambdas/admin/schemas.ts.
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../../lambdas/admin/handler.ts';
import { createdKeyAnswerSchema, keyListAnswerSchema, revokedKeyAnswerSchema } from '../../../lambdas/admin/schemas.ts';
import { ApiKeys } from '../../../lambdas/core/api-keys.ts';
import { openApiDocument } from '../../../lambdas/openapi/document.ts';
import { renderDocsPage } from '../../../lambdas/pages/docs-page.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { MemoryApiKeyStore } from '../../helpers/api-keys.ts';
import { apiEvent, lambdaContext } from '../../helpers/events.ts';
import { documentValidator } from './validate.ts';

const v = documentValidator(openApiDocument);
const ROOT = 'root-token-for-tests';

const expectDocumented = (method: string, path: string, r: HttpResult): unknown => {
  expect(v.response(method, path, r.statusCode), `${method} ${path} ${r.statusCode}`).toBeDefined();
  const body = JSON.parse(r.body as string);
  expect(v.checkAnswer(method, path, r.statusCode, body), `${method} ${path} ${r.statusCode}: ${r.body}`).toBeUndefined();
  return body;
};

describe('the key routes answer as documented', () => {
  const keys = new ApiKeys({ store: new MemoryApiKeyStore(), cacheTtlMs: 0, cacheMax: 10 });
  const handler = makeHandler({
    adminToken: async () => ROOT,
    keys: () => keys,
    service: { profile: async () => ({ profile: {} as never, outcome: 'HIT' as const }) },
    origin: { updateLinks: async () => ({}) as never },
    invalidator: { invalidateProfile: async () => ({}) as never },
    publisher: { publish: async () => {} } as never,
    analytics: { store: () => ({}) as never, cache: () => undefined, ttlS: () => 0 },
  });
  const call = (method: string, route: string, token: string | undefined, extra: { body?: string; id?: string } = {}) =>
    handler(
      apiEvent({
        method,
        route,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(extra.id ? { pathParameters: { id: extra.id } } : {}),
        ...(extra.body ? { body: extra.body } : {}),
      }),
      lambdaContext('admin'),
    ) as Promise<HttpResult>;

  it('POST, GET, DELETE: 201/200 with their schemas; 400, 401, 403, 404 documented', async () => {
    const example = openApiDocument.paths['/api/keys']?.post?.requestBody?.content['application/json']?.example;
    const made = await call('POST', '/api/keys', ROOT, { body: JSON.stringify(example) });
    expect(made.statusCode).toBe(201);
    const created = expectDocumented('POST', '/api/keys', made) as { id: string; key: string };
    expect(createdKeyAnswerSchema.safeParse(created).success).toBe(true);

    const list = await call('GET', '/api/keys', ROOT);
    expect(keyListAnswerSchema.safeParse(expectDocumented('GET', '/api/keys', list)).success).toBe(true);

    // The new key is a valid key without the root's rights: 403; no key: 401.
    expectDocumented('GET', '/api/keys', await call('GET', '/api/keys', created.key));
    expectDocumented('GET', '/api/keys', await call('GET', '/api/keys', undefined));
    expectDocumented('POST', '/api/keys', await call('POST', '/api/keys', ROOT, { body: '{"scopes":["nope"]}' }));

    const revoked = await call('DELETE', '/api/keys/{id}', ROOT, { id: created.id });
    expect(revoked.statusCode).toBe(200);
    expect(revokedKeyAnswerSchema.safeParse(expectDocumented('DELETE', '/api/keys/{id}', revoked)).success).toBe(true);
    expectDocumented(
      'DELETE',
      '/api/keys/{id}',
      await call('DELETE', '/api/keys/{id}', ROOT, { id: 'key_000000000000000000000000' }),
    );
  });

  it('names the scope of every private operation in its security requirement', () => {
    for (const [path, item] of Object.entries(openApiDocument.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const roles = op.security?.flatMap((s) => s.adminToken ?? []) ?? [];
        if (op.security) expect({ op: `${method} ${path}`, roles: roles.length }).toEqual({ op: `${method} ${path}`, roles: 1 });
      }
    }
    expect(openApiDocument.paths['/api/profiles/{username}/analytics']?.get?.security).toEqual([
      { adminToken: ['analytics:read'] },
    ]);
    expect(openApiDocument.paths['/api/keys']?.post?.security).toEqual([{ adminToken: ['root'] }]);
    expect(openApiDocument.paths['/api/profiles/{username}']?.get?.security).toBeUndefined();
  });

  it('the /docs page says which key each private operation takes', () => {
    const page = String(renderDocsPage());
    expect(page).toContain('<strong>Bearer key with <code>analytics:read</code></strong>');
    expect(page).toContain('<strong>Bearer root key (ADMIN_TOKEN)</strong>');
  });
});
