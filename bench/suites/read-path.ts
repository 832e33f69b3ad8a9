// Cached read throughput through the real local stack (HTTP → local API Gateway adapter → middy
// profile handler → ProfileService), against a bare node:http server serving the same bytes:
//   l1-hit   the default stack: answers from the in-process LRU
//   l2-hit   L1_TTL_S=0: every request reads Redis (single-flighted per process) and re-renders
//   bare     node:http in its own process, same status/headers/body for the same URL (the goal's baseline)
//   bare-deferred  the same, answering on the next event-loop turn as the adapter invokes handlers:
//            the like-for-like server, shown so the report says where the adapter's speed comes from
// Server and load generator are separate processes sharing 2 cores, so the cases are interleaved
// over several rounds (rotating order) and the medians compared.
import type { SpawnedStack } from '../../test/helpers/local-stack.ts';
import { httpGet, type RunLoadResult, runLoad } from '../lib/loadgen.ts';
import { machineInfo } from '../lib/machine.ts';
import { type NodeChild, spawnBareServer } from '../lib/procs.ts';
import { median, round } from '../lib/stats.ts';
import { benchProfile, deleteBenchKeys, startOrigin, startStack, uniq } from '../lib/stack.ts';
import type { Row, SuiteResult } from '../lib/types.ts';
import { bench } from '../lib/config.ts';

export const description = 'Cached read throughput (L1 hit, L2 hit) via the local stack vs a bare node:http server.';

const ROUNDS = bench.BENCH_ROUNDS;
const DURATION_MS = bench.BENCH_DURATION_MS;
const WARMUP_MS = bench.BENCH_WARMUP_MS;
const CONCURRENCY = bench.BENCH_CONCURRENCY;
const GOAL_RATIO = 0.8;

type CaseName = 'bare' | 'bare-deferred' | 'l1-hit' | 'l2-hit';

/**
 * Headers Node adds by itself on every response; the bare server must not duplicate them.
 * Content-Length is mirrored: both servers then frame the body the same way (no chunking).
 */
const HOP = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

export default async function run(): Promise<SuiteResult> {
  const { origin, url: originUrl, apiKey } = await startOrigin();
  const username = `bench_rp_${uniq(4)}`;
  const profile = benchProfile(username);
  origin.profiles.set(username, profile);
  const stackEnv = { REDIS_URL: 'redis://127.0.0.1:6379', ORIGIN_URL: originUrl, ORIGIN_API_KEY: apiKey };
  const path = `/api/profiles/${username}`;

  let l1: SpawnedStack | undefined;
  let l2: SpawnedStack | undefined;
  let bare: NodeChild | undefined;
  let bareDeferred: NodeChild | undefined;
  try {
    [l1, l2] = await Promise.all([startStack(stackEnv), startStack({ ...stackEnv, L1_TTL_S: '0' })]);
    // Fill L2 once (one origin call), then check both stacks answer from the cache.
    const first = await httpGet(`${l1.url}${path}`);
    if (first.status !== 200) throw new Error(`priming ${path} answered ${first.status}: ${first.body}`);
    const viaL2 = await httpGet(`${l2.url}${path}`);
    const hit = await httpGet(`${l1.url}${path}`);
    if (hit.headers['x-cache'] !== 'HIT' || viaL2.headers['x-cache'] !== 'HIT') {
      throw new Error(`expected X-Cache HIT from both stacks, got ${hit.headers['x-cache']} / ${viaL2.headers['x-cache']}`);
    }
    if (viaL2.body !== hit.body) throw new Error('the L1 and L2 stacks serve different bodies');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(hit.headers)) if (!HOP.has(k) && typeof v === 'string') headers[k] = v;
    bare = await spawnBareServer({ [path]: { status: hit.status, headers, body: hit.body } });
    bareDeferred = await spawnBareServer({ [path]: { status: hit.status, headers, body: hit.body } }, { defer: true });
    const bareCheck = await httpGet(`${bare.ready}${path}`);
    if (bareCheck.body !== hit.body || bareCheck.headers.etag !== hit.headers.etag)
      throw new Error('bare server does not mirror the stack');
    const originCallsBefore = origin.totalCalls;

    const targets: Record<CaseName, { url: string; pid: number | undefined }> = {
      bare: { url: `${bare.ready}${path}`, pid: bare.child.pid },
      'bare-deferred': { url: `${bareDeferred.ready}${path}`, pid: bareDeferred.child.pid },
      'l1-hit': { url: `${l1.url}${path}`, pid: l1.child.pid },
      'l2-hit': { url: `${l2.url}${path}`, pid: l2.child.pid },
    };
    const order: CaseName[] = ['bare', 'bare-deferred', 'l1-hit', 'l2-hit'];
    const results: Record<CaseName, RunLoadResult[]> = { bare: [], 'bare-deferred': [], 'l1-hit': [], 'l2-hit': [] };
    const loads: number[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so no case always runs first (or right after a given one).
      const rotated = order.map((_, i) => order[(i + round) % order.length]);
      for (const name of rotated) {
        const r = await runLoad({
          url: targets[name].url,
          concurrency: CONCURRENCY,
          durationMs: DURATION_MS,
          warmupMs: WARMUP_MS,
          maxRequests: 1_000_000,
          serverPids: targets[name].pid ? [targets[name].pid as number] : [],
        });
        if (r.errors > 0) throw new Error(`${name}: ${r.errors} errors (statuses ${JSON.stringify(r.statuses)})`);
        results[name].push(r);
      }
      loads.push(machineInfo().loadavg);
    }

    const med = (name: CaseName, f: (r: RunLoadResult) => number) => median(results[name].map(f));
    const bareRps = med('bare', (r) => r.rps);
    const perRoundRatio = (name: CaseName) => results[name].map((r, i) => r.rps / results.bare[i].rps);
    const rows: Row[] = order.map((name) => ({
      case: name,
      'req/s': Math.round(med(name, (r) => r.rps)),
      'p50 ms': round(
        med(name, (r) => r.latencyMs.p50),
        2,
      ),
      'p99 ms': round(
        med(name, (r) => r.latencyMs.p99),
        2,
      ),
      'vs bare': round(med(name, (r) => r.rps) / bareRps, 2),
      'round ratios': perRoundRatio(name)
        .map((x) => x.toFixed(2))
        .join(' '),
      'server µs/req': round(
        med(name, (r) => r.serverCpuUsPerReq),
        1,
      ),
      'client µs/req': round(
        med(name, (r) => (r.clientCpuMs * 1000) / r.requests),
        1,
      ),
      requests: results[name].reduce((s, r) => s + r.requests, 0),
    }));
    const l1Ratio = med('l1-hit', (r) => r.rps) / bareRps;
    const l1VsDeferred = med('l1-hit', (r) => r.rps) / med('bare-deferred', (r) => r.rps);
    const originCalls = origin.totalCalls - originCallsBefore;
    return {
      name: 'read-path',
      rows,
      goals: [
        {
          goal: `L1-hit throughput ≥ ${GOAL_RATIO} × bare node:http (measured ${l1Ratio.toFixed(2)} ×)`,
          met: l1Ratio >= GOAL_RATIO,
        },
      ],
      notes: [
        `GET ${path} (${hit.body.length} B body), ${CONCURRENCY} keep-alive connections, ${ROUNDS} rounds × ${WARMUP_MS / 1000}+${DURATION_MS / 1000} s per case, medians; ` +
          `load generator in its own process (raw keep-alive client); origin calls during load: ${originCalls}`,
        `load average after each round: ${loads.map((l) => l.join('/')).join(', ')}`,
        `L1 hit vs bare-deferred (same write timing as the adapter): ${l1VsDeferred.toFixed(2)} ×`,
      ],
      details: { path, bodyBytes: hit.body.length, headers, rounds: results },
    };
  } finally {
    await Promise.allSettled([l1?.stop(), l2?.stop(), bare?.stop(), bareDeferred?.stop()]);
    await origin.close();
    await deleteBenchKeys().catch(() => {});
  }
}
