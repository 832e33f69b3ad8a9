// A local stand-in for Linktree's MCP server (contract 3.3), built with the same SDK: streamable
// HTTP at /mcp behind OAuth 2.0 (RFC 9728 protected-resource metadata, RFC 8414 authorization
// server metadata, dynamic client registration, an /authorize that approves at once (a local
// fake), /token with PKCE S256 checked by the SDK's handler, refresh tokens rotated on every use),
// and Linktree's published tool names and parameters over the demo profiles. Output shapes are
// the ones contract 3.3 assumes. Tests steer it through `control`.
//
//   npm run linktree:mcp-server -- [--port 0] [--token-ttl 3600]
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { mcpAuthRouter, getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidGrantError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthorizationParams, OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthClientInformationFull, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import express, { type Request, type Response } from 'express';
import * as z from 'zod';
import type { Profile } from '../lambdas/core/profile.ts';
import { demoProfiles } from './demo-profiles.ts';

/** The error codes Linktree's tools answer with (`isError: true`). */
export type McpErrorCode =
  | 'PROFILE_REQUIRED'
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'UNAUTHORIZED'
  | 'RATE_LIMITED'
  | 'UPGRADE_REQUIRED'
  | 'UPSTREAM_ERROR';

interface McpLink {
  id: number;
  type: 'CLASSIC' | 'HEADER';
  title: string;
  url: string;
  position: number;
  active: boolean;
}

interface McpAccount {
  id: number;
  uuid: string;
  username: string;
  pageTitle: string;
  description: string;
  profilePictureUrl: string;
  updatedAt: number;
  theme: Record<string, unknown>;
  links: McpLink[];
}

export interface McpServerOptions {
  port?: number;
  host?: string;
  /** Access-token lifetime, seconds (short in tests, to force refreshes). */
  accessTokenTtlS?: number;
  profiles?: Profile[];
}

/** What tests steer: forced tool errors, revoked tokens, counters. */
export interface McpServerControl {
  /** The next `times` calls of `tool` (or of every tool, `*`) answer `code`. */
  failNext(tool: string, code: McpErrorCode | string, times?: number, extra?: Record<string, unknown>): void;
  /** Forgets every forced answer not used yet. */
  clearForced(): void;
  /** The next call of `tool` answers `result` as is (an output of another shape). */
  respondNext(tool: string, result: CallToolResult): void;
  /** Every access token stops working (the next request gets 401). */
  expireAccessTokens(): void;
  /** Every refresh token is refused from now on (invalid_grant). */
  revokeRefreshTokens(): void;
  /** Tool calls answered so far, by tool name. */
  readonly calls: Map<string, number>;
  /** Refresh-token grants answered so far. */
  readonly refreshes: () => number;
  /** Access tokens checked: accepted vs refused (401). */
  readonly unauthorized: () => number;
  /** The account as the tools see it now. */
  account(username: string): McpAccount | undefined;
}

export interface RunningMcpServer {
  /** The MCP endpoint (`.../mcp`): what LINKTREE_MCP_URL names. */
  url: string;
  baseUrl: string;
  control: McpServerControl;
  close(): Promise<void>;
}

const toAccount = (p: Profile, index: number, nextLinkId: () => number): McpAccount => ({
  id: 1000 + index,
  uuid: p.id,
  username: p.username,
  pageTitle: p.displayName,
  description: p.bio,
  profilePictureUrl: p.avatarUrl,
  updatedAt: Date.parse(p.lastModified),
  theme: p.theme,
  links: [...p.links]
    .sort((a, b) => a.position - b.position)
    .map((l, i) => ({
      id: nextLinkId(),
      type: l.type === 'header' ? 'HEADER' : 'CLASSIC',
      title: l.title,
      url: l.url,
      position: i,
      active: l.enabled,
    })),
});

const isHttp = (raw: string): boolean => {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

const fail = (code: string, message: string, extra: Record<string, unknown> = {}): CallToolResult => ({
  isError: true,
  content: [{ type: 'text', text: JSON.stringify({ code, message, ...extra }) }],
});

/** Success: get_account answers in structuredContent (and text), the others in text only, as both occur. */
const ok = (value: Record<string, unknown>, structured = false): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value) }],
  ...(structured ? { structuredContent: value } : {}),
});

class LocalAuthProvider implements OAuthServerProvider {
  readonly #clients = new Map<string, OAuthClientInformationFull>();
  readonly #codes = new Map<string, { clientId: string; challenge: string; redirectUri: string; resource?: string }>();
  readonly #access = new Map<string, { clientId: string; expiresAt: number; resource?: string }>();
  readonly #refresh = new Map<string, { clientId: string; resource?: string }>();
  readonly ttlS: number;
  refreshCount = 0;
  refused = 0;
  refreshRevoked = false;

  constructor(ttlS: number) {
    this.ttlS = ttlS;
  }

  get clientsStore(): OAuthRegisteredClientsStore {
    return {
      getClient: (id) => this.#clients.get(id),
      registerClient: (client) => {
        const full = client as OAuthClientInformationFull;
        this.#clients.set(full.client_id, full);
        return full;
      },
    };
  }

  /** Approves at once: this is a local fake, there is no one to ask. */
  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response): Promise<void> {
    const code = randomBytes(16).toString('hex');
    this.#codes.set(code, {
      clientId: client.client_id,
      challenge: params.codeChallenge,
      redirectUri: params.redirectUri,
      resource: params.resource?.href,
    });
    const target = new URL(params.redirectUri);
    target.searchParams.set('code', code);
    if (params.state !== undefined) target.searchParams.set('state', params.state);
    res.redirect(302, target.href);
  }

  async challengeForAuthorizationCode(client: OAuthClientInformationFull, code: string): Promise<string> {
    const c = this.#codes.get(code);
    if (!c || c.clientId !== client.client_id) throw new InvalidGrantError('unknown authorization code');
    return c.challenge;
  }

  async exchangeAuthorizationCode(
    client: OAuthClientInformationFull,
    code: string,
    _verifier?: string,
    redirectUri?: string,
  ): Promise<OAuthTokens> {
    const c = this.#codes.get(code);
    if (!c || c.clientId !== client.client_id) throw new InvalidGrantError('unknown authorization code');
    if (redirectUri !== undefined && redirectUri !== c.redirectUri) throw new InvalidGrantError('redirect_uri does not match');
    this.#codes.delete(code);
    return this.#issue(client.client_id, c.resource);
  }

  async exchangeRefreshToken(client: OAuthClientInformationFull, refreshToken: string): Promise<OAuthTokens> {
    const r = this.#refresh.get(refreshToken);
    if (this.refreshRevoked || !r || r.clientId !== client.client_id) throw new InvalidGrantError('refresh token is not valid');
    // Rotation: a refresh token is good for one use.
    this.#refresh.delete(refreshToken);
    this.refreshCount++;
    return this.#issue(client.client_id, r.resource);
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const a = this.#access.get(token);
    if (!a || a.expiresAt <= Date.now() / 1000) {
      this.refused++;
      throw new InvalidTokenError('access token is not valid');
    }
    return {
      token,
      clientId: a.clientId,
      scopes: [],
      expiresAt: a.expiresAt,
      ...(a.resource ? { resource: new URL(a.resource) } : {}),
    };
  }

  expireAll(): void {
    this.#access.clear();
  }

  #issue(clientId: string, resource?: string): OAuthTokens {
    const access = `at_${randomBytes(16).toString('hex')}`;
    const refresh = `rt_${randomBytes(16).toString('hex')}`;
    this.#access.set(access, { clientId, expiresAt: Math.floor(Date.now() / 1000) + this.ttlS, resource });
    this.#refresh.set(refresh, { clientId, resource });
    return { access_token: access, token_type: 'Bearer', expires_in: this.ttlS, refresh_token: refresh };
  }
}

export const startLinktreeMcpServer = async (options: McpServerOptions = {}): Promise<RunningMcpServer> => {
  const host = options.host ?? '127.0.0.1';
  let linkIds = 1;
  const accounts = new Map<string, McpAccount>();
  (options.profiles ?? demoProfiles()).forEach((p, i) => {
    accounts.set(
      p.username.toLowerCase(),
      toAccount(p, i, () => linkIds++),
    );
  });
  const auth = new LocalAuthProvider(options.accessTokenTtlS ?? 3600);
  const calls = new Map<string, number>();
  const forced: { tool: string; times: number; result: CallToolResult }[] = [];
  let activeProfile: string | undefined;

  const control: McpServerControl = {
    clearForced: () => {
      forced.length = 0;
    },
    failNext: (tool, code, times = 1, extra = {}) => {
      if (times > 0) forced.push({ tool, times, result: fail(code, `forced ${code}`, extra) });
    },
    respondNext: (tool, result) => {
      forced.push({ tool, times: 1, result });
    },
    expireAccessTokens: () => auth.expireAll(),
    revokeRefreshTokens: () => {
      auth.refreshRevoked = true;
    },
    calls,
    refreshes: () => auth.refreshCount,
    unauthorized: () => auth.refused,
    account: (username) => accounts.get(username.toLowerCase()),
  };

  const forcedFor = (tool: string): CallToolResult | undefined => {
    const i = forced.findIndex((f) => f.tool === tool || f.tool === '*');
    if (i < 0) return undefined;
    const f = forced[i];
    if (--f.times <= 0) forced.splice(i, 1);
    return f.result;
  };

  const profileArgs = { username: z.string().optional(), profileUrl: z.string().optional() };
  type ProfileArgs = { username?: string; profileUrl?: string };
  /** The account a profile tool addresses (`username`, `profileUrl`, else the active profile). */
  const resolve = (args: ProfileArgs): McpAccount | CallToolResult => {
    let name = args.username ?? activeProfile;
    if (args.profileUrl) {
      try {
        name = new URL(args.profileUrl).pathname.split('/').filter(Boolean)[0];
      } catch {
        return fail('INVALID_INPUT', 'profileUrl is not a URL');
      }
    }
    if (!name) return fail('PROFILE_REQUIRED', 'Pass username or profileUrl, or call set_active_profile first.');
    return accounts.get(name.toLowerCase()) ?? fail('NOT_FOUND', `No accessible profile "${name}".`);
  };
  const isResult = (v: McpAccount | CallToolResult): v is CallToolResult => 'content' in v;
  const touch = (a: McpAccount) => {
    a.updatedAt = Date.now();
  };
  const renumber = (a: McpAccount) => {
    a.links
      .sort((x, y) => x.position - y.position)
      .forEach((l, i) => {
        l.position = i;
      });
  };

  const buildServer = (): McpServer => {
    const server = new McpServer({ name: 'linktree-local', version: '0.1.0' });
    const tool = <A extends z.ZodRawShape>(
      name: string,
      description: string,
      inputSchema: A,
      run: (args: z.infer<z.ZodObject<A>>) => CallToolResult,
    ) => {
      server.registerTool(name, { description, inputSchema }, (async (args: z.infer<z.ZodObject<A>>) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return forcedFor(name) ?? run(args);
      }) as never);
    };

    tool('list_accessible_profiles', 'Profiles this authorization may manage.', {}, () =>
      ok({ profiles: [...accounts.values()].map((a) => ({ username: a.username, uuid: a.uuid })) }),
    );
    tool('set_active_profile', 'The profile later calls address by default.', profileArgs, (args) => {
      const a = resolve(args);
      if (isResult(a)) return a;
      activeProfile = a.username;
      return ok({ username: a.username });
    });
    tool('get_account', 'Display name, bio, avatar and username of a profile.', profileArgs, (args) => {
      const a = resolve(args);
      if (isResult(a)) return a;
      const { links: _links, ...account } = a;
      return ok(account, true);
    });
    tool('get_links', "A profile's links.", profileArgs, (args) => {
      const a = resolve(args);
      if (isResult(a)) return a;
      return ok({ links: [...a.links].sort((x, y) => x.position - y.position) });
    });
    tool('add_link', 'Adds a link at the top.', { ...profileArgs, url: z.string(), title: z.string().optional() }, (args) => {
      const a = resolve(args);
      if (isResult(a)) return a;
      if (!isHttp(args.url)) return fail('INVALID_INPUT', 'url must be an http(s) URL');
      const link: McpLink = {
        id: linkIds++,
        type: 'CLASSIC',
        title: args.title ?? '',
        url: args.url,
        position: -1,
        active: true,
      };
      a.links.push(link);
      renumber(a);
      touch(a);
      return ok({ link });
    });
    tool(
      'update_link',
      'Changes a link.',
      {
        ...profileArgs,
        id: z.number(),
        title: z.string().optional(),
        url: z.string().optional(),
        active: z.boolean().optional(),
      },
      (args) => {
        const a = resolve(args);
        if (isResult(a)) return a;
        const link = a.links.find((l) => l.id === args.id);
        if (!link) return fail('NOT_FOUND', `No link ${args.id}.`);
        if (args.url !== undefined && !isHttp(args.url)) return fail('INVALID_INPUT', 'url must be an http(s) URL');
        if (args.title !== undefined) link.title = args.title;
        if (args.url !== undefined) link.url = args.url;
        if (args.active !== undefined) link.active = args.active;
        touch(a);
        return ok({ link });
      },
    );
    tool(
      'reorder_link',
      'Moves a link: to a position, or one up or down.',
      {
        ...profileArgs,
        id: z.number(),
        to: z.number().int().min(0).optional(),
        up: z.boolean().optional(),
        down: z.boolean().optional(),
      },
      (args) => {
        const a = resolve(args);
        if (isResult(a)) return a;
        const link = a.links.find((l) => l.id === args.id);
        if (!link) return fail('NOT_FOUND', `No link ${args.id}.`);
        const given = [args.to !== undefined, args.up === true, args.down === true].filter(Boolean).length;
        if (given !== 1) return fail('INVALID_INPUT', 'Pass exactly one of to, up, down.');
        renumber(a);
        const from = link.position;
        const to = Math.min(a.links.length - 1, args.to ?? (args.up ? from - 1 : from + 1));
        const rest = a.links.filter((l) => l !== link);
        rest.splice(Math.max(0, to), 0, link);
        rest.forEach((l, i) => {
          l.position = i;
        });
        a.links = rest;
        touch(a);
        return ok({ link });
      },
    );
    tool('delete_link', 'Deletes a link.', { ...profileArgs, id: z.number() }, (args) => {
      const a = resolve(args);
      if (isResult(a)) return a;
      const before = a.links.length;
      a.links = a.links.filter((l) => l.id !== args.id);
      if (a.links.length === before) return fail('NOT_FOUND', `No link ${args.id}.`);
      renumber(a);
      touch(a);
      return ok({ deleted: args.id });
    });
    tool(
      'get_account_analytics',
      'Views and clicks over a date range (paid plans).',
      { ...profileArgs, startDate: z.string(), endDate: z.string() },
      () => fail('UPGRADE_REQUIRED', 'Analytics need a paid plan.'),
    );
    return server;
  };

  const http: Server = createServer();
  await new Promise<void>((done) => http.listen(options.port ?? 0, host, done));
  const port = (http.address() as AddressInfo).port;
  const baseUrl = `http://${host}:${port}`;
  const mcpUrl = new URL('/mcp', baseUrl);

  const app = express();
  app.disable('x-powered-by');
  app.use(
    mcpAuthRouter({
      provider: auth,
      issuerUrl: new URL(baseUrl),
      resourceServerUrl: mcpUrl,
      resourceName: 'Linktree (local stand-in)',
      scopesSupported: [
        'mcp:get_account',
        'mcp:get_links',
        'mcp:update_link',
        'mcp:add_link',
        'mcp:reorder_link',
        'mcp:delete_link',
      ],
      authorizationOptions: { rateLimit: false },
      clientRegistrationOptions: { rateLimit: false },
      tokenOptions: { rateLimit: false },
      revocationOptions: { rateLimit: false },
    }),
  );
  const bearer = requireBearerAuth({ verifier: auth, resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl) });
  // Stateless: a server and transport per request, so nothing is kept between calls but the data.
  app.all('/mcp', bearer, express.json({ limit: '1mb' }), async (req: Request, res: Response) => {
    const server = buildServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      if (!res.headersSent) res.status(500).json({ error: String(err) });
    }
  });
  // A plain endpoint, for the bench's bare-HTTP baseline against this same server.
  app.get('/ping', (_req: Request, res: Response) => {
    res.json({ ok: true, id: randomUUID() });
  });
  http.on('request', app);

  return {
    url: mcpUrl.href,
    baseUrl,
    control,
    close: () =>
      new Promise<void>((done) => {
        http.closeAllConnections();
        http.close(() => done());
      }),
  };
};

if (import.meta.main) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '0' }, 'token-ttl': { type: 'string', default: '3600' } },
  });
  const running = await startLinktreeMcpServer({ port: Number(values.port), accessTokenTtlS: Number(values['token-ttl']) });
  console.log(`linktree MCP stand-in ready at ${running.url}`);
  console.log(`log in with: LINKTREE_MCP_URL=${running.url} npm run linktree:login`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
