// The `linktree-mcp` origin for the wiring: a small stand-in that loads the MCP adapter (and the
// SDK under it) with a dynamic import on first use, so a bundle whose stage uses another origin
// carries none of it (the bundler splits the import into its own chunk).
import type { ProfileOrigin, RateLimiter, Telemetry } from '../core/ports.ts';
import type { LinkUpdate, Profile } from '../core/profile.ts';
import type { LinktreeMcpOrigin, McpOriginSettings } from '../adapters/linktree-mcp-origin.ts';

export type { McpOriginSettings } from '../adapters/linktree-mcp-origin.ts';

export interface LazyMcpOrigin extends ProfileOrigin {
  health(): { status: 'up' | 'down'; detail?: string };
  updateLinks(profileId: string, links: LinkUpdate[], username?: string): Promise<Profile>;
}

export const lazyLinktreeMcpOrigin = (settings: McpOriginSettings, limiter: RateLimiter, telemetry: Telemetry): LazyMcpOrigin => {
  let loading: Promise<LinktreeMcpOrigin> | undefined;
  let loaded: LinktreeMcpOrigin | undefined;
  const origin = (): Promise<LinktreeMcpOrigin> => {
    if (!loading) {
      const attempt = import('../adapters/linktree-mcp-origin.ts')
        .then((m) => m.createLinktreeMcpOrigin(settings, limiter, telemetry))
        .then((o) => {
          loaded = o;
          return o;
        });
      loading = attempt;
      attempt.catch(() => {
        if (loading === attempt) loading = undefined;
      });
    }
    return loading;
  };
  return {
    fetchProfile: async (username) => (await origin()).fetchProfile(username),
    updateLinks: async (profileId, links, username) => (await origin()).updateLinks(profileId, links, username),
    health: () => loaded?.health() ?? { status: 'up', detail: 'not called yet' },
  };
};
