// Scoped API keys against the real local stack (keys table on dynalite): the root key makes a key
// with `npm run keys`, the key reads its own profile's analytics and nothing else, and a revoked or
// expired key is refused. L1_TTL_S is 1 s here so a revocation must show within about a second.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

const run = promisify(execFile);
const ROOT_DIR = path.resolve(import.meta.dirname, '../..');

describe('scoped API keys over HTTP', () => {
  let stack: SpawnedStack;

  beforeAll(async () => {
    stack = await spawnStack({ L1_TTL_S: '1' }, 150_000);
  }, 180_000);
  afterAll(async () => {
    if (stack) expect(await stack.stop()).toBe(0);
  });

  const call = (method: string, urlPath: string, token?: string, body?: unknown) =>
    fetch(`${stack.url}${urlPath}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const status = async (method: string, urlPath: string, token?: string, body?: unknown) => {
    const res = await call(method, urlPath, token, body);
    const text = await res.text();
    return { status: res.status, code: text.startsWith('{') ? (JSON.parse(text).error?.code as string | undefined) : undefined };
  };
  const create = async (body: unknown) => {
    const res = await call('POST', '/api/keys', stack.adminToken, body);
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string; expiresAt: string | null };
  };

  it('npm run keys makes a key with the root key and prints it once; it reads its own profile only', async () => {
    const { stdout } = await run(
      process.execPath,
      ['tools/keys.ts', 'create', '--url', stack.url, '--scope', 'analytics:read', '--profile', 'demo', '--expires', '1d'],
      { cwd: ROOT_DIR, env: { ...process.env, ADMIN_TOKEN: stack.adminToken } },
    );
    const key = /key:\s+(lck_\S+)/.exec(stdout)?.[1] as string;
    expect(key).toMatch(/^lck_[A-Za-z0-9_-]{43}$/);

    expect(await status('GET', '/api/profiles/demo/analytics', key)).toEqual({ status: 200, code: undefined });
    expect(await status('GET', '/api/profiles/DEMO/analytics', key)).toEqual({ status: 200, code: undefined });
    expect(await status('GET', '/api/profiles/alice/analytics', key)).toEqual({ status: 403, code: 'FORBIDDEN' });
    // Outside its scope, on its own profile too.
    expect(await status('POST', '/api/cache/invalidate/demo', key)).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect(await status('PATCH', '/api/profiles/demo/links', key, { links: [{ id: 'lnk_shop', title: 'x' }] })).toEqual({
      status: 403,
      code: 'FORBIDDEN',
    });
    // Root-only routes.
    expect(await status('GET', '/api/keys', key)).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect(await status('POST', '/api/keys', key, { scopes: ['analytics:read'] })).toEqual({ status: 403, code: 'FORBIDDEN' });

    const { stdout: listed } = await run(process.execPath, ['tools/keys.ts', 'list', '--url', stack.url], {
      cwd: ROOT_DIR,
      env: { ...process.env, ADMIN_TOKEN: stack.adminToken },
    });
    expect(listed).toMatch(/key_[0-9a-f]{24}\s+active\s+analytics:read\s+profiles=demo/);
    expect(listed).not.toContain(key);
  });

  it('no key, an unknown key or a malformed one: 401', async () => {
    for (const token of [undefined, `lck_${'A'.repeat(43)}`, 'not-a-key', `${stack.adminToken}x`]) {
      expect(await status('GET', '/api/profiles/demo/analytics', token)).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    }
    expect(await status('GET', '/api/keys')).toEqual({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('bad key requests are 400 and make nothing', async () => {
    const before = ((await (await call('GET', '/api/keys', stack.adminToken)).json()) as { keys: unknown[] }).keys.length;
    for (const body of [
      { scopes: ['analytics:write'] },
      { scopes: [] },
      { scopes: ['analytics:read'], profiles: ['bad name'] },
      { scopes: ['analytics:read'], expiresAt: '2001-01-01T00:00:00Z' },
    ]) {
      expect(await status('POST', '/api/keys', stack.adminToken, body)).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    }
    const after = ((await (await call('GET', '/api/keys', stack.adminToken)).json()) as { keys: unknown[] }).keys.length;
    expect(after).toBe(before);
  });

  it('a revoked key is refused within L1_TTL_S', async () => {
    const { id, key } = await create({ scopes: ['analytics:read', 'cache:invalidate'] });
    expect((await status('POST', '/api/cache/invalidate/alice', key)).status).toBe(200);
    const res = await call('DELETE', `/api/keys/${id}`, stack.adminToken);
    expect(res.status).toBe(200);
    // Polled: bounded by L1_TTL_S (1 s) plus the request time, never waited on blindly.
    await expect
      .poll(async () => (await status('POST', '/api/cache/invalidate/alice', key)).status, { timeout: 5_000, interval: 100 })
      .toBe(401);
    expect(await status('DELETE', `/api/keys/${id}`, stack.adminToken)).toEqual({ status: 200, code: undefined });
    expect(await status('DELETE', '/api/keys/key_000000000000000000000000', stack.adminToken)).toEqual({
      status: 404,
      code: 'NOT_FOUND',
    });
  });

  it('an expired key is refused', async () => {
    const { key, expiresAt } = await create({
      scopes: ['analytics:read'],
      expiresAt: new Date(Date.now() + 2_000).toISOString(),
    });
    expect(expiresAt).not.toBeNull();
    expect((await status('GET', '/api/profiles/demo/analytics', key)).status).toBe(200);
    await expect
      .poll(async () => (await status('GET', '/api/profiles/demo/analytics', key)).status, { timeout: 10_000, interval: 250 })
      .toBe(401);
  });
});
