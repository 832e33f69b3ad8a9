// `npm run linktree:login`: the one-time OAuth authorization of Linktree's MCP server (contract
// 3.3). Authorization code with PKCE (S256) on a loopback redirect: discovery through the 401's
// protected-resource metadata (RFC 9728) to the authorization server's metadata, dynamic client
// registration unless a client id is given, the authorize URL printed (nothing is opened), the
// code taken at http://127.0.0.1:<free port>/callback, exchanged, and the tokens stored where
// LINKTREE_MCP_TOKENS says (a 0600 file, or a Secrets Manager ARN with AWS credentials).
//
//   npm run linktree:login [-- --url <MCP URL>] [--tokens <file or ARN>] [--client-id <id>]
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import {
  auth,
  extractResourceMetadataUrl,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { tokenStoreFor } from '../lambdas/adapters/linktree-token-store.ts';
import { type StoredTokens, type TokenStore, toStoredTokens } from '../lambdas/core/linktree-tokens.ts';

export interface LoginOptions {
  /** The MCP endpoint (LINKTREE_MCP_URL). */
  mcpUrl: string;
  store: TokenStore;
  /** Called with the URL the operator opens in a browser. */
  onAuthorizeUrl: (url: URL) => void;
  /** A client id registered beforehand; without it, dynamic client registration. */
  clientId?: string;
  /** How long to wait for the browser to come back. */
  timeoutMs?: number;
  scope?: string;
}

/** Runs the whole flow; resolves to the stored tokens once they are written. */
export const linktreeLogin = async (opts: LoginOptions): Promise<StoredTokens> => {
  const state = randomBytes(16).toString('base64url');
  let resolveCode: (code: string) => void = () => {};
  let rejectCode: (err: Error) => void = () => {};
  const code = new Promise<string>((res, rej) => {
    resolveCode = res;
    rejectCode = rej;
  });
  const callback = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const error = url.searchParams.get('error');
    const got = url.searchParams.get('code');
    if (url.searchParams.get('state') !== state) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('State mismatch: start `npm run linktree:login` again.');
      return;
    }
    if (error || !got) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`Authorization failed: ${error ?? 'no code'}.`);
      rejectCode(
        new Error(`authorization failed: ${error ?? 'no code'} ${url.searchParams.get('error_description') ?? ''}`.trim()),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Authorized. You can close this tab.');
    resolveCode(got);
  });
  await new Promise<void>((done) => callback.listen(0, '127.0.0.1', done));
  const redirectUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;

  let client: OAuthClientInformationMixed | undefined = opts.clientId ? { client_id: opts.clientId } : undefined;
  let verifier = '';
  let tokens: OAuthTokens | undefined;
  let discovery: OAuthDiscoveryState | undefined;
  const clientMetadata: OAuthClientMetadata = {
    client_name: 'linkcache',
    redirect_uris: [redirectUrl],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...(opts.scope ? { scope: opts.scope } : {}),
  };
  const provider: OAuthClientProvider = {
    redirectUrl,
    clientMetadata,
    state: () => state,
    clientInformation: () => client,
    saveClientInformation: (info) => {
      client = info;
    },
    tokens: () => tokens,
    saveTokens: (t) => {
      tokens = t;
    },
    redirectToAuthorization: (url) => opts.onAuthorizeUrl(url),
    saveCodeVerifier: (v) => {
      verifier = v;
    },
    codeVerifier: () => verifier,
    saveDiscoveryState: (s) => {
      discovery = s;
    },
    discoveryState: () => discovery,
  };

  const timer = setTimeout(
    () => rejectCode(new Error('timed out waiting for the authorization callback')),
    opts.timeoutMs ?? 300_000,
  );
  try {
    // An unauthenticated call: its 401 challenge names the protected-resource metadata.
    const probe = await fetch(opts.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'ping' }),
      signal: AbortSignal.timeout(15_000),
    });
    const resourceMetadataUrl = probe.status === 401 ? extractResourceMetadataUrl(probe) : undefined;
    await probe.body?.cancel();
    const first = await auth(provider, { serverUrl: opts.mcpUrl, resourceMetadataUrl });
    if (first !== 'REDIRECT') throw new Error(`expected to be sent to the authorization page, got ${first}`);
    const authorizationCode = await code;
    const second = await auth(provider, { serverUrl: opts.mcpUrl, resourceMetadataUrl, authorizationCode });
    if (second !== 'AUTHORIZED' || !tokens) throw new Error('the authorization server issued no tokens');
  } finally {
    clearTimeout(timer);
    callback.closeAllConnections();
    callback.close();
  }
  const tokenEndpoint = discovery?.authorizationServerMetadata?.token_endpoint;
  const stored = toStoredTokens(tokens, Date.now(), {
    client_id: client?.client_id,
    ...(tokenEndpoint ? { token_endpoint: tokenEndpoint } : {}),
  });
  await opts.store.write(stored);
  return stored;
};

if (import.meta.main) {
  const { config } = await import('../lambdas/config/config.ts');
  const c = config();
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: c.LINKTREE_MCP_URL },
      tokens: { type: 'string', default: c.LINKTREE_MCP_TOKENS },
      'client-id': { type: 'string' },
      scope: { type: 'string' },
    },
  });
  const url = values.url as string;
  const store = await tokenStoreFor(values.tokens as string);
  console.log(`Authorizing linkcache at ${url}`);
  try {
    await linktreeLogin({
      mcpUrl: url,
      store,
      clientId: values['client-id'],
      scope: values.scope,
      onAuthorizeUrl: (u) => {
        console.log('\nOpen this URL in a browser and approve access:\n');
        console.log(`  ${u.href}\n`);
        console.log('Waiting for the redirect back to this machine (5 minutes)...');
      },
    });
    console.log(`Tokens stored in ${store.location}`);
    process.exit(0);
  } catch (err) {
    console.error(`Login failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
