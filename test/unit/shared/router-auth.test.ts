import { describe, expect, it } from 'vitest';
import type { Scope } from '../../../lambdas/contracts/routes.ts';
import { mayReach, type Principal, requireProfile, ROOT_PRINCIPAL } from '../../../lambdas/shared/auth.ts';
import { ForbiddenError } from '../../../lambdas/shared/errors.ts';
import { type HttpResult, json } from '../../../lambdas/shared/http.ts';
import { type RouteContext, routedHandler } from '../../../lambdas/shared/router.ts';
import { apiEvent, lambdaContext } from '../../helpers/events.ts';

const ROOT = 'root-token';
const key = (id: string, scopes: Scope[], profiles: string[] | null): Principal => ({ keyId: id, root: false, scopes, profiles });
const KEYS: Record<string, Principal> = {
  'k-analytics-demo': key('k1', ['analytics:read'], ['demo']),
  'k-analytics-all': key('k2', ['analytics:read'], null),
  'k-links-demo': key('k3', ['links:write', 'cache:invalidate'], ['demo', 'alice']),
  'k-webhooks': key('k4', ['webhooks:manage'], ['demo']),
};

const setup = () => {
  const seen: Array<{ route: string; ctx: RouteContext }> = [];
  const ok =
    (route: string) =>
    async (_e: unknown, ctx: RouteContext): Promise<HttpResult> => {
      seen.push({ route, ctx });
      return json(200, { ok: true });
    };
  const h = routedHandler(
    {
      'GET /api/profiles/{username}/analytics': ok('analytics'),
      'PATCH /api/profiles/{username}/links': ok('links'),
      'POST /api/cache/invalidate/{username}': ok('invalidate'),
      'POST /api/keys': ok('keys'),
      'GET /api/profiles/{username}': ok('public'),
    },
    { authenticator: { adminToken: async () => ROOT, verifyKey: async (k) => KEYS[k] } },
  );
  const call = async (method: string, route: string, token?: string, username = 'demo') =>
    (await h(
      apiEvent({
        method,
        route,
        pathParameters: route.includes('{username}') ? { username } : undefined,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      }),
      lambdaContext(),
    )) as HttpResult;
  return { call, seen };
};

const A = ['GET', '/api/profiles/{username}/analytics'] as const;
const L = ['PATCH', '/api/profiles/{username}/links'] as const;
const I = ['POST', '/api/cache/invalidate/{username}'] as const;
const K = ['POST', '/api/keys'] as const;

describe('the kernel checks each private route before its handler', () => {
  it.each([
    // [route, token, username, status]
    [A, ROOT, 'demo', 200],
    [A, ROOT, 'anyone', 200],
    [K, ROOT, 'demo', 200],
    [A, 'k-analytics-demo', 'demo', 200],
    [A, 'k-analytics-demo', 'DEMO', 200],
    [A, 'k-analytics-demo', 'alice', 403],
    [A, 'k-analytics-all', 'alice', 200],
    [L, 'k-analytics-demo', 'demo', 403],
    [L, 'k-links-demo', 'alice', 200],
    [L, 'k-links-demo', 'bob', 403],
    [I, 'k-links-demo', 'Demo', 200],
    [A, 'k-links-demo', 'demo', 403],
    [K, 'k-analytics-all', 'demo', 403],
    [K, 'k-webhooks', 'demo', 403],
    [A, undefined, 'demo', 401],
    [A, 'unknown-key', 'demo', 401],
    [K, 'unknown-key', 'demo', 401],
    [K, `${ROOT}x`, 'demo', 401],
  ] as const)('%j with %s on %s → %i', async ([method, route], token, username, status) => {
    const { call, seen } = setup();
    const r = await call(method, route, token, username);
    expect(r.statusCode).toBe(status);
    if (status === 200) expect(seen).toHaveLength(1);
    else {
      expect(seen).toEqual([]);
      expect(JSON.parse(r.body as string).error.code).toBe(status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
    }
    if (status === 401) expect(r.headers['www-authenticate']).toBe('Bearer');
  });

  it('hands the principal to the handler; public routes get none and need no key', async () => {
    const { call, seen } = setup();
    await call(...A, 'k-analytics-demo');
    await call(...A, ROOT);
    expect((await call('GET', '/api/profiles/{username}')).statusCode).toBe(200);
    expect(seen.map((s) => s.ctx.principal?.keyId)).toEqual(['k1', 'root', undefined]);
    expect(seen[1].ctx.principal).toBe(ROOT_PRINCIPAL);
  });

  it('fails closed: a private route in a function without an authenticator admits nobody', async () => {
    const h = routedHandler({ 'POST /api/keys': async () => json(200, {}) });
    const r = (await h(
      apiEvent({ method: 'POST', route: '/api/keys', headers: { authorization: `Bearer ${ROOT}` } }),
      lambdaContext(),
    )) as HttpResult;
    expect(r.statusCode).toBe(401);
  });

  it('an unset root token admits no one as root', async () => {
    const h = routedHandler({ 'POST /api/keys': async () => json(200, {}) }, { authenticator: { adminToken: async () => '' } });
    const r = (await h(
      apiEvent({ method: 'POST', route: '/api/keys', headers: { authorization: 'Bearer ' } }),
      lambdaContext(),
    )) as HttpResult;
    expect(r.statusCode).toBe(401);
  });
});

describe('mayReach / requireProfile', () => {
  it.each([
    [ROOT_PRINCIPAL, 'anyone', true],
    [key('a', [], null), 'anyone', true],
    [key('a', [], ['demo']), 'Demo', true],
    [key('a', [], ['demo']), 'demo2', false],
    [key('a', [], []), 'demo', false],
  ] as const)('%j reaches %s: %s', (p, username, expected) => {
    expect(mayReach(p, username)).toBe(expected);
    if (expected) expect(() => requireProfile(p, username)).not.toThrow();
    else expect(() => requireProfile(p, username)).toThrow(ForbiddenError);
  });
});
