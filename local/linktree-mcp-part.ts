// ORIGIN=linktree-mcp in `npm start`. With LINKTREE_MCP_URL given (Linktree's real server, or a
// stand-in started by hand), the stack only says where it reads and where the tokens are: the
// operator runs `npm run linktree:login` once. Without it, the stack runs offline: it starts the
// local MCP stand-in (local/linktree-mcp-server.ts, the demo profiles) on a free port, logs in to
// it the way the login command does (its fake authorization page approves at once), and keeps
// those tokens in a file of their own, so tokens for the real server are never overwritten.
import type { RunningMcpServer } from './linktree-mcp-server.ts';
import type { LocalPart } from './stack.ts';

/** Where the offline stand-in's tokens go unless LINKTREE_MCP_TOKENS says otherwise. */
export const LOCAL_MCP_TOKENS = '.data/linktree-mcp-local-tokens.json';

export const linktreeMcpPart = (): LocalPart => {
  let server: RunningMcpServer | undefined;
  return {
    name: 'linktree-mcp stand-in',
    async start(env, log) {
      if (env.ORIGIN !== 'linktree-mcp') return;
      if (env.LINKTREE_MCP_URL) {
        const tokens = env.LINKTREE_MCP_TOKENS || '.data/linktree-tokens.json';
        log(
          `origin: ORIGIN=linktree-mcp at ${env.LINKTREE_MCP_URL}, tokens in ${tokens} ` +
            `(none yet? LINKTREE_MCP_URL=${env.LINKTREE_MCP_URL} npm run linktree:login)`,
        );
        return;
      }
      const { startLinktreeMcpServer } = await import('./linktree-mcp-server.ts');
      const { linktreeLogin } = await import('../tools/linktree-login.ts');
      const { FileTokenStore } = await import('../lambdas/adapters/linktree-token-store.ts');
      server = await startLinktreeMcpServer();
      env.LINKTREE_MCP_URL = server.url;
      env.LINKTREE_MCP_TOKENS ||= LOCAL_MCP_TOKENS;
      const store = new FileTokenStore(env.LINKTREE_MCP_TOKENS);
      let approving: Promise<void> | undefined;
      await linktreeLogin({
        mcpUrl: server.url,
        store,
        timeoutMs: 10_000,
        // What a browser would do: open the page (approved at once here) and follow it back.
        onAuthorizeUrl: (url) => {
          approving = (async () => {
            const page = await fetch(url, { redirect: 'manual' });
            const back = page.headers.get('location');
            if (back) await fetch(back);
          })();
        },
      });
      await approving;
      log(
        `origin: ORIGIN=linktree-mcp with the local MCP stand-in at ${server.url} (offline, demo profiles; ` +
          `logged in automatically, tokens in ${store.location})`,
      );
    },
    async stop() {
      await server?.close();
      server = undefined;
    },
  };
};
