// The domain's settings; the wiring fills them from the configuration (lambdas/config).

export interface CacheConfig {
  /** Seconds a cached profile is served as fresh (`PROFILE_TTL_S`). */
  profileTtlS: number;
  /** Seconds a link list is served as fresh (`LINKS_TTL_S`). */
  linksTtlS: number;
  /** Seconds an analytics summary is served as fresh (`ANALYTICS_TTL_S`). */
  analyticsTtlS: number;
  /** Seconds the in-process tier keeps a response (`L1_TTL_S`): the bound on cross-container staleness. */
  l1TtlS: number;
  l1MaxEntries: number;
  l1MaxBytes: number;
  /** How long past freshness a copy is kept to serve on origin failure (`STALE_TTL_S`). */
  staleTtlS: number;
  /** Seconds a 404 from the origin is remembered (`NEGATIVE_TTL_S`). */
  negativeTtlS: number;
  /** Seconds a shared cache or CDN in front may keep a cacheable answer (`CDN_MAX_AGE_S`); unset, none is told. */
  cdnMaxAgeS?: number;
  /** Redis lock TTL that elects one origin caller per key across processes. */
  lockTtlMs: number;
  /** Consecutive L2 failures (errors, time-outs) after which reads skip L2 (`REDIS_BREAKER_FAILURES`). */
  l2BreakerFailures: number;
  /** How long reads skip L2 once the breaker opens, before one trial call (`REDIS_BREAKER_COOLDOWN_MS`). */
  l2BreakerCooldownMs: number;
}

export interface OriginConfig {
  url: string;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Upper bound on all attempts of one call, backoff sleeps included. */
  retryBudgetMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Token bucket budget per API key, shared by all processes on the same Redis. */
  ratePerMin: number;
}
