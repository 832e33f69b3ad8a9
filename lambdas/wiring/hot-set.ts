// The process's hot set (the change watcher's list of recently read profiles): in Redis when the
// process has one, shared by every container; else in process. Built by the read path, which
// records reads into it, only while the watcher is on (WATCH_INTERVAL_S > 0): otherwise reads
// record nothing at all.
import type { RedisClient } from '../adapters/redis-client.ts';
import { RedisHotSet } from '../adapters/redis-hot-set.ts';
import type { RedisKeys } from '../adapters/redis-keys.ts';
import type { Config } from '../config/config.ts';
import { watchIntervalS } from '../core/change-watcher.ts';
import type { CircuitBreaker } from '../core/circuit-breaker.ts';
import { type HotSet, MemoryHotSet } from '../core/hot-set.ts';
import { originKind } from './origin.ts';

let built: HotSet | undefined;

/** The watcher's period for this configuration (0: off). */
export const watchInterval = (c: Config): number => watchIntervalS(c.WATCH_INTERVAL_S, originKind(c));

/** Builds the process's hot set (undefined while the watcher is off). */
export const buildHotSet = (
  c: Config,
  redis: RedisClient | undefined,
  keys: RedisKeys,
  breaker: CircuitBreaker | undefined,
): HotSet | undefined => {
  if (watchInterval(c) <= 0) return undefined;
  built = redis ? new RedisHotSet({ redis, keys, hotMs: c.WATCH_HOT_S * 1000, breaker }) : new MemoryHotSet();
  return built;
};

/** The hot set the read path built (call after `readPath()`). */
export const processHotSet = (): HotSet | undefined => built;
