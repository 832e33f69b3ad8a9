// The MCP origin against the local MCP stand-in (real SDK on both sides, real OAuth over HTTP):
// login, reads, writes, token refresh and rotation, and every error code's mapping.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLinktreeMcpOrigin, type LinktreeMcpOrigin } from '../../lambdas/adapters/linktree-mcp-origin.ts';
import { FileTokenStore, LinktreeLoginRequiredError } from '../../lambdas/adapters/linktree-token-store.ts';
import type { StoredTokens } from '../../lambdas/core/linktree-tokens.ts';
import type { RateLimiter, Telemetry } from '../../lambdas/core/ports.ts';
import type { OriginConfig } from '../../lambdas/core/settings.ts';
import { NotFoundError, OriginUnavailableError, UpgradeRequiredError, ValidationError } from '../../lambdas/shared/errors.ts';
import { type RunningMcpServer, startLinktreeMcpServer } from '../../local/linktree-mcp-server.ts';
import { linktreeLogin } from '../../tools/linktree-login.ts';

const config: OriginConfig = {
  url: '',
  timeoutMs: 3_000,
  retryBudgetMs: 4_000,
  maxAttempts: 3,
  backoffBaseMs: 1,
  backoffCapMs: 5,
  ratePerMin: 1_000,
};

const recorder = () => {
  const counts = new Map<string, number>();
  const warnings: string[] = [];
  const telemetry: Telemetry = {
    count: (m, v = 1) => counts.set(m, (counts.get(m) ?? 0) + v),
    warn: (m) => warnings.push(m),
  };
  return { telemetry, counts, warnings };
};

const allowAll: RateLimiter = { take: async () => ({ allowed: true, retryAfterMs: 0 }) };

/** Logs in the way an operator would: open the printed URL (auto-approved) and follow it back to the loopback callback. */
const login = async (server: RunningMcpServer, path: string): Promise<{ tokens: StoredTokens; authorizeUrl: URL }> => {
  let authorizeUrl: URL | undefined;
  const tokens = await linktreeLogin({
    mcpUrl: server.url,
    store: new FileTokenStore(path),
    timeoutMs: 10_000,
    onAuthorizeUrl: (url) => {
      authorizeUrl = url;
      void (async () => {
        const approve = await fetch(url, { redirect: 'manual' });
        const back = approve.headers.get('location');
        if (back) await fetch(back);
      })();
    },
  });
  if (!authorizeUrl) throw new Error('no authorize URL');
  return { tokens, authorizeUrl };
};

const readTokens = (path: string): StoredTokens => JSON.parse(readFileSync(path, 'utf8')) as StoredTokens;

describe('linktree-mcp origin against the local MCP server', () => {
  let server: RunningMcpServer;
  let dir: string;
  let tokensPath: string;
  let origins: LinktreeMcpOrigin[] = [];
  let authorizeUrl: URL;

  const originWith = async (over: { limiter?: RateLimiter; telemetry?: Telemetry; path?: string } = {}) => {
    const o = await createLinktreeMcpOrigin(
      { url: server.url, tokens: over.path ?? tokensPath, userAgent: 'linkcache-test', origin: config },
      over.limiter ?? allowAll,
      over.telemetry,
    );
    origins.push(o);
    return o;
  };

  beforeAll(async () => {
    server = await startLinktreeMcpServer();
    dir = mkdtempSync(join(tmpdir(), 'lt-mcp-'));
    tokensPath = join(dir, 'tokens.json');
    ({ authorizeUrl } = await login(server, tokensPath));
  });
  afterEach(async () => {
    server.control.clearForced();
    await Promise.all(origins.map((o) => o.close()));
    origins = [];
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('login', () => {
    it('used PKCE S256 with a dynamically registered client and a loopback redirect', () => {
      expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorizeUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(authorizeUrl.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      expect(authorizeUrl.searchParams.get('state')).toBeTruthy();
      expect(authorizeUrl.searchParams.get('client_id')).toBeTruthy();
    });

    it('stored the token response as the contract JSON in a 0600 file', () => {
      const t = readTokens(tokensPath);
      expect(statSync(tokensPath).mode & 0o777).toBe(0o600);
      expect(Object.keys(t).sort()).toEqual([
        'access_token',
        'client_id',
        'expires_at',
        'refresh_token',
        'token_endpoint',
        'token_type',
      ]);
      expect(t.token_endpoint).toBe(`${server.baseUrl}/token`);
      expect(t.expires_at).toBeGreaterThan(Date.now() / 1000);
    });

    it('an unauthenticated call gets 401 with a challenge naming the protected-resource metadata', async () => {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain(
        `resource_metadata="${server.baseUrl}/.well-known/oauth-protected-resource/mcp"`,
      );
    });
  });

  describe('reads and writes', () => {
    it('reads a profile through get_account + get_links, active as enabled', async () => {
      const o = await originWith();
      const p = await o.fetchProfile('demo');
      expect(p).toMatchObject({ id: 'prof_demo', username: 'demo', displayName: 'Demo Creator' });
      const hidden = p?.links.find((l) => l.title === 'Old blog (hidden)');
      expect(hidden?.enabled).toBe(false);
      expect(p?.links.filter((l) => l.enabled)).toHaveLength(3);
    });

    it('an unknown profile is not found (undefined), not a failure', async () => {
      const o = await originWith();
      expect(await o.fetchProfile('nobody_here')).toBeUndefined();
    });

    it('writes: update_link, reorder_link, add_link, then reads the profile again', async () => {
      const o = await originWith();
      const before = await o.fetchProfile('alice');
      if (!before) throw new Error('alice missing');
      const target = before.links.find((l) => l.title === 'Blog');
      if (!target) throw new Error('Blog missing');
      const after = await o.updateLinks(
        before.id,
        [
          { id: target.id, title: 'Blog (new)', enabled: false, position: 0 },
          { title: 'Shop', url: 'https://example.org/shop' },
        ],
        'alice',
      );
      const updated = after.links.find((l) => l.id === target.id);
      expect(updated).toMatchObject({ title: 'Blog (new)', enabled: false });
      expect(after.links.find((l) => l.title === 'Shop')).toMatchObject({ url: 'https://example.org/shop', enabled: true });
      // The server's own state agrees.
      const onServer = server.control.account('alice')?.links.find((l) => String(l.id) === target.id);
      expect(onServer).toMatchObject({ title: 'Blog (new)', active: false });
      expect(server.control.calls.get('reorder_link')).toBeGreaterThanOrEqual(1);
    });

    it('finds the username from an earlier read when the caller gives only the profile id', async () => {
      const o = await originWith();
      const p = await o.fetchProfile('demo');
      if (!p) throw new Error('demo missing');
      const after = await o.updateLinks(p.id, [{ id: p.links[0].id, title: 'Portfolio 2' }]);
      expect(after.links.find((l) => l.id === p.links[0].id)?.title).toBe('Portfolio 2');
    });
  });

  describe('tokens', () => {
    it('a 401 refreshes once, and the rotated tokens are written back to the 0600 file', async () => {
      const o = await originWith();
      await o.fetchProfile('demo');
      const before = readTokens(tokensPath);
      const refreshes = server.control.refreshes();
      server.control.expireAccessTokens();
      expect(await o.fetchProfile('demo')).toBeDefined();
      expect(server.control.refreshes()).toBe(refreshes + 1);
      const after = readTokens(tokensPath);
      expect(after.refresh_token).not.toBe(before.refresh_token);
      expect(after.access_token).not.toBe(before.access_token);
      expect(statSync(tokensPath).mode & 0o777).toBe(0o600);
    });

    it('a tool UNAUTHORIZED result refreshes once and retries', async () => {
      const o = await originWith();
      const refreshes = server.control.refreshes();
      server.control.failNext('get_account', 'UNAUTHORIZED');
      expect(await o.fetchProfile('demo')).toBeDefined();
      expect(server.control.refreshes()).toBe(refreshes + 1);
    });

    it('UNAUTHORIZED again after the refresh is a 503', async () => {
      const o = await originWith();
      server.control.failNext('get_account', 'UNAUTHORIZED', 2);
      const err = await o.fetchProfile('demo').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OriginUnavailableError);
      expect((err as OriginUnavailableError).status).toBe(503);
    });
  });

  describe('error codes', () => {
    it('NOT_FOUND → not found', async () => {
      const o = await originWith();
      server.control.failNext('get_account', 'NOT_FOUND');
      expect(await o.fetchProfile('demo')).toBeUndefined();
    });

    it('RATE_LIMITED → throttling: retried with backoff, counted', async () => {
      const rec = recorder();
      const o = await originWith({ telemetry: rec.telemetry });
      server.control.failNext('get_account', 'RATE_LIMITED', 1);
      expect(await o.fetchProfile('demo')).toBeDefined();
      expect(rec.counts.get('OriginThrottled')).toBe(1);
    });

    it('RATE_LIMITED every time → origin unavailable within the bound', async () => {
      const o = await originWith();
      server.control.failNext('get_account', 'RATE_LIMITED', 10);
      await expect(o.fetchProfile('demo')).rejects.toBeInstanceOf(OriginUnavailableError);
    });

    it('RATE_LIMITED with retryAfter pauses every later call of the process', async () => {
      const o = await originWith();
      server.control.failNext('get_account', 'RATE_LIMITED', 1, { retryAfter: 60 });
      await expect(o.fetchProfile('demo')).rejects.toBeInstanceOf(OriginUnavailableError);
      const calls = server.control.calls.get('get_account');
      const err = await o.fetchProfile('demo').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OriginUnavailableError);
      expect((err as OriginUnavailableError).retryAfterS).toBeGreaterThan(30);
      expect(server.control.calls.get('get_account')).toBe(calls);
    });

    it('INVALID_INPUT → 400 to our caller', async () => {
      const o = await originWith();
      const p = await o.fetchProfile('demo');
      server.control.failNext('update_link', 'INVALID_INPUT');
      const err = await o.updateLinks(p?.id ?? '', [{ id: p?.links[0].id, title: 'x' }], 'demo').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).status).toBe(400);
    });

    it('NOT_FOUND for a link of a write → 404 LINK_NOT_FOUND', async () => {
      const o = await originWith();
      const err = await o.updateLinks('prof_demo', [{ id: '999999', title: 'x' }], 'demo').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).code).toBe('LINK_NOT_FOUND');
      expect((err as NotFoundError).status).toBe(404);
    });

    it('a URL the origin refuses is INVALID_INPUT from the server itself → 400', async () => {
      const o = await originWith();
      const err = await o.updateLinks('prof_demo', [{ title: 'x', url: 'ftp://nope.test/' }], 'demo').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
    });

    it('UPGRADE_REQUIRED → 403 UPGRADE_REQUIRED', async () => {
      const o = await originWith();
      server.control.failNext('get_links', 'UPGRADE_REQUIRED');
      const err = await o.fetchProfile('demo').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpgradeRequiredError);
      expect((err as UpgradeRequiredError).status).toBe(403);
      expect((err as UpgradeRequiredError).code).toBe('UPGRADE_REQUIRED');
    });

    it('an unknown code → origin failure at once, not retried', async () => {
      const o = await originWith();
      const calls = server.control.calls.get('get_account') ?? 0;
      server.control.failNext('get_account', 'SOMETHING_NEW', 5);
      await expect(o.fetchProfile('demo')).rejects.toBeInstanceOf(OriginUnavailableError);
      expect(server.control.calls.get('get_account')).toBe(calls + 1);
    });

    it('UPSTREAM_ERROR is retried', async () => {
      const o = await originWith();
      server.control.failNext('get_account', 'UPSTREAM_ERROR', 1);
      expect(await o.fetchProfile('demo')).toBeDefined();
    });

    it('an output of another shape → origin failure, counted as OriginShapeChanged', async () => {
      const rec = recorder();
      const o = await originWith({ telemetry: rec.telemetry });
      server.control.respondNext('get_links', { content: [{ type: 'text', text: JSON.stringify({ items: [] }) }] });
      await expect(o.fetchProfile('demo')).rejects.toBeInstanceOf(OriginUnavailableError);
      expect(rec.counts.get('OriginShapeChanged')).toBe(1);
    });

    it('the spent request budget fails fast without calling the server', async () => {
      const o = await originWith({ limiter: { take: async () => ({ allowed: false, retryAfterMs: 5_000 }) } });
      const calls = server.control.calls.get('get_account');
      await expect(o.fetchProfile('demo')).rejects.toBeInstanceOf(OriginUnavailableError);
      expect(server.control.calls.get('get_account')).toBe(calls);
    });
  });
});

describe('linktree-mcp origin when the refresh is refused', () => {
  it('is an origin failure that names npm run linktree:login', async () => {
    const server = await startLinktreeMcpServer();
    const path = join(mkdtempSync(join(tmpdir(), 'lt-mcp-')), 'tokens.json');
    try {
      await login(server, path);
      const rec = recorder();
      const o = await createLinktreeMcpOrigin(
        { url: server.url, tokens: path, userAgent: 'test', origin: config },
        allowAll,
        rec.telemetry,
      );
      server.control.expireAccessTokens();
      server.control.revokeRefreshTokens();
      const err = await o.fetchProfile('demo').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LinktreeLoginRequiredError);
      expect((err as OriginUnavailableError).status).toBe(503);
      expect(rec.warnings.join('\n')).toContain('npm run linktree:login');
      await o.close();
    } finally {
      await server.close();
    }
  });

  it('with no tokens stored, the origin fails naming the login command', async () => {
    const server = await startLinktreeMcpServer();
    try {
      const o = await createLinktreeMcpOrigin(
        { url: server.url, tokens: join(mkdtempSync(join(tmpdir(), 'lt-mcp-')), 'none.json'), userAgent: 'test', origin: config },
        allowAll,
      );
      await expect(o.fetchProfile('demo')).rejects.toBeInstanceOf(LinktreeLoginRequiredError);
      await o.close();
    } finally {
      await server.close();
    }
  });
});

describe('access tokens that expire quickly', () => {
  it('are refreshed before use, one refresh per expiry, and each rotation is stored', async () => {
    const server = await startLinktreeMcpServer({ accessTokenTtlS: 1 });
    const path = join(mkdtempSync(join(tmpdir(), 'lt-mcp-')), 'tokens.json');
    try {
      await login(server, path);
      const o = await createLinktreeMcpOrigin({ url: server.url, tokens: path, userAgent: 'test', origin: config }, allowAll);
      // A 1 s token is inside the expiry margin at once: every read refreshes first.
      await Promise.all([o.fetchProfile('demo'), o.fetchProfile('alice')]);
      expect(server.control.refreshes()).toBeGreaterThanOrEqual(1);
      const stored = readTokens(path);
      expect(await o.fetchProfile('demo')).toBeDefined();
      expect(readTokens(path).refresh_token).not.toBe(stored.refresh_token);
      await o.close();
    } finally {
      await server.close();
    }
  });
});
