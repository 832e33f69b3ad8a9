import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  FileTokenStore,
  isSecretArn,
  LinktreeLoginRequiredError,
  SecretsManagerTokenStore,
  TokenKeeper,
} from '../../../lambdas/adapters/linktree-token-store.ts';
import { parseStoredTokens, type StoredTokens, type TokenStore } from '../../../lambdas/core/linktree-tokens.ts';
import { OriginUnavailableError } from '../../../lambdas/shared/errors.ts';

const NOW = 1_800_000_000_000;
const tokens = (over: Partial<StoredTokens> = {}): StoredTokens => ({
  access_token: 'at_1',
  refresh_token: 'rt_1',
  token_type: 'Bearer',
  expires_at: NOW / 1000 + 3600,
  client_id: 'client-1',
  token_endpoint: 'https://auth.test/token',
  ...over,
});

const memoryStore = (initial?: StoredTokens) => {
  const writes: StoredTokens[] = [];
  let current = initial;
  const store: TokenStore & { writes: StoredTokens[]; set(t: StoredTokens): void } = {
    location: 'memory',
    writes,
    set: (t) => {
      current = t;
    },
    read: async () => current,
    write: async (t) => {
      writes.push(t);
      current = t;
    },
  };
  return store;
};

type Reply = { status: number; body: unknown };
const tokenEndpoint = (replies: Reply[]) => {
  const bodies: URLSearchParams[] = [];
  const fetch = async (_url: string | URL | Request, init?: RequestInit) => {
    bodies.push(new URLSearchParams(String(init?.body)));
    // Yield so concurrent callers overlap with this one.
    await new Promise((r) => setTimeout(r, 5));
    const r = replies.shift() ?? { status: 500, body: {} };
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: fetch as typeof globalThis.fetch, bodies };
};

const keeper = (store: TokenStore, replies: Reply[], warnings: string[] = []) => {
  const endpoint = tokenEndpoint(replies);
  const k = new TokenKeeper({
    store,
    timeoutMs: 1000,
    fetch: endpoint.fetch,
    now: () => NOW,
    discoverTokenEndpoint: async () => 'https://discovered.test/token',
    telemetry: { count: () => {}, warn: (m) => warnings.push(m) },
  });
  return { keeper: k, bodies: endpoint.bodies };
};

describe('parseStoredTokens', () => {
  it('reads the contract JSON and treats an empty or placeholder secret as nothing stored', () => {
    expect(parseStoredTokens(JSON.stringify(tokens()))).toEqual(tokens());
    expect(parseStoredTokens('')).toBeUndefined();
    expect(parseStoredTokens('{}')).toBeUndefined();
    expect(parseStoredTokens(undefined)).toBeUndefined();
  });

  it('refuses malformed content', () => {
    expect(() => parseStoredTokens('not json')).toThrow(/not JSON/);
    expect(() => parseStoredTokens(JSON.stringify({ access_token: 'a' }))).toThrow(/expected fields/);
  });
});

describe('FileTokenStore', () => {
  it('writes atomically with mode 0600 and reads back the same tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-tokens-'));
    const path = join(dir, 'nested', 'tokens.json');
    const store = new FileTokenStore(path);
    expect(await store.read()).toBeUndefined();
    await store.write(tokens());
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(tokens());
    await store.write(tokens({ access_token: 'at_2' }));
    expect((await store.read())?.access_token).toBe('at_2');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // No temp file left behind.
    expect(readdirSync(join(dir, 'nested'))).toEqual(['tokens.json']);
  });

  it('replaces a world-readable file by a 0600 one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-tokens-'));
    const path = join(dir, 'tokens.json');
    writeFileSync(path, '{}', { mode: 0o644 });
    await new FileTokenStore(path).write(tokens());
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe('SecretsManagerTokenStore', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:linktree-tokens-AbCdEf';

  it('recognises ARNs', () => {
    expect(isSecretArn(arn)).toBe(true);
    expect(isSecretArn('.data/linktree-tokens.json')).toBe(false);
  });

  it('reads with GetSecretValue and writes with PutSecretValue on that secret only', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(tokens()) });
    sm.on(PutSecretValueCommand).resolves({});
    const store = new SecretsManagerTokenStore(arn, new SecretsManagerClient({ region: 'eu-west-1' }));
    expect(await store.read()).toEqual(tokens());
    await store.write(tokens({ access_token: 'at_2' }));
    const put = sm.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(put.SecretId).toBe(arn);
    expect(JSON.parse(put.SecretString ?? '')).toEqual(tokens({ access_token: 'at_2' }));
    expect(sm.commandCalls(GetSecretValueCommand)[0].args[0].input.SecretId).toBe(arn);
    sm.restore();
  });

  it('reads a placeholder secret as nothing stored', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{}' });
    expect(await new SecretsManagerTokenStore(arn, new SecretsManagerClient({ region: 'eu-west-1' })).read()).toBeUndefined();
    sm.restore();
  });
});

describe('TokenKeeper', () => {
  const rotated = { status: 200, body: { access_token: 'at_2', refresh_token: 'rt_2', token_type: 'Bearer', expires_in: 600 } };

  it('hands out the stored access token while it is valid, without refreshing', async () => {
    const { keeper: k, bodies } = keeper(memoryStore(tokens()), []);
    expect(await k.accessToken()).toBe('at_1');
    expect(bodies).toHaveLength(0);
  });

  it('refreshes an expired token and writes the rotated tokens back', async () => {
    const store = memoryStore(tokens({ expires_at: NOW / 1000 - 1 }));
    const { keeper: k, bodies } = keeper(store, [rotated]);
    expect(await k.accessToken()).toBe('at_2');
    expect(bodies[0].get('grant_type')).toBe('refresh_token');
    expect(bodies[0].get('refresh_token')).toBe('rt_1');
    expect(bodies[0].get('client_id')).toBe('client-1');
    expect(store.writes).toEqual([
      {
        access_token: 'at_2',
        refresh_token: 'rt_2',
        token_type: 'Bearer',
        expires_at: NOW / 1000 + 600,
        client_id: 'client-1',
        token_endpoint: 'https://auth.test/token',
      },
    ]);
  });

  it('refreshes once for many concurrent callers', async () => {
    const store = memoryStore(tokens({ expires_at: NOW / 1000 - 1 }));
    const { keeper: k, bodies } = keeper(store, [rotated, { status: 400, body: { error: 'invalid_grant' } }]);
    const got = await Promise.all(Array.from({ length: 5 }, () => k.accessToken()));
    expect(got).toEqual(['at_2', 'at_2', 'at_2', 'at_2', 'at_2']);
    expect(bodies).toHaveLength(1);
    // A caller holding the old token asks again: already replaced, no second refresh.
    expect((await k.refresh('at_1')).access_token).toBe('at_2');
    expect(bodies).toHaveLength(1);
  });

  it('keeps the refresh token when the answer rotates none', async () => {
    const store = memoryStore(tokens({ expires_at: NOW / 1000 - 1 }));
    const { keeper: k } = keeper(store, [{ status: 200, body: { access_token: 'at_2', expires_in: 60 } }]);
    await k.accessToken();
    expect(store.writes[0].refresh_token).toBe('rt_1');
  });

  it('discovers the token endpoint when the stored tokens name none', async () => {
    const store = memoryStore(tokens({ expires_at: NOW / 1000 - 1, token_endpoint: undefined }));
    const { keeper: k } = keeper(store, [rotated]);
    await k.accessToken();
    expect(store.writes[0].token_endpoint).toBe('https://discovered.test/token');
  });

  it('turns invalid_grant into an origin failure that tells the operator to log in again', async () => {
    const warnings: string[] = [];
    const { keeper: k } = keeper(memoryStore(tokens()), [{ status: 400, body: { error: 'invalid_grant' } }], warnings);
    const err = await k.refresh().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinktreeLoginRequiredError);
    expect(err).toBeInstanceOf(OriginUnavailableError);
    expect((err as OriginUnavailableError).status).toBe(503);
    expect(warnings.join('\n')).toContain('npm run linktree:login');
  });

  it('after invalid_grant, takes tokens another process rotated into the store meanwhile', async () => {
    const store = memoryStore(tokens());
    const { keeper: k } = keeper(store, [{ status: 400, body: { error: 'invalid_grant' } }]);
    await k.accessToken();
    store.set(tokens({ access_token: 'at_other', refresh_token: 'rt_other' }));
    expect((await k.refresh()).access_token).toBe('at_other');
  });

  it('with nothing stored, fails as an origin failure naming the login command', async () => {
    const warnings: string[] = [];
    const { keeper: k } = keeper(memoryStore(undefined), [], warnings);
    await expect(k.accessToken()).rejects.toBeInstanceOf(LinktreeLoginRequiredError);
    expect(warnings.join('\n')).toContain('npm run linktree:login');
  });

  it('a token endpoint error other than a refused grant is a plain origin failure', async () => {
    const { keeper: k } = keeper(memoryStore(tokens()), [{ status: 503, body: {} }]);
    const err = await k.refresh().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginUnavailableError);
    expect(err).not.toBeInstanceOf(LinktreeLoginRequiredError);
  });
});
