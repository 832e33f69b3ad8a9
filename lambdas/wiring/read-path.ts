// The read path, built once per process. Every handler that reads profiles is wired from this
// module, so in the local stack (all handlers in one process) they share one L1 and one Redis
// connection, exactly as one Lambda container shares them across invocations.
import { MemoryProfileCache } from '../adapters/memory-profile-cache.ts';
import { createRedis, type RedisClient } from '../adapters/redis-client.ts';
import { type RedisKeys, redisKeys } from '../adapters/redis-keys.ts';
import { RedisProfileCache } from '../adapters/redis-profile-cache.ts';
import { RedisRateLimiter } from '../adapters/redis-rate-limiter.ts';
import { secret } from '../adapters/secrets.ts';
import { type Config, config as processConfig, type ReadPathSettings, readPathSettings } from '../config/config.ts';
import type { RateLimiter } from '../core/ports.ts';
import { ProfileService, redisBreaker } from '../core/profile-service.ts';
import { LocalTokenBucket } from '../core/token-bucket.ts';
import { configureCors } from '../shared/cors.ts';
import { registerHealthCheck } from '../shared/health.ts';
import { logger, telemetry } from '../shared/telemetry.ts';
import { buildHotSet } from './hot-set.ts';
import { makeOrigin, type WiredOrigin } from './origin.ts';

export interface ReadPath {
  config: ReadPathSettings;
  redis: RedisClient | undefined;
  /** Every Redis key of this process, under the configured prefix. */
  keys: RedisKeys;
  l1: MemoryProfileCache;
  origin: WiredOrigin;
  service: ProfileService;
}

let built: ReadPath | undefined;
let lastRedisError = 0;

export const readPath = (): ReadPath => {
  if (!built) {
    built = buildReadPath(readPathSettings());
    // The functions with CORS routes (profile, site, track) are all wired through here: the
    // kernel's router answers browsers on other sites by this process-wide policy.
    configureCors(processConfig().CORS_ORIGINS);
  }
  return built;
};

export const buildReadPath = (config: ReadPathSettings, processSettings: Config = processConfig()): ReadPath => {
  const redis = createRedis(config.redis, (err) => {
    // Log a down Redis once per 10 s, not on every reconnect attempt.
    if (Date.now() - lastRedisError > 10_000) {
      lastRedisError = Date.now();
      logger.warn('redis unavailable; serving from L1 and origin', { error: err.message });
    }
  });
  const keys = redisKeys(config.redis.keyPrefix);
  const l1 = new MemoryProfileCache({
    maxEntries: config.cache.l1MaxEntries,
    maxBytes: config.cache.l1MaxBytes,
    retainMs: config.cache.staleTtlS * 1000,
  });
  // One breaker for the process's Redis: reads and the origin's rate limiter stop asking together.
  const breaker = redisBreaker(config.cache, telemetry);
  const apiKey = () => secret('ORIGIN_API_KEY');
  let limiter: RateLimiter | undefined;
  const limiterFor = async (): Promise<RateLimiter> => {
    limiter ??= redis
      ? new RedisRateLimiter(redis, keys, await apiKey(), config.origin.ratePerMin, breaker)
      : new LocalTokenBucket(config.origin.ratePerMin);
    return limiter;
  };
  const origin = makeOrigin({
    config: processSettings,
    origin: config.origin,
    apiKey,
    limiter: { take: async () => (await limiterFor()).take() },
    telemetry,
  });
  const service = new ProfileService({
    config: config.cache,
    l1,
    l2: redis ? new RedisProfileCache(redis, keys) : undefined,
    origin,
    telemetry,
    l2Breaker: breaker,
    // The change watcher's hot set (only while it is on): reads past L1 are recorded there.
    reads: buildHotSet(processSettings, redis, keys, breaker),
  });
  registerHealthCheck('redis', async () => {
    if (!redis) return { status: 'disabled', detail: 'REDIS_URL is not set: in-process tier only' };
    // Reads are not using it, whatever a ping would say now.
    if (service.l2BreakerState() === 'open') return { status: 'down', detail: 'breaker open' };
    await redis.ping();
    return { status: 'up' };
  });
  registerHealthCheck('origin', async () => origin.health());
  return { config, redis, keys, l1, origin, service };
};
