// The `linktree-mcp` origin for the wiring: a small stand-in that loads the MCP adapter (and the
// MCP SDK, Secrets Manager client and full zod under it, ~300 KB) on first use. The import's
// specifier is computed, so the bundler leaves it alone: from source (local stack, tests) it is
// the adapter's .ts file; in Lambda it is a separately built module next to the bundle
// (LINKTREE_MCP_MODULE_FILE in lib/bundling.ts, built by lib/constructs/service-function.ts when
// the stage's ORIGIN is linktree-mcp), so no function pays for it at init. That module carries its
// own copies of the app's classes; errors crossing back are turned into this bundle's own by
// their code, so the read path's and the HTTP kernel's `instanceof` checks still hold.
import type { LinktreeMcpOrigin, McpOriginSettings } from '../adapters/linktree-mcp-origin.ts';
import type { ProfileOrigin, RateLimiter, Telemetry } from '../core/ports.ts';
import type { LinkUpdate, Profile } from '../core/profile.ts';
import {
  AppError,
  NotFoundError,
  OriginUnavailableError,
  ProfileNotFoundError,
  UpgradeRequiredError,
  ValidationError,
} from '../shared/errors.ts';

export type { McpOriginSettings } from '../adapters/linktree-mcp-origin.ts';

/** Keep in step with LINKTREE_MCP_MODULE_FILE in lib/bundling.ts (an infra test checks both). */
const BUILT_MODULE = './linktree-mcp.mjs';
const SOURCE_MODULE = '../adapters/linktree-mcp-origin.ts';

export const mcpModuleSpecifier = (selfUrl: string = import.meta.url): string =>
  selfUrl.endsWith('.ts') ? SOURCE_MODULE : BUILT_MODULE;

export interface LazyMcpOrigin extends ProfileOrigin {
  health(): { status: 'up' | 'down'; detail?: string };
  updateLinks(profileId: string, links: LinkUpdate[], username?: string): Promise<Profile>;
}

type McpModule = typeof import('../adapters/linktree-mcp-origin.ts');

/** An error from the separately built module, as this bundle's own class (matched by code). */
export const asOwnError = (err: unknown): Error => {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as { code?: unknown; message?: unknown; retryAfterS?: unknown; username?: unknown };
  const message = typeof e.message === 'string' ? e.message : 'The profile origin failed.';
  switch (e.code) {
    case 'ORIGIN_UNAVAILABLE':
      return new OriginUnavailableError(message, typeof e.retryAfterS === 'number' ? e.retryAfterS : 30, { cause: err });
    case 'INVALID_REQUEST':
      return new ValidationError(message, { cause: err });
    case 'UPGRADE_REQUIRED':
      return new UpgradeRequiredError(message, { cause: err });
    case 'PROFILE_NOT_FOUND':
      return new ProfileNotFoundError(typeof e.username === 'string' ? e.username : '', { cause: err });
    case 'LINK_NOT_FOUND':
      return new NotFoundError(message, 'LINK_NOT_FOUND');
    default:
      return new OriginUnavailableError("Linktree's MCP origin failed unexpectedly.", 30, { cause: err });
  }
};

export const lazyLinktreeMcpOrigin = (
  settings: McpOriginSettings,
  limiter: RateLimiter,
  telemetry: Telemetry,
  load: () => Promise<McpModule> = () => import(mcpModuleSpecifier()) as Promise<McpModule>,
): LazyMcpOrigin => {
  let loading: Promise<LinktreeMcpOrigin> | undefined;
  let loaded: LinktreeMcpOrigin | undefined;
  const origin = (): Promise<LinktreeMcpOrigin> => {
    if (!loading) {
      const attempt = load()
        .then((m) => m.createLinktreeMcpOrigin(settings, limiter, telemetry))
        .then((o) => {
          loaded = o;
          return o;
        });
      loading = attempt;
      // A failed load is tried again by the next call.
      attempt.catch(() => {
        if (loading === attempt) loading = undefined;
      });
    }
    return loading;
  };
  const run = async <T>(f: (o: LinktreeMcpOrigin) => Promise<T>): Promise<T> => {
    try {
      return await f(await origin());
    } catch (err) {
      throw asOwnError(err);
    }
  };
  return {
    fetchProfile: (username) => run((o) => o.fetchProfile(username)),
    updateLinks: (profileId, links, username) => run((o) => o.updateLinks(profileId, links, username)),
    health: () => loaded?.health() ?? { status: 'up', detail: 'not called yet' },
  };
};
