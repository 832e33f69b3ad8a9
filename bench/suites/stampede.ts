// Thundering herd: 500 concurrent cold requests for one key, 250 at each of two local stacks that
// share Redis and one (slow) origin. The fill lock + in-process single-flight should let exactly
// one request per key reach the origin; everyone else is served what it fetched.
import type { SpawnedStack } from '../../test/helpers/local-stack.ts';
import { type BurstResult, burst, httpGet } from '../lib/loadgen.ts';
import { median, round, summarize } from '../lib/stats.ts';
import { benchProfile, deleteBenchKeys, startOrigin, startStack, uniq } from '../lib/stack.ts';
import type { Row, SuiteResult } from '../lib/types.ts';
import { bench } from '../lib/config.ts';

export const description = '500 concurrent cold requests for one key over two stacks: origin calls per round.';

const ROUNDS = bench.BENCH_STAMPEDE_ROUNDS;
const PER_STACK = 250;
const ORIGIN_DELAY_MS = 200;

export default async function run(): Promise<SuiteResult> {
  const { origin, url: originUrl, apiKey } = await startOrigin();
  // WARN: the read path logs L2 errors/timeouts at warn level; kept to explain a second origin call.
  const env = {
    REDIS_URL: 'redis://127.0.0.1:6379',
    ORIGIN_URL: originUrl,
    ORIGIN_API_KEY: apiKey,
    POWERTOOLS_LOG_LEVEL: 'WARN',
  };
  const usernames: string[] = [];
  const profileIds: string[] = [];
  const add = (username: string) => {
    const p = benchProfile(username);
    origin.profiles.set(username, p);
    usernames.push(username);
    profileIds.push(p.id);
  };
  let stacks: SpawnedStack[] = [];
  try {
    stacks = await Promise.all([startStack(env), startStack(env)]);
    // Warm both processes (module JIT, Redis connection, origin client) on a throwaway key.
    const warm = `bench_sw_${uniq(4)}`;
    add(warm);
    for (const s of stacks) {
      const r = await httpGet(`${s.url}/api/profiles/${warm}`);
      if (r.status !== 200) throw new Error(`warm-up answered ${r.status}: ${r.body}`);
    }
    origin.control = { ...origin.control, mode: 'slow', delayMs: ORIGIN_DELAY_MS };

    const rows: Row[] = [];
    const diagnostics: string[] = [];
    for (let n = 1; n <= ROUNDS; n++) {
      const username = `bench_st_${uniq(4)}`;
      add(username); // cold: never requested, no key in Redis
      origin.calls.clear();
      const t0 = performance.now();
      const results: BurstResult[] = await Promise.all(stacks.map((s) => burst(`${s.url}/api/profiles/${username}`, PER_STACK)));
      const wallMs = performance.now() - t0;
      const logged = stacks.flatMap((s, i) =>
        s
          .output()
          .split('\n')
          .filter((l) => l.includes(username) || /L2 |redis|timed? ?out/i.test(l))
          .filter((l) => !l.startsWith('redis: ') && !diagnostics.includes(`stack ${i + 1}: ${l}`))
          .map((l) => `stack ${i + 1}: ${l}`),
      );
      diagnostics.push(...logged);
      const ok = results.reduce((n, r) => n + (r.statuses[200] ?? 0), 0);
      const other = results.flatMap((r) =>
        Object.entries(r.statuses)
          .filter(([s]) => s !== '200')
          .map(([s, n]) => `${s}×${n}`),
      );
      const errors = results.flatMap((r) => r.errors);
      const lat = summarize(results.flatMap((r) => r.latencyMs));
      rows.push({
        round: n,
        requests: PER_STACK * stacks.length,
        'origin calls': origin.calls.get(username) ?? 0,
        '200s': ok,
        other: [...other, ...(errors.length ? [`conn-errors×${errors.length}`] : [])].join(' ') || '-',
        'p50 ms': round(lat.p50, 1),
        'max ms': round(lat.max, 1),
        'wall ms': Math.round(wallMs),
      });
    }
    const callsPerRound = rows.map((r) => r['origin calls'] as number);
    const okPerRound = rows.map((r) => r['200s'] as number);
    return {
      name: 'stampede',
      rows,
      goals: [
        {
          goal: `exactly 1 origin call per cold key (rounds: ${callsPerRound.join(', ')})`,
          met: callsPerRound.every((c) => c === 1),
        },
      ],
      notes: [
        `2 local stacks sharing Redis + one demo origin answering after ${ORIGIN_DELAY_MS} ms; ${PER_STACK} simultaneous requests per stack ` +
          `(one connection each), fresh username per round; median 200s: ${median(okPerRound)} of ${PER_STACK * stacks.length}`,
        ...diagnostics.slice(0, 6).map((l) => `log: ${l.slice(0, 220)}`),
      ],
      details: { diagnostics },
    };
  } finally {
    await Promise.allSettled(stacks.map((s) => s.stop()));
    await origin.close();
    await deleteBenchKeys().catch(() => {});
  }
}
