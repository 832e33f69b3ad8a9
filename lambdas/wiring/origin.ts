// Which profile origin this process talks to (`ORIGIN`, contract section 1): the HTTP origin API
// (`http`, and `demo`: the same API served by the local stack's bundled demo origin), Linktree's
// public pages (`linktree`) or Linktree's MCP server (`linktree-mcp`). Unset means `http`; the
// local stack sets `demo` when it starts the bundled origin itself.
import { HttpProfileOrigin } from '../adapters/http-origin.ts';
import { LinktreePageOrigin } from '../adapters/linktree-page-origin.ts';
import type { Config } from '../config/config.ts';
import { lazyLinktreeMcpOrigin } from './linktree-mcp.ts';
import type { ProfileOrigin, RateLimiter, Telemetry } from '../core/ports.ts';
import type { OriginConfig } from '../core/settings.ts';

export type OriginKind = NonNullable<Config['ORIGIN']>;

/** An origin the wiring can report on: health reads the last call's outcome, never calls it. */
export interface WiredOrigin extends ProfileOrigin {
  health(): { status: 'up' | 'down'; detail?: string };
}

export interface OriginDeps {
  /** The whole configuration, for the settings each origin reads (LINKTREE_*). */
  config: Config;
  /** Timeouts, retries and budget shared by every origin (ORIGIN_TIMEOUT_MS, ORIGIN_RATE_PER_MIN, ...). */
  origin: OriginConfig;
  /** The origin's token bucket, shared across processes through Redis. */
  limiter: RateLimiter;
  telemetry: Telemetry;
  /** The bearer token of the HTTP origin (`ORIGIN_API_KEY`). */
  apiKey: () => Promise<string>;
}

export const originKind = (c: Config): OriginKind => c.ORIGIN ?? 'http';

export const makeOrigin = (deps: OriginDeps): WiredOrigin => {
  const { config: c, origin, limiter, telemetry } = deps;
  const kind = originKind(c);
  switch (kind) {
    case 'http':
    case 'demo':
      return new HttpProfileOrigin({ config: origin, apiKey: deps.apiKey, limiter, telemetry });
    case 'linktree':
      return new LinktreePageOrigin({
        config: origin,
        baseUrl: c.LINKTREE_BASE_URL,
        userAgent: c.LINKTREE_USER_AGENT,
        limiter,
        telemetry,
      });
    case 'linktree-mcp':
      // The MCP SDK is loaded on first use (a dynamic import inside lazyLinktreeMcpOrigin).
      return lazyLinktreeMcpOrigin(
        { url: c.LINKTREE_MCP_URL, tokens: c.LINKTREE_MCP_TOKENS, userAgent: c.LINKTREE_USER_AGENT, origin },
        limiter,
        telemetry,
      );
    default: {
      const never: never = kind;
      throw new Error(`unknown ORIGIN ${String(never)}`);
    }
  }
};
