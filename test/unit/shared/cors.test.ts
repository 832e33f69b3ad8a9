// CORS for the flagged routes: which origins a CORS_ORIGINS value grants, what an answer and a
// preflight carry, and that the kernel's router applies it to those routes only.
import { afterEach, describe, expect, it } from 'vitest';
import {
  addCorsHeaders,
  CORS_ALLOW_HEADERS,
  CORS_EXPOSE_HEADERS,
  CORS_MAX_AGE_S,
  configureCors,
  configuredCors,
  corsPolicy,
  NO_CORS,
  preflightResponse,
} from '../../../lambdas/shared/cors.ts';
import { NotFoundError, UnauthorizedError } from '../../../lambdas/shared/errors.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { routedHandler } from '../../../lambdas/shared/router.ts';
import { type ApiEventInput, apiEvent, lambdaContext } from '../../helpers/events.ts';

const APP = 'https://app.example.com';
const list = corsPolicy(`${APP}, https://other.example.org/`);
const any = corsPolicy('*');

const fresh = (): HttpResult => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' });
const profileGet = (headers: Record<string, string> = {}) =>
  apiEvent({ route: '/api/profiles/{username}', pathParameters: { username: 'demo' }, headers });
const preflight = (route: string, headers: Record<string, string>) => apiEvent({ method: 'OPTIONS', route, headers });

describe('corsPolicy', () => {
  it('reads "*" as any origin and a comma list as those origins (trimmed, lower case, no trailing slash)', () => {
    expect(any.anyOrigin).toBe(true);
    expect(list.anyOrigin).toBe(false);
    expect([...list.origins]).toEqual([APP, 'https://other.example.org']);
    expect(corsPolicy('HTTPS://App.Example.com').origins.has(APP)).toBe(true);
  });

  it('grants nothing for an empty or missing value', () => {
    expect(corsPolicy(undefined)).toBe(NO_CORS);
    expect(corsPolicy(' , ')).toBe(NO_CORS);
  });
});

describe('addCorsHeaders', () => {
  it('with "*": Access-Control-Allow-Origin * and the exposed headers on every answer, no Vary', () => {
    for (const headers of [{ origin: APP }, {}] as Record<string, string>[]) {
      const r = addCorsHeaders(any, profileGet(headers), fresh());
      expect(r.headers['access-control-allow-origin']).toBe('*');
      expect(r.headers['access-control-expose-headers']).toBe(CORS_EXPOSE_HEADERS);
      expect(r.headers.vary).toBeUndefined();
    }
    expect(CORS_EXPOSE_HEADERS.split(', ')).toEqual(expect.arrayContaining(['etag', 'x-cache', 'age']));
  });

  it('with a list: echoes an allowed Origin, grants no other, and always says Vary: Origin', () => {
    const allowed = addCorsHeaders(list, profileGet({ origin: APP }), fresh());
    expect(allowed.headers['access-control-allow-origin']).toBe(APP);
    expect(allowed.headers.vary).toBe('Origin');
    for (const headers of [{ origin: 'https://evil.example' }, {}, { origin: 'null' }] as Record<string, string>[]) {
      const r = addCorsHeaders(list, profileGet(headers), fresh());
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      expect(r.headers['access-control-expose-headers']).toBeUndefined();
      expect(r.headers.vary).toBe('Origin');
    }
  });

  it('adds Origin to a Vary the answer already has, and nothing at all without a policy', () => {
    const r = fresh();
    r.headers.vary = 'Accept-Encoding';
    expect(addCorsHeaders(list, profileGet({ origin: APP }), r).headers.vary).toBe('Accept-Encoding, Origin');
    expect(addCorsHeaders(NO_CORS, profileGet({ origin: APP }), fresh()).headers).toEqual(fresh().headers);
  });
});

describe('preflightResponse', () => {
  it('answers 204 with origin, methods, headers and max-age to an allowed origin asking for a CORS method', () => {
    const r = preflightResponse(
      list,
      preflight('/api/profiles/{username}', { origin: APP, 'access-control-request-method': 'GET' }),
    );
    expect(r.statusCode).toBe(204);
    expect(r.body).toBeUndefined();
    expect(r.headers).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, HEAD',
      'access-control-allow-headers': CORS_ALLOW_HEADERS,
      'access-control-max-age': String(CORS_MAX_AGE_S),
      allow: 'GET, HEAD, OPTIONS',
      vary: 'Origin, Access-Control-Request-Method',
    });
    expect(CORS_ALLOW_HEADERS.split(', ')).toEqual(expect.arrayContaining(['content-type', 'if-none-match']));
    const beacon = preflightResponse(any, preflight('/api/events', { origin: APP, 'access-control-request-method': 'POST' }));
    expect(beacon.headers['access-control-allow-methods']).toBe('POST');
    expect(beacon.headers['access-control-allow-origin']).toBe('*');
  });

  it('grants nothing for a private method on the same path, another origin, or no requested method', () => {
    const cases: Record<string, string>[] = [
      { origin: APP, 'access-control-request-method': 'PATCH' },
      { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      { origin: APP },
      { 'access-control-request-method': 'GET' },
    ];
    for (const headers of cases) {
      const r = preflightResponse(list, preflight('/api/profiles/{username}/links', headers));
      expect(r.statusCode).toBe(204);
      expect({ headers, acao: r.headers['access-control-allow-origin'] }).toEqual({ headers, acao: undefined });
      expect(r.headers['access-control-allow-methods']).toBeUndefined();
    }
    const patch = preflightResponse(
      any,
      preflight('/api/profiles/{username}/links', { origin: APP, 'access-control-request-method': 'PATCH' }),
    );
    expect(patch.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the router applies CORS to the flagged routes only', () => {
  afterEach(() => configureCors(undefined));

  const call = (h: ReturnType<typeof routedHandler>, input: ApiEventInput) =>
    h(apiEvent(input), lambdaContext()) as Promise<HttpResult>;
  const ok = async (): Promise<HttpResult> => fresh();

  it('grants the CORS routes, their errors and their HEAD, and no other route', async () => {
    const h = routedHandler(
      {
        'GET /api/profiles/{username}': ok,
        'GET /api/profiles/{username}/links': async () => {
          throw new NotFoundError('gone');
        },
        'GET /api/profiles/{username}/analytics': ok,
        'GET /{username}': ok,
      },
      // No private-route check here: this is about CORS alone (auth: test/unit/shared/router-auth.test.ts).
      { cors: any, routeAuth: new Map() },
    );
    const headers = { origin: APP };
    const pathParameters = { username: 'demo' };
    for (const [method, route, status] of [
      ['GET', '/api/profiles/{username}', 200],
      ['HEAD', '/api/profiles/{username}', 200],
      ['GET', '/api/profiles/{username}/links', 404],
    ] as const) {
      const r = await call(h, { method, route, pathParameters, headers });
      expect({ route, method, status: r.statusCode, acao: r.headers['access-control-allow-origin'] }).toEqual({
        route,
        method,
        status,
        acao: '*',
      });
    }
    for (const route of ['/api/profiles/{username}/analytics', '/{username}']) {
      const r = await call(h, { route, pathParameters, headers });
      expect(r.statusCode).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('answers preflights before the guard (a preflight carries no token), and guards the routes themselves', async () => {
    const h = routedHandler(
      { 'POST /api/events': ok },
      {
        cors: list,
        guard: async () => {
          throw new UnauthorizedError('A bearer token is required');
        },
      },
    );
    const pre = await call(h, {
      method: 'OPTIONS',
      route: '/api/events',
      headers: { origin: APP, 'access-control-request-method': 'POST' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(APP);
    const post = await call(h, { method: 'POST', route: '/api/events', headers: { origin: APP } });
    expect(post.statusCode).toBe(401);
    expect(post.headers['access-control-allow-origin']).toBe(APP);
  });

  it('uses the process policy the wiring configured when given none of its own', async () => {
    const h = routedHandler({ 'GET /api/profiles/{username}': ok });
    const input = { route: '/api/profiles/{username}', pathParameters: { username: 'demo' }, headers: { origin: APP } };
    expect((await call(h, input)).headers['access-control-allow-origin']).toBeUndefined();
    configureCors(APP);
    expect(configuredCors().origins.has(APP)).toBe(true);
    expect((await call(h, input)).headers['access-control-allow-origin']).toBe(APP);
  });
});
