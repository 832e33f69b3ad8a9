// The API description against the real local stack: the stack serves the committed document, and
// every route it documents, called with valid input (the demo profile, the admin token printed at
// start, a signed webhook, the document's own examples), answers a status the document lists for
// it, a documented media type, and a JSON body that validates against the documented schema.
// Invalid usernames get documented error answers too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeKey, routes } from '../../lambdas/contracts/routes.ts';
import { type OpenApiOperation, type OpenApiParameter, openApiDocument, type Ref } from '../../lambdas/openapi/document.ts';
import { assetManifest } from '../../lambdas/pages/asset-manifest.generated.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';
import { signWebhook } from '../helpers/webhooks.ts';
import { documentValidator } from '../unit/openapi/validate.ts';

const doc = openApiDocument;
const v = documentValidator(doc);
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({
    key: `${method.toUpperCase()} ${path}`,
    method: method.toUpperCase(),
    path,
    op,
  })),
);

const resolveParam = (p: OpenApiParameter | Ref): OpenApiParameter =>
  '$ref' in p ? (doc.components.parameters?.[p.$ref.slice(p.$ref.lastIndexOf('/') + 1)] as OpenApiParameter) : p;

/** Valid values for the parameters of the documented routes. */
const PATH_VALUES: Record<string, string> = { username: 'demo', linkId: 'lnk_shop', file: assetManifest['page.css'].file };

/**
 * Webhook endpoint URLs are resolved when they are registered, and the document's example host
 * does not resolve offline: the calls here register a loopback receiver instead, which the local
 * stack accepts over http.
 */
const LOOPBACK_RECEIVER = 'http://127.0.0.1:9/linkcache-hook';
const BODY_OVERRIDES: Record<string, (example: Record<string, unknown>) => unknown> = {
  'POST /api/webhook-endpoints': (example) => ({ ...example, url: LOOPBACK_RECEIVER }),
};

interface Call {
  url: string;
  init: RequestInit;
}

describe('the documented API, called over HTTP', () => {
  let stack: SpawnedStack;
  /** Path → the `{id}` to call it with: things made here first, so each call has a real one. */
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    stack = await spawnStack({ BATCH_WINDOW_S: '1' });
    const key = await fetch(`${stack.url}/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scopes: ['analytics:read'] }),
    });
    ids['/api/keys/{id}'] = ((await key.json()) as { id: string }).id;
    // One endpoint to delete and one whose deliveries are listed: the routes run in document order.
    for (const path of ['/api/webhook-endpoints/{id}', '/api/webhook-endpoints/{id}/deliveries']) {
      const endpoint = await fetch(`${stack.url}/api/webhook-endpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: LOOPBACK_RECEIVER, events: ['profile.updated'] }),
      });
      ids[path] = ((await endpoint.json()) as { id: string }).id;
    }
  });
  afterAll(async () => {
    if (stack) expect(await stack.stop()).toBe(0);
  });

  const queryValues = (): Record<string, string> => ({ url: `${stack.url}/demo`, interval: '1h' });

  /** A valid request for `op`, from the document: its parameters, its example body, its auth. */
  const callFor = (method: string, path: string, op: OpenApiOperation, pathValues = PATH_VALUES): Call => {
    const params = (op.parameters ?? []).map(resolveParam);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    let url = path;
    const query = new URLSearchParams();
    for (const p of params) {
      if (p.in === 'path') {
        const value = (p.name === 'id' ? ids[path] : undefined) ?? pathValues[p.name];
        if (value === undefined) throw new Error(`${method} ${path}: no value for {${p.name}} (PATH_VALUES)`);
        url = url.replace(`{${p.name}}`, encodeURIComponent(value));
      } else if (p.in === 'query') {
        const value = queryValues()[p.name];
        if (value !== undefined) query.set(p.name, value);
        else if (p.required) throw new Error(`${method} ${path}: no value for the query parameter ${p.name}`);
      } else if (p.in === 'header' && p.name === 'origin') {
        headers.origin = 'https://app.example.com';
      } else if (p.in === 'header' && p.name === 'access-control-request-method') {
        headers[p.name] = 'GET';
      } else if (p.in === 'header' && p.required && !p.name.startsWith('webhook-')) {
        throw new Error(`${method} ${path}: no value for the header ${p.name}`);
      }
    }
    if (op.security?.some((s) => 'adminToken' in s)) headers.authorization = `Bearer ${stack.adminToken}`;
    let body: string | undefined;
    const media = op.requestBody && Object.values(op.requestBody.content)[0];
    if (media) {
      if (media.example === undefined) throw new Error(`${method} ${path}: the document has no example body`);
      const override = BODY_OVERRIDES[`${method} ${path}`];
      body = JSON.stringify(override ? override(media.example as Record<string, unknown>) : media.example);
      headers['content-type'] = 'application/json';
      if (params.some((p) => p.name === 'webhook-signature'))
        Object.assign(headers, signWebhook(stack.webhookSecret as string, body).headers);
    }
    return { url: `${stack.url}${url}${query.size ? `?${query}` : ''}`, init: { method, headers, body, redirect: 'manual' } };
  };

  it('serves the committed document, which names every route of the table', async () => {
    const res = await fetch(`${stack.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual(doc);
    expect(operations.map((o) => o.key).sort()).toEqual(routes.map(routeKey).sort());
  });

  it.each(operations)('$key answers a documented status, media type and body', async ({ method, path, op }) => {
    const { url, init } = callFor(method, path, op);
    const res = await fetch(url, init);
    const text = await res.text();
    const documented = v.response(method, path, res.status);
    expect(documented, `${method} ${url} → ${res.status} ${text.slice(0, 300)}`).toBeDefined();
    // Valid input is answered without an error.
    expect(res.status, `${method} ${url} → ${text.slice(0, 300)}`).toBeLessThan(400);
    const type = res.headers.get('content-type');
    const types = Object.keys(documented?.content ?? {});
    if (method === 'HEAD' || res.status === 204 || res.status === 302 || res.status === 304) {
      expect(text).toBe('');
      return;
    }
    expect(types, `${method} ${path}: ${type}`).toContain(type);
    if (type?.startsWith('application/json')) {
      expect(v.checkAnswer(method, path, res.status, JSON.parse(text)), text.slice(0, 500)).toBeUndefined();
    }
  });

  const withUsername = operations.filter(({ path }) => path.includes('{username}'));

  it.each(withUsername)('$key answers documented errors to an invalid or unknown username', async ({ method, path, op }) => {
    for (const username of ['no-dashes!', 'nobody_at_all']) {
      const { url, init } = callFor(method, path, op, { ...PATH_VALUES, username });
      const res = await fetch(url, init);
      const text = await res.text();
      expect(v.response(method, path, res.status), `${method} ${url} → ${res.status} ${text.slice(0, 300)}`).toBeDefined();
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400 && res.headers.get('content-type')?.startsWith('application/json') && method !== 'HEAD') {
        expect(v.checkAnswer(method, path, res.status, JSON.parse(text)), text).toBeUndefined();
      }
    }
  });
});
