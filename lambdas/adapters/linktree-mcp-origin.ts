// Linktree's MCP server as the profile origin (contract 3.3): the official SDK client over
// streamable HTTP, one session per container (opened lazily, reopened after a transport failure),
// the OAuth bearer from the token keeper (a 401 refreshes once and retries). Every tool call goes
// through the same token bucket, per-attempt time-out, retries and total time bound as the HTTP
// origin. Loaded only through a dynamic import in the `linktree-mcp` branch of the wiring, so the
// SDK stays out of every bundle that does not use it.
import { discoverOAuthServerInfo } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import * as z from 'zod/mini';
import { MetricNames } from '../contracts/metrics.ts';
import { mapLinktreeProfile } from '../core/linktree-mapping.ts';
import { noTelemetry, type ProfileOrigin, type RateLimiter, type Telemetry } from '../core/ports.ts';
import type { LinkUpdate, Profile } from '../core/profile.ts';
import { type Attempt, type Clock, RetriesExhaustedError, realClock, withRetries } from '../core/retry.ts';
import type { OriginConfig } from '../core/settings.ts';
import {
  type AppError,
  NotFoundError,
  OriginShapeError,
  OriginUnavailableError,
  ProfileNotFoundError,
  UpgradeRequiredError,
  ValidationError,
} from '../shared/errors.ts';
import { MAX_RETRY_AFTER_MS } from './http-origin.ts';
import { LinktreeLoginRequiredError, TokenKeeper, tokenStoreFor } from './linktree-token-store.ts';

export interface McpOriginDeps {
  /** LINKTREE_MCP_URL. */
  url: string;
  /** Time-outs, retries and the total time bound, as for the HTTP origin. */
  config: OriginConfig;
  tokens: TokenKeeper;
  limiter: RateLimiter;
  userAgent: string;
  telemetry?: Telemetry;
  clock?: Clock;
  fetch?: typeof fetch;
}

/** A tool result as the SDK returns it, read loosely: Linktree publishes no output shapes. */
export interface ToolResult {
  isError?: boolean;
  structuredContent?: unknown;
  content?: unknown;
}

/** The result's payload: `structuredContent`, else its first text content as JSON; undefined when neither. */
export const toolPayload = (result: ToolResult): unknown => {
  if (result.structuredContent !== undefined && result.structuredContent !== null) return result.structuredContent;
  const first = Array.isArray(result.content)
    ? (result.content as { type?: unknown; text?: unknown }[]).find((c) => c?.type === 'text')
    : undefined;
  if (typeof first?.text !== 'string') return undefined;
  try {
    return JSON.parse(first.text);
  } catch {
    return undefined;
  }
};

/** The error code of an `isError` result (`code` in the payload), or undefined when it names none. */
export const toolErrorCode = (result: ToolResult): string | undefined => {
  const p = toolPayload(result) as { code?: unknown; error?: { code?: unknown } } | undefined;
  const code = p?.code ?? p?.error?.code;
  return typeof code === 'string' ? code : undefined;
};

const toolErrorMessage = (result: ToolResult): string => {
  const p = toolPayload(result) as { message?: unknown; error?: { message?: unknown } } | undefined;
  const m = p?.message ?? p?.error?.message;
  return typeof m === 'string' ? m.slice(0, 300) : '';
};

/** The assumed get_links output: `{links: [{id (number), type, title, url, position, active}]}`. */
export const mcpLinksSchema = z.object({
  links: z.array(
    z.object({
      id: z.number(),
      type: z.nullish(z.string()),
      title: z.nullish(z.string()),
      url: z.nullish(z.string()),
      position: z.nullish(z.number()),
      active: z.nullish(z.boolean()),
    }),
  ),
});

/** The assumed get_account output: the account object of 3.2 (a username, an id or uuid). */
export const mcpAccountSchema = z.looseObject({
  id: z.nullish(z.union([z.number(), z.string()])),
  uuid: z.nullish(z.string()),
  username: z.string().check(z.minLength(1)),
});

/** get_account + get_links payloads → Profile, or OriginShapeError. */
export const mapMcpProfile = (account: unknown, links: unknown): Profile => {
  const a = mcpAccountSchema.safeParse(account);
  if (!a.success) throw new OriginShapeError('get_account did not return an account object with a username', { cause: a.error });
  const l = mcpLinksSchema.safeParse(links);
  if (!l.success) throw new OriginShapeError('get_links did not return {links: [{id: number, ...}]}', { cause: l.error });
  return mapLinktreeProfile({ account: a.data, links: l.data.links });
};

class BudgetSpent extends Error {}
class OriginPaused extends Error {}
/** A tool answered with an error that ends the call: thrown as is after the retry loop. */
class Final extends Error {
  readonly error: AppError;
  constructor(error: AppError) {
    super(error.message);
    this.error = error;
  }
}

type CallOutcome = { kind: 'ok'; payload: unknown } | { kind: 'not-found' };

const VERSION = '0.1.0';

export class LinktreeMcpOrigin implements ProfileOrigin {
  readonly #deps: Required<McpOriginDeps>;
  #client: Promise<Client> | undefined;
  #pausedUntil = 0;
  #lastOkAt = 0;
  #lastFailure: { at: number; detail: string } | undefined;
  /** Profile id → username, from this process's reads: the tools take usernames. */
  readonly #usernames = new Map<string, string>();

  constructor(deps: McpOriginDeps) {
    this.#deps = { telemetry: noTelemetry, clock: realClock, fetch: globalThis.fetch, ...deps };
  }

  async fetchProfile(username: string): Promise<Profile | undefined> {
    const account = await this.#call('get_account', { username });
    if (account.kind === 'not-found') return undefined;
    const links = await this.#call('get_links', { username });
    if (links.kind === 'not-found') return undefined;
    let profile: Profile;
    try {
      profile = mapMcpProfile(account.payload, links.payload);
    } catch (err) {
      if (err instanceof OriginShapeError) {
        this.#deps.telemetry.count(MetricNames.OriginShapeChanged);
        this.#deps.telemetry.warn(`linktree-mcp: ${err.detail}`);
      }
      throw err;
    }
    this.#usernames.set(profile.id, profile.username);
    return profile;
  }

  async updateLinks(profileId: string, links: LinkUpdate[], username?: string): Promise<Profile> {
    const name = username ?? this.#usernames.get(profileId);
    if (!name) throw new ProfileNotFoundError(profileId);
    for (const link of links) {
      if (link.id !== undefined) {
        const id = Number(link.id);
        if (!Number.isSafeInteger(id))
          throw new ValidationError(`Link id "${link.id.slice(0, 64)}" is not one of this origin's (numeric) ids.`);
        const fields = {
          ...(link.title === undefined ? {} : { title: link.title }),
          ...(link.url === undefined ? {} : { url: link.url }),
          ...(link.enabled === undefined ? {} : { active: link.enabled }),
        };
        const missing = () => new NotFoundError(`Profile "${name}" has no link "${link.id}" at the origin.`, 'LINK_NOT_FOUND');
        if (Object.keys(fields).length > 0) await this.#write('update_link', { id, ...fields, username: name }, missing);
        if (link.position !== undefined) await this.#write('reorder_link', { id, to: link.position, username: name }, missing);
      } else {
        if (link.url === undefined) throw new ValidationError('A new link (one without id) needs a url.');
        await this.#write(
          'add_link',
          { url: link.url, ...(link.title === undefined ? {} : { title: link.title }), username: name },
          () => new ProfileNotFoundError(name),
        );
      }
    }
    const profile = await this.fetchProfile(name);
    if (!profile) throw new ProfileNotFoundError(name);
    return profile;
  }

  /** The origin's state as last seen by this process. */
  health(): { status: 'up' | 'down'; detail?: string } {
    if (this.#lastFailure && this.#lastFailure.at > this.#lastOkAt) return { status: 'down', detail: this.#lastFailure.detail };
    return { status: 'up', ...(this.#lastOkAt ? {} : { detail: 'not called yet' }) };
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await (await client?.catch(() => undefined))?.close().catch(() => {});
  }

  /** A write; NOT_FOUND names what was not found (the link for update/reorder, else the profile). */
  async #write(tool: string, args: Record<string, unknown>, notFound: () => AppError): Promise<void> {
    const res = await this.#call(tool, args);
    if (res.kind === 'not-found') throw notFound();
  }

  /** An authenticated fetch for the transport: the bearer on every request, one refresh on a 401. */
  #authFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const { tokens, userAgent } = this.#deps;
    const send = (token: string) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      headers.set('user-agent', userAgent);
      return this.#deps.fetch(input, { ...init, headers });
    };
    const token = await tokens.accessToken();
    const res = await send(token);
    if (res.status !== 401) return res;
    await res.body?.cancel();
    const fresh = await tokens.refresh(token);
    return send(fresh.access_token);
  };

  #connect(timeoutMs: number): Promise<Client> {
    if (!this.#client) {
      const opening = (async () => {
        const transport = new StreamableHTTPClientTransport(new URL(this.#deps.url), { fetch: this.#authFetch });
        const client = new Client({ name: 'linkcache', version: VERSION });
        await client.connect(transport, { timeout: timeoutMs });
        return client;
      })();
      this.#client = opening;
      // A failed handshake is tried again by the next call, not remembered.
      opening.catch(() => {
        if (this.#client === opening) this.#client = undefined;
      });
    }
    return this.#client;
  }

  /** Drops the session after a transport failure; the next call opens a new one. */
  #reset(): void {
    const client = this.#client;
    this.#client = undefined;
    void client?.then((c) => c.close()).catch(() => {});
  }

  /** One tool call with the HTTP origin's budget, pause, time-outs and retries. */
  async #call(tool: string, args: Record<string, unknown>): Promise<CallOutcome> {
    const { config, limiter, telemetry, clock, tokens } = this.#deps;
    const pausedMs = this.#pausedUntil - clock.now();
    if (pausedMs > 0) {
      telemetry.count(MetricNames.OriginThrottled);
      throw new OriginUnavailableError('The profile origin asked for a pause; try again shortly.', pausedMs / 1000);
    }
    let refreshed = false;
    const attempt = async (remainingMs: number): Promise<Attempt<CallOutcome>> => {
      const waitMs = this.#pausedUntil - clock.now();
      if (waitMs > 0) return { ok: false, retryable: true, retryAfterMs: waitMs, error: new OriginPaused('origin paused') };
      const token = await limiter.take();
      if (!token.allowed) {
        telemetry.count(MetricNames.OriginThrottled);
        return {
          ok: false,
          retryable: false,
          retryAfterMs: token.retryAfterMs,
          error: new BudgetSpent('origin request budget spent'),
        };
      }
      telemetry.count(MetricNames.OriginCalls);
      const started = clock.now();
      const timeoutMs = Math.min(config.timeoutMs, remainingMs);
      let result: ToolResult;
      try {
        const client = await this.#connect(timeoutMs);
        const left = Math.max(1, timeoutMs - (clock.now() - started));
        result = (await client.callTool({ name: tool, arguments: args }, undefined, { timeout: left })) as ToolResult;
      } catch (err) {
        return this.#transportFailure(err);
      }
      if (!result.isError) {
        this.#lastOkAt = clock.now();
        const payload = toolPayload(result);
        if (payload === undefined) {
          telemetry.count(MetricNames.OriginShapeChanged);
          return {
            ok: false,
            retryable: false,
            error: new Final(new OriginShapeError(`${tool} returned neither structuredContent nor JSON text`)),
          };
        }
        return { ok: true, value: { kind: 'ok', payload } };
      }
      const code = toolErrorCode(result);
      const message = toolErrorMessage(result);
      switch (code) {
        case 'NOT_FOUND':
          this.#lastOkAt = clock.now();
          return { ok: true, value: { kind: 'not-found' } };
        case 'INVALID_INPUT':
          this.#lastOkAt = clock.now();
          return {
            ok: false,
            retryable: false,
            error: new Final(new ValidationError(`The origin refused the input${message ? `: ${message}` : '.'}`)),
          };
        case 'UPGRADE_REQUIRED':
          this.#lastOkAt = clock.now();
          return { ok: false, retryable: false, error: new Final(new UpgradeRequiredError(message || undefined)) };
        case 'RATE_LIMITED': {
          telemetry.count(MetricNames.OriginThrottled);
          this.#lastFailure = { at: clock.now(), detail: `${tool}: RATE_LIMITED` };
          const after = retryAfterOf(result);
          if (after) this.#pausedUntil = Math.max(this.#pausedUntil, clock.now() + after);
          return { ok: false, retryable: true, retryAfterMs: after, error: new Error(`${tool}: RATE_LIMITED`) };
        }
        case 'UNAUTHORIZED': {
          this.#lastFailure = { at: clock.now(), detail: `${tool}: UNAUTHORIZED` };
          if (refreshed) return { ok: false, retryable: false, error: new Error(`${tool}: UNAUTHORIZED after a token refresh`) };
          refreshed = true;
          try {
            await tokens.refresh();
          } catch (err) {
            return { ok: false, retryable: false, error: err instanceof Error ? err : new Error(String(err)) };
          }
          return { ok: false, retryable: true, retryAfterMs: 0, error: new Error(`${tool}: UNAUTHORIZED`) };
        }
        default:
          // UPSTREAM_ERROR is Linktree's own dependency failing: worth a retry. Anything else is not.
          this.#lastFailure = { at: clock.now(), detail: `${tool}: ${code ?? 'error without a code'}` };
          return {
            ok: false,
            retryable: code === 'UPSTREAM_ERROR',
            error: new Error(`${tool} failed: ${code ?? 'no code'} ${message}`),
          };
      }
    };
    try {
      return await withRetries(
        attempt,
        {
          maxAttempts: config.maxAttempts,
          baseMs: config.backoffBaseMs,
          capMs: config.backoffCapMs,
          budgetMs: config.retryBudgetMs,
        },
        clock,
      );
    } catch (err) {
      if (!(err instanceof RetriesExhaustedError)) throw err;
      const cause = err.cause;
      if (cause instanceof Final) throw cause.error;
      if (cause instanceof LinktreeLoginRequiredError || cause instanceof OriginUnavailableError) throw cause;
      throw new OriginUnavailableError(
        cause instanceof BudgetSpent
          ? 'The origin request budget is spent; try again shortly.'
          : cause instanceof OriginPaused
            ? 'The profile origin asked for a pause; try again shortly.'
            : 'The profile origin is unavailable; try again shortly.',
        err.retryAfterMs / 1000,
        { cause: err },
      );
    }
  }

  #transportFailure(err: unknown): Attempt<CallOutcome> {
    const { telemetry, clock } = this.#deps;
    const error = err instanceof Error ? err : new Error(String(err));
    this.#lastFailure = { at: clock.now(), detail: error.message.slice(0, 200) };
    // Token trouble is not the transport's: no reconnect, no retry.
    if (err instanceof OriginUnavailableError) return { ok: false, retryable: false, error };
    this.#reset();
    const status = err instanceof StreamableHTTPError ? err.code : undefined;
    if (status === 401 || status === 403) return { ok: false, retryable: false, error };
    if (status === 429) telemetry.count(MetricNames.OriginThrottled);
    else telemetry.count(MetricNames.OriginErrors);
    return { ok: false, retryable: true, error };
  }
}

/** A RATE_LIMITED result's `retryAfter` (seconds), capped like Retry-After. */
const retryAfterOf = (result: ToolResult): number | undefined => {
  const p = toolPayload(result) as { retryAfter?: unknown; retry_after?: unknown } | undefined;
  const s = p?.retryAfter ?? p?.retry_after;
  return typeof s === 'number' && s > 0 ? Math.min(s * 1000, MAX_RETRY_AFTER_MS) : undefined;
};

export interface McpOriginSettings {
  /** LINKTREE_MCP_URL. */
  url: string;
  /** LINKTREE_MCP_TOKENS: a file path, or a Secrets Manager ARN. */
  tokens: string;
  userAgent: string;
  origin: OriginConfig;
}

/** The origin with its token store and keeper, as the wiring builds it. */
export const createLinktreeMcpOrigin = async (
  settings: McpOriginSettings,
  limiter: RateLimiter,
  telemetry: Telemetry = noTelemetry,
): Promise<LinktreeMcpOrigin> => {
  const store = await tokenStoreFor(settings.tokens);
  const tokens = new TokenKeeper({
    store,
    timeoutMs: settings.origin.timeoutMs,
    telemetry,
    discoverTokenEndpoint: async () => {
      const info = await discoverOAuthServerInfo(settings.url);
      const endpoint = info.authorizationServerMetadata?.token_endpoint;
      if (!endpoint) throw new OriginUnavailableError("Linktree's authorization server names no token endpoint.", 60);
      return endpoint;
    },
  });
  return new LinktreeMcpOrigin({
    url: settings.url,
    config: settings.origin,
    tokens,
    limiter,
    userAgent: settings.userAgent,
    telemetry,
  });
};
