// The Redis/Valkey client, configured to fail fast: a down or slow Redis must degrade reads to
// L1 + origin within milliseconds, never hang a request (ioredis defaults would queue commands
// for seconds). It keeps reconnecting in the background by itself.
// ioredis 5 rather than 6: the same API for all that is used here, RESP2 only (what this code
// would pin anyway), and 46 KB less in the profile Lambda's bundle, which has a 250 KB budget.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export interface RedisConfig {
  /** Unset: no L2 (in-process tier only). `rediss://` turns on TLS. */
  url: string | undefined;
  /** Cluster mode (ElastiCache Serverless / cluster-mode replication groups). */
  cluster: boolean;
  /** Serve reads from replicas where the engine has them. */
  readFromReplicas: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Prefix of every key (`REDIS_KEY_PREFIX`): stacks and test runs sharing one Redis stay apart. */
  keyPrefix: string;
}

export type RedisClient = Redis | Cluster;

const baseOptions = (cfg: RedisConfig): RedisOptions => ({
  connectTimeout: cfg.connectTimeoutMs,
  commandTimeout: cfg.commandTimeoutMs,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  autoResendUnfulfilledCommands: false,
  // Reconnect forever with a capped delay; requests meanwhile fail fast.
  retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
  lazyConnect: false,
});

export const createRedis = (
  cfg: RedisConfig,
  onError: (err: Error) => void,
  extra: RedisOptions = {},
): RedisClient | undefined => {
  if (!cfg.url) return undefined;
  const client = build(cfg, extra);
  // Without a listener ioredis would crash the process on a connection error.
  client.on('error', onError);
  return client;
};

const build = (cfg: RedisConfig, extra: RedisOptions): RedisClient => {
  const url = new URL(cfg.url ?? '');
  const tls = url.protocol === 'rediss:' ? {} : undefined;
  const options: RedisOptions = {
    ...baseOptions(cfg),
    ...(tls ? { tls } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...extra,
  };
  if (cfg.cluster) {
    return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
      // ElastiCache's TLS certificates name the configuration endpoint, not node IPs.
      dnsLookup: (address, callback) => callback(null, address),
      redisOptions: options,
      enableOfflineQueue: false,
      scaleReads: cfg.readFromReplicas ? 'slave' : 'master',
      slotsRefreshTimeout: cfg.connectTimeoutMs,
      clusterRetryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    });
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return new Redis({ host: url.hostname, port: Number(url.port || 6379), db, ...options });
};

/** Resolves once the client is ready, or after `timeoutMs`; never rejects. Used only at cold start. */
export const waitReady = (client: RedisClient, timeoutMs: number): Promise<boolean> => {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.once('ready', onReady);
  });
};
