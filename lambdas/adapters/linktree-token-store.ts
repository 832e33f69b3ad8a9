// Where the MCP OAuth tokens live (contract 3.3): a mode-0600 JSON file locally, a Secrets Manager
// secret in AWS (when LINKTREE_MCP_TOKENS is an ARN); and the keeper that hands out the access
// token, refreshing it at most once at a time per process and writing the rotated tokens back.
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MetricNames } from '../contracts/metrics.ts';
import { parseStoredTokens, type StoredTokens, type TokenStore, toStoredTokens } from '../core/linktree-tokens.ts';
import { noTelemetry, type Telemetry } from '../core/ports.ts';
import { OriginUnavailableError } from '../shared/errors.ts';

export const LOGIN_COMMAND = 'npm run linktree:login';

export const isSecretArn = (location: string): boolean => /^arn:aws[\w-]*:secretsmanager:/.test(location);

export class FileTokenStore implements TokenStore {
  readonly location: string;
  constructor(path: string) {
    this.location = path;
  }

  async read(): Promise<StoredTokens | undefined> {
    let text: string;
    try {
      text = await readFile(this.location, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return parseStoredTokens(text);
  }

  /** Atomic: a reader sees the old file or the new one, never half of one, and never a wider mode. */
  async write(tokens: StoredTokens): Promise<void> {
    await mkdir(dirname(this.location), { recursive: true });
    const tmp = `${this.location}.${process.pid}.${randomUUID()}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(tokens, null, 2)}\n`, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      // The umask cannot widen it, but a pre-set mode on an old file could: set it explicitly.
      await chmod(tmp, 0o600);
      await rename(tmp, this.location);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

export class SecretsManagerTokenStore implements TokenStore {
  readonly location: string;
  readonly #client: SecretsManagerClient;
  constructor(arn: string, client: SecretsManagerClient) {
    this.location = arn;
    this.#client = client;
  }

  async read(): Promise<StoredTokens | undefined> {
    const res = await this.#client.send(new GetSecretValueCommand({ SecretId: this.location }));
    return parseStoredTokens(res.SecretString);
  }

  async write(tokens: StoredTokens): Promise<void> {
    await this.#client.send(new PutSecretValueCommand({ SecretId: this.location, SecretString: JSON.stringify(tokens) }));
  }
}

/** The store LINKTREE_MCP_TOKENS names; the Secrets Manager client is only made for an ARN. */
export const tokenStoreFor = async (location: string, region?: string): Promise<TokenStore> => {
  if (!isSecretArn(location)) return new FileTokenStore(location);
  const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  // The secret's own region, whatever the process's default.
  const arnRegion = location.split(':')[3];
  return new SecretsManagerTokenStore(location, new SecretsManagerClient({ region: arnRegion || region, maxAttempts: 2 }));
};

/** The refresh token was refused (revoked, expired, or rotated elsewhere): only a new login helps. */
export class LinktreeLoginRequiredError extends OriginUnavailableError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      `Linktree's MCP server needs a new authorization (${detail}); the operator must run \`${LOGIN_COMMAND}\`.`,
      60,
      options,
    );
  }
}

export interface TokenKeeperDeps {
  store: TokenStore;
  /** Finds the token endpoint when the stored tokens do not name it (discovery from the MCP URL). */
  discoverTokenEndpoint: () => Promise<string>;
  timeoutMs: number;
  telemetry?: Telemetry;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Seconds before expiry at which a token counts as expired, so it does not lapse in flight. */
const EXPIRY_MARGIN_S = 30;

export class TokenKeeper {
  readonly #deps: Required<TokenKeeperDeps>;
  #tokens: StoredTokens | undefined;
  #refreshing: Promise<StoredTokens> | undefined;

  constructor(deps: TokenKeeperDeps) {
    this.#deps = { telemetry: noTelemetry, fetch: globalThis.fetch, now: Date.now, ...deps };
  }

  /** A current access token: the stored one, or a refreshed one when it is (nearly) expired. */
  async accessToken(): Promise<string> {
    const tokens = await this.#current();
    if (tokens.expires_at - EXPIRY_MARGIN_S > this.#deps.now() / 1000) return tokens.access_token;
    return (await this.refresh(tokens.access_token)).access_token;
  }

  /**
   * Refreshes unless someone already replaced `staleAccessToken`; concurrent callers share one
   * refresh (a rotated refresh token is good for one use only).
   */
  async refresh(staleAccessToken?: string): Promise<StoredTokens> {
    if (this.#refreshing) return this.#refreshing;
    if (staleAccessToken && this.#tokens && this.#tokens.access_token !== staleAccessToken) return this.#tokens;
    this.#refreshing = this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #current(): Promise<StoredTokens> {
    if (this.#tokens) return this.#tokens;
    let stored: StoredTokens | undefined;
    try {
      stored = await this.#deps.store.read();
    } catch (err) {
      throw new OriginUnavailableError(`The Linktree tokens at ${this.#deps.store.location} cannot be read.`, 30, { cause: err });
    }
    if (!stored) {
      this.#deps.telemetry.warn(`linktree-mcp: no tokens at ${this.#deps.store.location}; run \`${LOGIN_COMMAND}\``);
      throw new LinktreeLoginRequiredError(`no tokens stored at ${this.#deps.store.location}`);
    }
    this.#tokens = stored;
    return stored;
  }

  async #refresh(): Promise<StoredTokens> {
    const held = await this.#current();
    try {
      return await this.#exchange(held);
    } catch (err) {
      if (!(err instanceof LinktreeLoginRequiredError)) throw err;
      // Another container may have rotated the refresh token: take what the store has now.
      const now = await this.#deps.store.read().catch(() => undefined);
      if (now && now.refresh_token !== held.refresh_token) {
        this.#tokens = now;
        if (now.expires_at - EXPIRY_MARGIN_S > this.#deps.now() / 1000) return now;
        return this.#exchange(now);
      }
      throw err;
    }
  }

  async #exchange(held: StoredTokens): Promise<StoredTokens> {
    const { telemetry, store } = this.#deps;
    const endpoint = held.token_endpoint ?? (await this.#deps.discoverTokenEndpoint());
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: held.refresh_token });
    if (held.client_id) body.set('client_id', held.client_id);
    let res: Response;
    try {
      res = await this.#deps.fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.#deps.timeoutMs),
      });
    } catch (err) {
      telemetry.count(MetricNames.OriginErrors);
      throw new OriginUnavailableError("Linktree's token endpoint did not answer.", 10, { cause: err });
    }
    const json = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!res.ok) {
      const code = typeof json?.error === 'string' ? json.error : `HTTP ${res.status}`;
      if (code === 'invalid_grant' || code === 'invalid_client' || code === 'unauthorized_client') {
        telemetry.warn(
          `linktree-mcp: the token refresh was refused (${code}); run \`${LOGIN_COMMAND}\` to authorize again (tokens at ${store.location})`,
        );
        throw new LinktreeLoginRequiredError(`refresh refused: ${code}`);
      }
      throw new OriginUnavailableError(`Linktree's token endpoint refused the refresh (${code}).`, 30);
    }
    if (!json || typeof json.access_token !== 'string') {
      throw new OriginUnavailableError("Linktree's token endpoint answered without an access token.", 30);
    }
    const next = toStoredTokens(
      {
        access_token: json.access_token,
        refresh_token: typeof json.refresh_token === 'string' ? json.refresh_token : undefined,
        token_type: typeof json.token_type === 'string' ? json.token_type : undefined,
        expires_in: typeof json.expires_in === 'number' ? json.expires_in : undefined,
      },
      this.#deps.now(),
      { client_id: held.client_id, token_endpoint: endpoint, previousRefreshToken: held.refresh_token },
    );
    this.#tokens = next;
    try {
      await store.write(next);
    } catch (err) {
      // Kept in memory for this process; the next refresh elsewhere would need a new login.
      telemetry.warn(`linktree-mcp: rotated tokens could not be written back to ${store.location}`, {
        error: err instanceof Error ? err.message : String(err),
      });
    }
    return next;
  }
}
