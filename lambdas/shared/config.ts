// Configuration from the environment: the same variable names locally (contract section 1)
// and in Lambda (set by CDK from context). Parsed once per container.

const num = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
};

const bool = (env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return raw === '1' || raw.toLowerCase() === 'true';
};

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
  /** Redis lock TTL that elects one origin caller per key across processes. */
  lockTtlMs: number;
}

export interface RedisConfig {
  /** Unset: no L2 (in-process tier only). `rediss://` turns on TLS. */
  url: string | undefined;
  /** Cluster mode (ElastiCache Serverless / cluster-mode replication groups). */
  cluster: boolean;
  /** Serve reads from replicas where the engine has them. */
  readFromReplicas: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
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

export interface Config {
  cache: CacheConfig;
  redis: RedisConfig;
  origin: OriginConfig;
  /** Lambda or local; only changes logging defaults. */
  local: boolean;
}

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => ({
  cache: {
    profileTtlS: num(env, 'PROFILE_TTL_S', 300),
    linksTtlS: num(env, 'LINKS_TTL_S', 120),
    analyticsTtlS: num(env, 'ANALYTICS_TTL_S', 900),
    l1TtlS: num(env, 'L1_TTL_S', 5),
    l1MaxEntries: num(env, 'L1_MAX_ENTRIES', 10_000),
    l1MaxBytes: num(env, 'L1_MAX_BYTES', 64 * 1024 * 1024),
    staleTtlS: num(env, 'STALE_TTL_S', 86_400),
    negativeTtlS: num(env, 'NEGATIVE_TTL_S', 60),
    lockTtlMs: num(env, 'LOCK_TTL_MS', 5_000),
  },
  redis: {
    url: env.REDIS_URL || undefined,
    cluster: bool(env, 'REDIS_CLUSTER', false),
    readFromReplicas: bool(env, 'REDIS_READ_REPLICAS', false),
    connectTimeoutMs: num(env, 'REDIS_CONNECT_TIMEOUT_MS', 1_000),
    commandTimeoutMs: num(env, 'REDIS_COMMAND_TIMEOUT_MS', 250),
  },
  origin: {
    url: (env.ORIGIN_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, ''),
    timeoutMs: num(env, 'ORIGIN_TIMEOUT_MS', 2_000),
    retryBudgetMs: num(env, 'ORIGIN_RETRY_BUDGET_MS', 5_000),
    maxAttempts: num(env, 'ORIGIN_MAX_ATTEMPTS', 4),
    backoffBaseMs: num(env, 'ORIGIN_BACKOFF_BASE_MS', 100),
    backoffCapMs: num(env, 'ORIGIN_BACKOFF_CAP_MS', 2_000),
    ratePerMin: num(env, 'ORIGIN_RATE_PER_MIN', 150),
  },
  local: bool(env, 'LOCAL_STACK', false),
});
