// The change watcher's production dependencies, over the process-wide read path: its origin (whose
// every attempt takes from the shared per-key bucket), its caches (L2 snapshots, or L1 without
// Redis) and its hot set; the webhook path's invalidator and publisher for the changes it finds.
import { waitReady } from '../adapters/redis-client.ts';
import { RedisProfileCache } from '../adapters/redis-profile-cache.ts';
import { RedisRateLimiter } from '../adapters/redis-rate-limiter.ts';
import { secret } from '../adapters/secrets.ts';
import { type Config, config } from '../config/config.ts';
import { ChangeWatcher } from '../core/change-watcher.ts';
import { MemoryHotSet } from '../core/hot-set.ts';
import type { RateLimiter } from '../core/ports.ts';
import { ProfileChanges } from '../core/profile-change.ts';
import { LocalTokenBucket } from '../core/token-bucket.ts';
import { logger, telemetry } from '../shared/telemetry.ts';
import type { WatcherHandlerDeps } from '../watcher/handler.ts';
import { processHotSet, watchInterval } from './hot-set.ts';
import { profileInvalidator } from './invalidator.ts';
import { eventPublisher } from './queue.ts';
import { originKind } from './origin.ts';
import { readPath } from './read-path.ts';

/** Origin reads a run keeps in flight at once. */
const CONCURRENCY = 4;

/** The watcher's share of the origin budget, per minute (WATCH_BUDGET_SHARE × ORIGIN_RATE_PER_MIN). */
export const watchBudgetPerMin = (c: Config): number => c.WATCH_BUDGET_SHARE * c.ORIGIN_RATE_PER_MIN;

const spendNothing: RateLimiter = { take: async () => ({ allowed: false, retryAfterMs: 60_000 }) };

export const wireWatcher = (): WatcherHandlerDeps => {
  const c = config();
  const rp = readPath();
  const intervalS = watchInterval(c);
  const perMin = watchBudgetPerMin(c);
  // The read path built it when the watcher is on; a watcher wired while off has nothing hot.
  const hotSet = processHotSet() ?? new MemoryHotSet();
  const l2 = rp.redis ? new RedisProfileCache(rp.redis, rp.keys) : undefined;

  // The share, a bucket of its own (shared through Redis by every watcher of the deployment): a
  // check takes one token from it before the origin takes its own from the shared bucket, so the
  // watcher never spends more than its share of what user reads draw from too.
  let share: RateLimiter | undefined;
  const shareFor = async (): Promise<RateLimiter> => {
    if (share) return share;
    if (perMin <= 0) share = spendNothing;
    else if (rp.redis) {
      const identity = await secret('ORIGIN_API_KEY').catch(() => originKind(c));
      // The same limiter (it hashes the key, never stores it), on the watcher's own bucket of that key.
      const keys = { ...rp.keys, rateBucket: (hash: string) => rp.keys.watchRateBucket(hash) };
      share = new RedisRateLimiter(rp.redis, keys, identity, perMin);
    } else share = new LocalTokenBucket(perMin);
    return share;
  };

  const watcher = new ChangeWatcher({
    hotSet,
    cache: {
      get: async (username) => (l2 ? l2.get(username) : rp.l1.get(username, Date.now())?.snapshot),
    },
    origin: rp.origin,
    budget: { take: async () => (await shareFor()).take() },
    changes: new ProfileChanges({ invalidator: profileInvalidator(), publisher: eventPublisher() }),
    settings: {
      hotMs: c.WATCH_HOT_S * 1000,
      // A run can spend at most the share's burst plus its refill over one period; list a margin
      // more, since hot profiles without a cached copy cost nothing.
      maxPerRun: Math.min(10_000, Math.ceil(perMin * (1 + Math.max(60, intervalS) / 60)) * 2 + 10),
      concurrency: CONCURRENCY,
    },
    telemetry,
  });

  return {
    watcher,
    intervalS,
    budgetPerMin: perMin,
    // A check in flight at the deadline ends within the origin's retry budget.
    reserveMs: c.ORIGIN_RETRY_BUDGET_MS + c.ORIGIN_TIMEOUT_MS,
    ready: rp.redis
      ? async () => void (await waitReady(rp.redis as NonNullable<typeof rp.redis>, rp.config.redis.connectTimeoutMs))
      : undefined,
    log: (line, extra) => logger.info(line, extra ?? {}),
  };
};
