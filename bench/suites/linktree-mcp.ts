// Linktree MCP origin read latency: one origin read (get_account + get_links over the SDK client's
// streamable-HTTP session, with the OAuth bearer, mapped to a Profile), against the local MCP
// stand-in in its own process; beside a bare HTTP round trip (GET /ping, keep-alive) to the
// same server in the same run, the baseline. A read is two MCP requests, so "2 × bare" is the
// floor the protocol allows; the rest is the SDK's JSON-RPC/zod work and the server's per-request
// McpServer. Sequential (one in flight): latency, not throughput. Interleaved per iteration.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLinktreeMcpOrigin } from '../../lambdas/adapters/linktree-mcp-origin.ts';
import { FileTokenStore } from '../../lambdas/adapters/linktree-token-store.ts';
import { linktreeLogin } from '../../tools/linktree-login.ts';
import { bench } from '../lib/config.ts';
import { spawnNode } from '../lib/procs.ts';
import { round, summarize } from '../lib/stats.ts';
import type { SuiteResult } from '../lib/types.ts';

export const description =
  'MCP origin read (get_account + get_links → Profile) p50/p99 vs a bare HTTP round trip to the same server.';

const WARMUP = 50;
const ITERATIONS = Math.max(200, bench.BENCH_ROUNDS * 100);

export default async function run(): Promise<SuiteResult> {
  const server = await spawnNode('local/linktree-mcp-server.ts', { ready: /ready at (http:\/\/\S+)/ });
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-mcp-'));
  try {
    const mcpUrl = server.ready;
    const baseUrl = new URL(mcpUrl).origin;
    const tokens = path.join(dir, 'tokens.json');
    await linktreeLogin({
      mcpUrl,
      store: new FileTokenStore(tokens),
      timeoutMs: 10_000,
      onAuthorizeUrl: (url) => {
        void fetch(url, { redirect: 'manual' }).then((r) => fetch(r.headers.get('location') ?? ''));
      },
    });
    const origin = await createLinktreeMcpOrigin(
      {
        url: mcpUrl,
        tokens,
        userAgent: 'linkcache-bench',
        origin: {
          url: '',
          timeoutMs: 5_000,
          retryBudgetMs: 5_000,
          maxAttempts: 1,
          backoffBaseMs: 1,
          backoffCapMs: 1,
          ratePerMin: 1e6,
        },
      },
      { take: async () => ({ allowed: true, retryAfterMs: 0 }) },
    );
    const mcpRead = async () => {
      const p = await origin.fetchProfile('demo');
      if (p?.username !== 'demo') throw new Error('MCP read did not return the demo profile');
    };
    const bareRead = async () => {
      const res = await fetch(`${baseUrl}/ping`);
      if (res.status !== 200) throw new Error(`bare /ping answered ${res.status}`);
      await res.arrayBuffer();
    };
    const time = async (f: () => Promise<void>): Promise<number> => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    for (let i = 0; i < WARMUP; i++) {
      await mcpRead();
      await bareRead();
    }
    const mcp: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      // Alternate which goes first, so neither always runs on a warmer loop.
      if (i % 2) {
        mcp.push(await time(mcpRead));
        bare.push(await time(bareRead));
      } else {
        bare.push(await time(bareRead));
        mcp.push(await time(mcpRead));
      }
    }
    await origin.close();
    const m = summarize(mcp);
    const b = summarize(bare);
    const row = (name: string, s: typeof m, perRead: number) => ({
      case: name,
      n: s.n,
      'p50 ms': round(s.p50),
      'p90 ms': round(s.p90),
      'p99 ms': round(s.p99),
      'max ms': round(s.max),
      'HTTP requests': perRead,
    });
    return {
      name: 'linktree-mcp',
      rows: [row('mcp-read (get_account+get_links → Profile)', m, 2), row('bare HTTP round trip (GET /ping)', b, 1)],
      notes: [
        `p50 ratio mcp-read / bare = ${round(m.p50 / b.p50)} (a read is 2 MCP requests: the floor is ~2)`,
        `p99 ratio mcp-read / bare = ${round(m.p99 / b.p99)}`,
        'Both against the same local stand-in process (stateless: a McpServer per request), client in the bench process; the real Linktree adds its network RTT twice per read.',
      ],
      details: { mcp: m, bare: b },
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
