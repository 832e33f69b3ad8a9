import { describe, expect, it } from 'vitest';
import { parseExpires, parseKeysArgs, runKeys } from '../../../tools/keys.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const env = { ADMIN_TOKEN: 'root' };

describe('npm run keys: arguments', () => {
  it('create with repeated scopes and profiles, a span expiry, a base URL', () => {
    expect(
      parseKeysArgs(
        [
          'create',
          '--scope',
          'analytics:read',
          '--scope',
          'links:write',
          '--profile',
          'demo',
          '--expires',
          '30d',
          '--url',
          'https://api.example.com/',
        ],
        env,
        undefined,
        NOW,
      ),
    ).toEqual({
      command: 'create',
      url: 'https://api.example.com',
      token: 'root',
      json: false,
      scopes: ['analytics:read', 'links:write'],
      profiles: ['demo'],
      expiresAt: '2026-07-01T00:00:00.000Z',
    });
  });

  it('reads the root key from --token-file over ADMIN_TOKEN', () => {
    const cmd = parseKeysArgs(['list', '--token-file', '/x'], env, () => 'from-file\n');
    expect(cmd).toMatchObject({ command: 'list', token: 'from-file', url: 'http://127.0.0.1:3000' });
  });

  it.each([
    [['create'], 'at least one --scope'],
    [['revoke'], 'needs the key id'],
    [['list', 'extra'], 'unexpected argument'],
    [['nope'], 'unknown command'],
    [['create', '--scope', 'a', '--expires', 'soon'], 'neither an ISO-8601'],
    [['list', '--url', 'not a url'], 'is not a URL'],
    [['list', '--bogus'], 'bogus'],
  ])('refuses %j', (argv, message) => {
    const r = parseKeysArgs(argv, env);
    expect('error' in r && r.error).toContain(message);
  });

  it('needs a root key', () => {
    expect(parseKeysArgs(['list'], {})).toEqual({ error: 'no root key: set ADMIN_TOKEN or pass --token-file' });
  });

  it('expiry spans and ISO times', () => {
    expect(parseExpires('12h', NOW)).toBe('2026-06-01T12:00:00.000Z');
    expect(parseExpires('90m', NOW)).toBe('2026-06-01T01:30:00.000Z');
    expect(parseExpires('2027-01-01T00:00:00Z', NOW)).toBe('2027-01-01T00:00:00Z');
    expect(parseExpires('2027', NOW)).toBeUndefined();
  });
});

describe('npm run keys: requests and output', () => {
  const run = async (argv: string[], status: number, answer: unknown) => {
    const cmd = parseKeysArgs(argv, env, undefined, NOW);
    if ('error' in cmd) throw new Error(cmd.error);
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeys(cmd, {
      fetch: (async (url: string, init: RequestInit) => {
        calls.push({ url, init });
        return new Response(JSON.stringify(answer), { status });
      }) as typeof fetch,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      now: NOW,
    });
    return { code, calls, out, err };
  };

  it('create posts the key request with the root key and prints the key once', async () => {
    const r = await run(['create', '--scope', 'analytics:read', '--profile', 'demo'], 201, {
      id: 'key_1',
      key: 'lck_secret',
      scopes: ['analytics:read'],
      profiles: ['demo'],
      expiresAt: null,
    });
    expect(r.code).toBe(0);
    expect(r.calls[0].url).toBe('http://127.0.0.1:3000/api/keys');
    expect(r.calls[0].init.method).toBe('POST');
    expect((r.calls[0].init.headers as Record<string, string>).authorization).toBe('Bearer root');
    expect(JSON.parse(r.calls[0].init.body as string)).toEqual({ scopes: ['analytics:read'], profiles: ['demo'] });
    expect(r.out.filter((l) => l.includes('lck_secret'))).toHaveLength(1);
  });

  it('list prints each key with its state; revoke deletes by id', async () => {
    const l = await run(['list'], 200, {
      keys: [
        { id: 'key_a', scopes: ['analytics:read'], profiles: null, expiresAt: null, createdAt: 'x', revoked: true },
        {
          id: 'key_b',
          scopes: ['links:write'],
          profiles: ['demo'],
          expiresAt: '2026-01-01T00:00:00Z',
          createdAt: 'x',
          revoked: false,
        },
      ],
    });
    expect(l.out.map((x) => x.split(/\s+/).slice(0, 2).join(' '))).toEqual(['key_a revoked', 'key_b expired']);
    const d = await run(['revoke', 'key_a'], 200, { id: 'key_a', revoked: true });
    expect(d.calls[0]).toMatchObject({ url: 'http://127.0.0.1:3000/api/keys/key_a', init: { method: 'DELETE' } });
    expect(d.code).toBe(0);
  });

  it('an error answer is reported with its code, exit 1', async () => {
    const r = await run(['revoke', 'key_x'], 404, { error: { code: 'NOT_FOUND', message: 'No API key "key_x".' } });
    expect(r.code).toBe(1);
    expect(r.err[0]).toContain('404 NOT_FOUND');
  });
});
