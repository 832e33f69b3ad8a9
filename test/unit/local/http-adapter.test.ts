import type http from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRoutes, createLocalApi, matchRoute } from '../../../local/http-adapter.ts';
import { type Route, routes as servedRoutes } from '../../../lambdas/contracts/routes.ts';

const routes: Route[] = [
  { method: 'GET', path: '/{username}', fn: 'profile' },
  { method: 'GET', path: '/health', fn: 'profile' },
  { method: 'GET', path: '/api/profiles/{username}', fn: 'profile' },
  { method: 'GET', path: '/api/profiles/{username}/links', fn: 'profile' },
  { method: 'POST', path: '/webhooks/linktree', fn: 'webhook' },
];

describe('route matching', () => {
  const compiled = compileRoutes(routes);
  it('prefers literal segments over parameters, as API Gateway does', () => {
    expect(matchRoute(compiled, 'GET', '/health')?.key).toBe('GET /health');
    expect(matchRoute(compiled, 'GET', '/demo')?.key).toBe('GET /{username}');
    expect(matchRoute(compiled, 'GET', '/api/profiles/x.y/links')).toMatchObject({
      key: 'GET /api/profiles/{username}/links',
      pathParameters: { username: 'x.y' },
    });
  });
  it('routes HEAD and the CORS preflights of the real table to the function of the path, as deployed', () => {
    const real = compileRoutes(servedRoutes);
    expect(matchRoute(real, 'HEAD', '/demo')?.key).toBe('HEAD /{username}');
    expect(matchRoute(real, 'HEAD', '/api/profiles/demo')?.route.fn).toBe('profile');
    expect(matchRoute(real, 'HEAD', '/r/demo/lnk_shop')?.route.fn).toBe('track');
    expect(matchRoute(real, 'OPTIONS', '/api/events')).toMatchObject({ key: 'OPTIONS /api/events', route: { fn: 'track' } });
    expect(matchRoute(real, 'OPTIONS', '/api/profiles/demo/links')?.route.fn).toBe('profile');
    // No preflight route on a private or page path: a browser's preflight there is refused (404).
    expect(matchRoute(real, 'OPTIONS', '/api/profiles/demo/analytics')).toBeUndefined();
    expect(matchRoute(real, 'OPTIONS', '/demo')).toBeUndefined();
    expect(matchRoute(real, 'OPTIONS', '/webhooks/linktree')).toBeUndefined();
  });
  it('matches on method and decodes parameters', () => {
    expect(matchRoute(compiled, 'POST', '/health')).toBeUndefined();
    expect(matchRoute(compiled, 'GET', '/api/profiles/a%20b')?.pathParameters).toEqual({ username: 'a b' });
    expect(matchRoute(compiled, 'GET', '/api/profiles/%E0%A4%A')).toBeUndefined();
  });
});

describe('local API', () => {
  const seen: APIGatewayProxyEventV2[] = [];
  let base = '';
  let server: http.Server;
  beforeAll(async () => {
    server = createLocalApi({
      routes,
      handlers: {
        profile: async (event) => {
          seen.push(event);
          if (event.rawPath === '/api/profiles/throws') throw new Error('handler bug');
          if (event.rawPath === '/api/profiles/bad-header') return { statusCode: 200, headers: { 'x-bad': 'a\nb' }, body: '' };
          return { statusCode: 201, headers: { 'x-test': 'yes' }, body: 'hello', cookies: ['a=1'] };
        },
        webhook: async (event) => {
          seen.push(event);
          return { ok: true }; // a bare object: API Gateway answers 200 JSON
        },
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('builds a v2 proxy event and writes the structured result back', async () => {
    const res = await fetch(`${base}/api/profiles/demo?a=1&a=2&b=x`, { headers: { 'X-Custom': 'v', cookie: 'c=1; d=2' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-test')).toBe('yes');
    expect(res.headers.get('set-cookie')).toBe('a=1');
    expect(await res.text()).toBe('hello');
    const e = seen.at(-1) as APIGatewayProxyEventV2;
    expect(e.version).toBe('2.0');
    expect(e.routeKey).toBe('GET /api/profiles/{username}');
    expect(e.rawPath).toBe('/api/profiles/demo');
    expect(e.rawQueryString).toBe('a=1&a=2&b=x');
    expect(e.queryStringParameters).toEqual({ a: '1,2', b: 'x' });
    expect(e.pathParameters).toEqual({ username: 'demo' });
    expect(e.headers['x-custom']).toBe('v');
    expect(e.cookies).toEqual(['c=1', 'd=2']);
    expect(e.requestContext.http.method).toBe('GET');
    expect(e.requestContext.http.sourceIp).toBe('127.0.0.1');
    expect(e.isBase64Encoded).toBe(false);
  });

  it('passes JSON bodies as text and binary bodies as base64', async () => {
    const res = await fetch(`${base}/webhooks/linktree`, {
      method: 'POST',
      body: '{"x":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(seen.at(-1)?.body).toBe('{"x":1}');
    await fetch(`${base}/webhooks/linktree`, {
      method: 'POST',
      body: new Uint8Array([0, 255]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    const e = seen.at(-1) as APIGatewayProxyEventV2;
    expect(e.isBase64Encoded).toBe(true);
    expect(Buffer.from(e.body as string, 'base64')).toEqual(Buffer.from([0, 255]));
  });

  /** One raw HTTP/1.1 request (fetch would normalize the target); resolves with the status line. */
  const rawStatus = (target: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (d) => {
        data += d.toString('latin1');
      });
      socket.on('end', () => resolve(data.split('\r\n')[0]));
      socket.on('error', reject);
    });

  it.each(['//', '///', '//a:b', '//%zz', '/\\', '//demo', '*', 'http://evil.example/x'])(
    'answers the request target %s with an HTTP answer and keeps serving',
    async (target) => {
      expect(await rawStatus(target)).toMatch(/^HTTP\/1\.1 (400|404) /);
      expect((await fetch(`${base}/health`)).status).toBe(201);
    },
  );

  it('answers a handler that throws, or returns an unwritable header, with a JSON 500 and keeps serving', async () => {
    for (const path of ['/api/profiles/throws', '/api/profiles/bad-header']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(500);
      expect((await res.json()).error.code).toBe('INTERNAL_ERROR');
    }
    expect((await fetch(`${base}/health`)).status).toBe(201);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(`${base}/nope/nope/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('NOT_FOUND');
  });
});

describe('Lambda context', () => {
  it('works when its methods are called detached, as middy does', async () => {
    let remaining = -1;
    const server = createLocalApi({
      routes,
      handlers: {
        profile: async (_event, context) => {
          const detached = context.getRemainingTimeInMillis;
          remaining = detached();
          return { statusCode: 204 };
        },
      },
      timeoutMs: 3_000,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health`);
    server.close();
    expect(res.status).toBe(204);
    expect(remaining).toBeGreaterThan(2_000);
    expect(remaining).toBeLessThanOrEqual(3_000);
  });
});
