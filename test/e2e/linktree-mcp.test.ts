// ORIGIN=linktree-mcp end to end: the real local stack (`npm start`) against the local MCP
// stand-in, both ways a user runs it: offline (no LINKTREE_MCP_URL: the stack starts the stand-in
// and logs in by itself), and against a server it is pointed at, with tokens from the login
// command, refreshed and rotated on disk when the server stops taking the access token.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileTokenStore } from '../../lambdas/adapters/linktree-token-store.ts';
import { type RunningMcpServer, startLinktreeMcpServer } from '../../local/linktree-mcp-server.ts';
import { linktreeLogin } from '../../tools/linktree-login.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';
import { TEST_KEY_PREFIX } from '../helpers/redis.ts';

const ownPrefix = () => `${TEST_KEY_PREFIX}mcp${randomBytes(3).toString('hex')}:`;
const admin = (stack: SpawnedStack) => ({ authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' });

describe('npm start with ORIGIN=linktree-mcp and no LINKTREE_MCP_URL (offline)', () => {
  let stack: SpawnedStack;
  let tokens: string;
  beforeAll(async () => {
    tokens = join(mkdtempSync(join(tmpdir(), 'lc-mcp-')), 'tokens.json');
    stack = await spawnStack({
      ORIGIN: 'linktree-mcp',
      LINKTREE_MCP_TOKENS: tokens,
      REDIS_KEY_PREFIX: ownPrefix(),
      WATCH_INTERVAL_S: '0',
    });
  });
  afterAll(async () => {
    expect(await stack?.stop()).toBe(0);
  });

  it('starts the stand-in, logs in by itself, and stores the tokens 0600', () => {
    expect(stack.output()).toMatch(/ORIGIN=linktree-mcp with the local MCP stand-in at http:\/\/127\.0\.0\.1:\d+\/mcp/);
    expect(statSync(tokens).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(tokens, 'utf8'))).toMatchObject({ token_type: 'Bearer' });
  });

  it('serves a profile read through get_account + get_links: enabled links only, MCP ids', async () => {
    const res = await fetch(`${stack.url}/api/profiles/demo`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ id: 'prof_demo', username: 'demo', displayName: 'Demo Creator' });
    expect(body.links.map((l: { title: string }) => l.title)).toEqual(['Portfolio', 'Print shop', 'Newsletter']);
    expect(body.links.every((l: { id: string }) => /^\d+$/.test(l.id))).toBe(true);
    expect((await fetch(`${stack.url}/api/profiles/nobody_here`)).status).toBe(404);
  });

  it('PATCH adds a link through add_link and answers the profile read again; later reads show it', async () => {
    const res = await fetch(`${stack.url}/api/profiles/alice/links`, {
      method: 'PATCH',
      headers: admin(stack),
      body: JSON.stringify({ links: [{ title: 'Added over MCP', url: 'https://example.org/mcp' }] }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.links.some((l: { title: string }) => l.title === 'Added over MCP')).toBe(true);
    const read = await (await fetch(`${stack.url}/api/profiles/alice`)).json();
    expect(read.links.some((l: { title: string }) => l.title === 'Added over MCP')).toBe(true);
  });

  it('a URL the origin refuses is a 400, and nothing changes', async () => {
    const res = await fetch(`${stack.url}/api/profiles/alice/links`, {
      method: 'PATCH',
      headers: admin(stack),
      body: JSON.stringify({ links: [{ id: 'not-a-number', title: 'x' }] }),
    });
    expect(res.status).toBe(400);
  });
});

describe('npm start with LINKTREE_MCP_URL and tokens from npm run linktree:login', () => {
  let server: RunningMcpServer;
  let stack: SpawnedStack;
  let tokens: string;
  beforeAll(async () => {
    server = await startLinktreeMcpServer();
    tokens = join(mkdtempSync(join(tmpdir(), 'lc-mcp-')), 'tokens.json');
    await linktreeLogin({
      mcpUrl: server.url,
      store: new FileTokenStore(tokens),
      timeoutMs: 10_000,
      onAuthorizeUrl: (url) => {
        void fetch(url, { redirect: 'manual' }).then((r) => fetch(r.headers.get('location') ?? ''));
      },
    });
    stack = await spawnStack({
      ORIGIN: 'linktree-mcp',
      LINKTREE_MCP_URL: server.url,
      LINKTREE_MCP_TOKENS: tokens,
      REDIS_KEY_PREFIX: ownPrefix(),
      WATCH_INTERVAL_S: '0',
    });
  });
  afterAll(async () => {
    expect(await stack?.stop()).toBe(0);
    await server?.close();
  });

  it('says where it reads and how to log in, and starts no stand-in', () => {
    expect(stack.output()).toContain(`ORIGIN=linktree-mcp at ${server.url}, tokens in ${tokens}`);
    expect(stack.output()).not.toContain('local MCP stand-in');
  });

  it('a revoked access token is refreshed once and the rotated tokens are written back', async () => {
    expect((await fetch(`${stack.url}/api/profiles/demo`)).status).toBe(200);
    const before = JSON.parse(readFileSync(tokens, 'utf8'));
    const refreshes = server.control.refreshes();
    server.control.expireAccessTokens();
    expect((await fetch(`${stack.url}/api/profiles/alice`)).status).toBe(200);
    expect(server.control.refreshes()).toBe(refreshes + 1);
    const after = JSON.parse(readFileSync(tokens, 'utf8'));
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(statSync(tokens).mode & 0o777).toBe(0o600);
  });

  it('a refused refresh with nothing cached is 503 ORIGIN_UNAVAILABLE, and the log names the login command', async () => {
    server.control.expireAccessTokens();
    server.control.revokeRefreshTokens();
    const res = await fetch(`${stack.url}/api/profiles/hostile`);
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe('ORIGIN_UNAVAILABLE');
    expect(res.headers.get('retry-after')).toBeTruthy();
  });
});
