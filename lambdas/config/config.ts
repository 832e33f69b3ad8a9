// The process's configuration: every variable of variables.ts parsed and validated once, from
// `process.env`, on first use (a Lambda's init, or after `npm start` has filled in its embedded
// defaults). This is the only module of the Lambdas that reads the environment.
import type { RedisConfig } from '../adapters/redis-client.ts';
import type { CacheConfig, OriginConfig } from '../core/settings.ts';
import { type Config, parseConfig } from './variables.ts';

export type { Config } from './variables.ts';

let parsed: Config | undefined;

/** Throws ConfigError, naming each bad variable and what it accepts. */
export const config = (): Config => {
  parsed ??= parseConfig(process.env);
  return parsed;
};

/** The read path's settings, grouped for the domain and the adapters. */
export interface ReadPathSettings {
  cache: CacheConfig;
  redis: RedisConfig;
  origin: OriginConfig;
}

export const readPathSettings = (c: Config = config()): ReadPathSettings => ({
  cache: {
    profileTtlS: c.PROFILE_TTL_S,
    linksTtlS: c.LINKS_TTL_S,
    analyticsTtlS: c.ANALYTICS_TTL_S,
    l1TtlS: c.L1_TTL_S,
    l1MaxEntries: c.L1_MAX_ENTRIES,
    l1MaxBytes: c.L1_MAX_BYTES,
    staleTtlS: c.STALE_TTL_S,
    negativeTtlS: c.NEGATIVE_TTL_S,
    cdnMaxAgeS: c.CDN_MAX_AGE_S,
    lockTtlMs: c.LOCK_TTL_MS,
    l2BreakerFailures: c.REDIS_BREAKER_FAILURES,
    l2BreakerCooldownMs: c.REDIS_BREAKER_COOLDOWN_MS,
  },
  redis: {
    url: c.REDIS_URL,
    cluster: c.REDIS_CLUSTER,
    readFromReplicas: c.REDIS_READ_REPLICAS,
    connectTimeoutMs: c.REDIS_CONNECT_TIMEOUT_MS,
    commandTimeoutMs: c.REDIS_COMMAND_TIMEOUT_MS,
    keyPrefix: c.REDIS_KEY_PREFIX,
  },
  origin: {
    url: c.ORIGIN_URL,
    timeoutMs: c.ORIGIN_TIMEOUT_MS,
    retryBudgetMs: c.ORIGIN_RETRY_BUDGET_MS,
    maxAttempts: c.ORIGIN_MAX_ATTEMPTS,
    backoffBaseMs: c.ORIGIN_BACKOFF_BASE_MS,
    backoffCapMs: c.ORIGIN_BACKOFF_CAP_MS,
    ratePerMin: c.ORIGIN_RATE_PER_MIN,
  },
});
