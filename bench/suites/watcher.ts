// Change watcher throughput against its budget: the real ChangeWatcher, hot set, share bucket and
// shared bucket in Redis (REDIS_URL / 127.0.0.1:6379) and the HTTP origin adapter, in front of a
// fast local demo origin holding 1,000 hot, cached profiles (1% edited). Runs every second for a
// minute after a warm-up that spends the share's initial burst; the checks a minute must stay at
// or under WATCH_BUDGET_SHARE × ORIGIN_RATE_PER_MIN and close to it. Plus what one watcher can
// check a minute when the budget does not bind (the origin's speed, 4 reads in flight).
import { redisKeys } from '../../lambdas/adapters/redis-keys.ts';
import { createRedis, type RedisClient, waitReady } from '../../lambdas/adapters/redis-client.ts';
import { RedisHotSet } from '../../lambdas/adapters/redis-hot-set.ts';
import { RedisProfileCache } from '../../lambdas/adapters/redis-profile-cache.ts';
import { RedisRateLimiter } from '../../lambdas/adapters/redis-rate-limiter.ts';
import { readPathSettings } from '../../lambdas/config/config.ts';
import { parseConfig } from '../../lambdas/config/variables.ts';
import { ChangeWatcher } from '../../lambdas/core/change-watcher.ts';
import type { EventPublisher, QueueEvent } from '../../lambdas/core/events.ts';
import { noTelemetry } from '../../lambdas/core/ports.ts';
import { ProfileChanges } from '../../lambdas/core/profile-change.ts';
import { makeOrigin } from '../../lambdas/wiring/origin.ts';
import { DemoOrigin } from '../../local/demo-origin.ts';
import { makeProfile } from '../../test/helpers/fakes.ts';
import { bench } from '../lib/config.ts';
import { BENCH_KEY_PREFIX, deleteBenchKeys } from '../lib/stack.ts';
import type { Goal, Row, SuiteResult } from '../lib/types.ts';

export const description =
  'Change watcher: profiles checked a minute against its budget share, on real Redis and a local origin.';

const HOT = 1_000;
const EDITED = 10;
const WARMUP_MS = 5_000;
const WINDOW_MS = 60_000;
const CAPACITY_MS = 5_000;
const API_KEY = 'bench-watcher-key';

interface Scenario {
  name: string;
  budgetPerMin: number;
  share: number;
  windowMs: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'budget 150/min × share 0.5', budgetPerMin: 150, share: 0.5, windowMs: WINDOW_MS },
  { name: 'budget 600/min × share 0.25', budgetPerMin: 600, share: 0.25, windowMs: WINDOW_MS },
];

const countingPublisher = (): EventPublisher & { events: QueueEvent[] } => {
  const events: QueueEvent[] = [];
  return {
    events,
    publish: async (e) => void events.push(e),
    publishBatch: async (es) => void events.push(...es),
  };
};

const connect = async (): Promise<RedisClient> => {
  const s = readPathSettings(parseConfig({ REDIS_URL: bench.TEST_REDIS_URL, REDIS_KEY_PREFIX: BENCH_KEY_PREFIX }));
  const redis = createRedis(s.redis, () => {}) as RedisClient;
  if (!(await waitReady(redis, 3_000))) throw new Error('the watcher bench needs Redis');
  return redis;
};

/** One watcher over its own key space, its hot set filled and every profile cached. */
const setUp = async (redis: RedisClient, originUrl: string, origin: DemoOrigin, id: string, s: Scenario) => {
  const keys = redisKeys(`${BENCH_KEY_PREFIX}${id}:`);
  const c = parseConfig({ ORIGIN: 'http', ORIGIN_URL: originUrl, ORIGIN_RATE_PER_MIN: String(s.budgetPerMin) });
  const settings = readPathSettings(c);
  const shared = new RedisRateLimiter(redis, keys, API_KEY, s.budgetPerMin);
  const share = new RedisRateLimiter(
    redis,
    { ...keys, rateBucket: (h: string) => keys.watchRateBucket(h) },
    API_KEY,
    s.share * s.budgetPerMin,
  );
  const hotSet = new RedisHotSet({ redis, keys, hotMs: 3_600_000 });
  const cache = new RedisProfileCache(redis, keys);
  const names = [...origin.profiles.keys()];
  for (const name of names) {
    hotSet.recordRead(name);
    await cache.set(name, { kind: 'profile', profile: makeProfile(name), fetchedAt: Date.now() }, 3_600);
  }
  while ((await redis.zcard(keys.hotReads())) < names.length) await new Promise((r) => setTimeout(r, 10));
  const publisher = countingPublisher();
  const watcher = new ChangeWatcher({
    hotSet,
    cache,
    origin: makeOrigin({
      config: c,
      origin: settings.origin,
      limiter: shared,
      telemetry: noTelemetry,
      apiKey: async () => API_KEY,
    }),
    budget: share,
    changes: new ProfileChanges({ invalidator: { invalidateProfile: async () => [] }, publisher }),
    settings: { hotMs: 3_600_000, maxPerRun: 10_000, concurrency: 4 },
  });
  return { watcher, publisher };
};

/** Runs every second for warm-up + window; counts the checks of runs started inside the window. */
const measure = async (w: Awaited<ReturnType<typeof setUp>>, warmupMs: number, windowMs: number) => {
  const t0 = Date.now();
  let inWindow = 0;
  let inFirstMinute = 0;
  let budgetUsed = 0;
  let failures = 0;
  while (Date.now() - t0 < warmupMs + windowMs) {
    const at = Date.now();
    const r = await w.watcher.run(at + 1_000);
    if (at - t0 >= warmupMs) {
      inWindow += r.checked;
      budgetUsed += r.budgetUsed;
    }
    if (at - t0 < 60_000) inFirstMinute += r.checked;
    failures += r.failures;
    const wait = at + 1_000 - Date.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
  return { perMin: (inWindow * 60_000) / windowMs, budgetUsed, inFirstMinute, failures, changes: w.publisher.events.length };
};

export default async function run(): Promise<SuiteResult> {
  const origin = new DemoOrigin(API_KEY, []);
  for (let i = 0; i < HOT; i++) {
    const name = `hot${i}`;
    origin.profiles.set(name, makeProfile(name, i < EDITED ? { bio: 'edited at the origin' } : {}));
  }
  const originUrl = await origin.listen(0);
  const redis = await connect();
  const rows: Row[] = [];
  const goals: Goal[] = [];
  try {
    const watchers = await Promise.all(SCENARIOS.map((s, i) => setUp(redis, originUrl, origin, `s${i}`, s)));
    const results = await Promise.all(watchers.map((w, i) => measure(w, WARMUP_MS, SCENARIOS[i].windowMs)));
    for (const [i, s] of SCENARIOS.entries()) {
      const r = results[i];
      const target = s.share * s.budgetPerMin;
      rows.push({
        scenario: s.name,
        'share /min': target,
        'checked /min (steady)': Math.round(r.perMin * 10) / 10,
        'of share %': Math.round((r.perMin / target) * 1000) / 10,
        'first minute (with burst)': r.inFirstMinute,
        'changes found': r.changes,
        failures: r.failures,
      });
      goals.push({
        goal: `${s.name}: steady checks a minute ≤ the share (${target}) and ≥ 90% of it`,
        met: r.perMin <= target + 1 && r.perMin >= 0.9 * target,
      });
    }
    // What one watcher can do when the budget does not bind: the origin's and Redis's speed.
    const open: Scenario = {
      name: 'unbound (budget 1,000,000/min × 1)',
      budgetPerMin: 1_000_000,
      share: 1,
      windowMs: CAPACITY_MS,
    };
    const w = await setUp(redis, originUrl, origin, 'open', open);
    const r = await measure(w, 0, CAPACITY_MS);
    rows.push({
      scenario: open.name,
      'share /min': open.budgetPerMin,
      'checked /min (steady)': Math.round(r.perMin),
      'of share %': '',
      'first minute (with burst)': '',
      'changes found': r.changes,
      failures: r.failures,
    });
  } finally {
    redis.disconnect();
    await origin.close();
    await deleteBenchKeys();
  }
  return {
    name: 'watcher',
    rows,
    goals,
    notes: [
      `${HOT} hot profiles, all cached, ${EDITED} edited at the origin; a run every second (concurrency 4).`,
      `"steady" counts runs started after a ${WARMUP_MS / 1000} s warm-up, over ${WINDOW_MS / 1000} s: the share's bucket starts full, so the first minute also spends its burst (one minute's share).`,
      'The unbound row is what one watcher checks a minute when only the origin and Redis limit it (runs are 1 s apart, each listing the hot set).',
    ],
  };
}
