// Per-stage configuration from CDK context: cdk.json holds `stages: { dev: {...}, prod: {...} }`,
// `-c stage=prod` picks one, and any key of StageConfig given on its own (`-c cdn=true`,
// `-c natGateways=2`, `-c alarmEmail=ops@example.com`) overrides the stage's value.

import type { Node } from 'constructs';
import { variables } from '../lambdas/config/variables.ts';

export type CacheMode = 'serverless' | 'replication-group';

export interface StageConfig {
  /** Base URL of the profile origin adapter (contract section 3). */
  originUrl: string;
  /**
   * `ORIGIN`: which origin adapter the functions use: `http` (originUrl), `linktree` (public
   * Linktree pages, read-only, no secret needed) or `linktree-mcp` (Linktree's MCP server).
   */
  origin: string;
  /** `LINKTREE_BASE_URL` for `origin: linktree`. */
  linktreeBaseUrl: string;
  /** `LINKTREE_USER_AGENT`: names the service and a contact. Empty: the code's default. */
  linktreeUserAgent: string;
  /**
   * `WATCH_INTERVAL_S`: the change watcher's period; 0 deploys no watcher; -1 (the default) takes
   * the origin's default (60 s for the Linktree origins, off for http).
   */
  watchIntervalS: number;
  /** `WATCH_HOT_S`: a profile read within this long is watched. */
  watchHotS: number;
  /** `WATCH_BUDGET_SHARE`: the watcher's share of the origin budget. */
  watchBudgetShare: number;
  /**
   * Public origin of the pages (og:url, canonical), e.g. the CDN's custom domain. Empty: the
   * domain each request came in on (the API Gateway domain without a CDN).
   */
  publicBaseUrl: string;
  /**
   * `CORS_ORIGINS` of the functions with CORS routes: `*`, or a comma list of the origins whose
   * browser code may read the public API and post beacons (e.g. `https://app.example.com`).
   */
  corsOrigins: string;
  /** `FRAME_ANCESTORS`: who may frame `/embed/{username}` (CSP frame-ancestors sources). */
  frameAncestors: string;
  // Cache freshness and origin budget: the Lambda env vars of the same meaning.
  profileTtlS: number;
  linksTtlS: number;
  analyticsTtlS: number;
  l1TtlS: number;
  originRatePerMin: number;
  // Click aggregation.
  /** SQS batching window of the consumer (`BATCH_WINDOW_S`), 0–300 s. */
  batchWindowS: number;
  /** SQS event source batch size, 1–10,000. */
  batchSize: number;
  /** Receives before a message moves to the DLQ (AWS advises ≥ 5 for Lambda consumers). */
  maxReceiveCount: number;
  consumerTimeoutS: number;
  /** Concurrency cap of the consumer (event source maximum concurrency and reserved concurrency): protects Postgres. 0 = no cap. */
  consumerConcurrency: number;
  // Network.
  natGateways: number;
  // Cache.
  cacheMode: CacheMode;
  /** Serverless: max data storage (GB) and ECPU/s; replication group: node type, shards, replicas. */
  cacheMaxDataGb: number;
  cacheMaxEcpuPerSecond: number;
  cacheNodeType: string;
  cacheShards: number;
  cacheReplicasPerShard: number;
  // Database.
  minAcu: number;
  maxAcu: number;
  backupRetentionDays: number;
  // API.
  apiRateLimit: number;
  apiBurstLimit: number;
  // Edge.
  cdn: boolean;
  /** WAF rate-based rule: requests per 5 minutes per client IP. */
  wafRateLimit: number;
  // Observability.
  logRetentionDays: number;
  alarmEmail: string;
  queueAgeAlarmS: number;
  /** 5xx share of all requests, percent. */
  api5xxRatePercent: number;
  apiP99LatencyMs: number;
  /** OriginThrottled count in 5 minutes. */
  originThrottledAlarm: number;
  /** ClickEventsDropped count in 5 minutes. */
  clickEventsDroppedAlarm: number;
}

export interface ResolvedStage extends StageConfig {
  stage: string;
  /** Stateful resources are retained and protected. */
  isProd: boolean;
}

export const DEFAULTS: StageConfig = {
  originUrl: 'https://origin.example.com',
  origin: 'http',
  linktreeBaseUrl: 'https://linktr.ee',
  linktreeUserAgent: '',
  watchIntervalS: -1,
  watchHotS: 3_600,
  watchBudgetShare: 0.5,
  publicBaseUrl: '',
  corsOrigins: '*',
  frameAncestors: '*',
  profileTtlS: 300,
  linksTtlS: 120,
  analyticsTtlS: 900,
  l1TtlS: 5,
  originRatePerMin: 150,
  batchWindowS: 10,
  batchSize: 10_000,
  maxReceiveCount: 8,
  consumerTimeoutS: 60,
  consumerConcurrency: 2,
  natGateways: 1,
  cacheMode: 'serverless',
  cacheMaxDataGb: 1,
  cacheMaxEcpuPerSecond: 5_000,
  cacheNodeType: 'cache.t4g.small',
  cacheShards: 1,
  cacheReplicasPerShard: 1,
  minAcu: 0.5,
  maxAcu: 2,
  backupRetentionDays: 1,
  apiRateLimit: 500,
  apiBurstLimit: 1_000,
  cdn: false,
  wafRateLimit: 2_000,
  logRetentionDays: 14,
  alarmEmail: '',
  queueAgeAlarmS: 300,
  api5xxRatePercent: 1,
  apiP99LatencyMs: 2_000,
  originThrottledAlarm: 10,
  clickEventsDroppedAlarm: 1,
};

const coerce = (key: keyof StageConfig, value: unknown): unknown => {
  const fallback = DEFAULTS[key];
  if (typeof value !== 'string') return value;
  // `-c key=value` always arrives as a string.
  if (typeof fallback === 'number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`context ${key} must be a number, got "${value}"`);
    return n;
  }
  if (typeof fallback === 'boolean') {
    if (value !== 'true' && value !== 'false') throw new Error(`context ${key} must be true or false, got "${value}"`);
    return value === 'true';
  }
  return value;
};

/** Reads `stage` (default `dev`), its entry under `stages`, then single-key overrides. */
export const resolveStage = (node: Node): ResolvedStage => {
  const stage = String(node.tryGetContext('stage') ?? 'dev');
  const stages = (node.tryGetContext('stages') ?? {}) as Record<string, Partial<StageConfig>>;
  const fromStage = stages[stage];
  if (!fromStage) throw new Error(`Unknown stage "${stage}": add it under context.stages in cdk.json`);
  const cfg: Record<string, unknown> = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof StageConfig)[]) {
    if (fromStage[key] !== undefined) cfg[key] = coerce(key, fromStage[key]);
    const override = node.tryGetContext(key);
    if (override !== undefined) cfg[key] = coerce(key, override);
    if (typeof cfg[key] !== typeof DEFAULTS[key]) throw new Error(`context ${key} has the wrong type`);
  }
  const resolved = { ...(cfg as unknown as StageConfig), stage, isProd: stage === 'prod' };
  validate(resolved);
  return resolved;
};

const validate = (c: ResolvedStage): void => {
  const fail = (msg: string): never => {
    throw new Error(`stage ${c.stage}: ${msg}`);
  };
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(c.stage)) fail('stage must be lowercase alphanumeric, at most 16 characters');
  if (!/^https?:\/\//.test(c.originUrl)) fail('originUrl must be an http(s) URL');
  // `demo` is the local stack's bundled origin: nothing to deploy it against.
  if (!['http', 'linktree', 'linktree-mcp'].includes(c.origin)) fail('origin must be http, linktree or linktree-mcp');
  if (!variables.LINKTREE_BASE_URL.schema.safeParse(c.linktreeBaseUrl).success)
    fail(`linktreeBaseUrl must be ${variables.LINKTREE_BASE_URL.accepts}`);
  if (c.linktreeUserAgent && !variables.LINKTREE_USER_AGENT.schema.safeParse(c.linktreeUserAgent).success)
    fail(`linktreeUserAgent must be ${variables.LINKTREE_USER_AGENT.accepts}`);
  if (c.watchIntervalS !== -1 && !variables.WATCH_INTERVAL_S.schema.safeParse(String(c.watchIntervalS)).success)
    fail(`watchIntervalS must be -1 (the origin's default) or ${variables.WATCH_INTERVAL_S.accepts}`);
  if (!variables.WATCH_HOT_S.schema.safeParse(String(c.watchHotS)).success)
    fail(`watchHotS must be ${variables.WATCH_HOT_S.accepts}`);
  if (!variables.WATCH_BUDGET_SHARE.schema.safeParse(String(c.watchBudgetShare)).success)
    fail(`watchBudgetShare must be ${variables.WATCH_BUDGET_SHARE.accepts}`);
  if (c.publicBaseUrl && !/^https?:\/\/[^/]+\/?$/.test(c.publicBaseUrl))
    fail('publicBaseUrl must be an http(s) origin, e.g. https://links.example.com');
  if (!variables.CORS_ORIGINS.schema.safeParse(c.corsOrigins).success)
    fail(`corsOrigins must be ${variables.CORS_ORIGINS.accepts}`);
  if (!variables.FRAME_ANCESTORS.schema.safeParse(c.frameAncestors).success)
    fail(`frameAncestors must be ${variables.FRAME_ANCESTORS.accepts}`);
  if (c.cacheMode !== 'serverless' && c.cacheMode !== 'replication-group')
    fail('cacheMode must be serverless or replication-group');
  if (c.batchSize < 1 || c.batchSize > 10_000) fail('batchSize must be 1..10000');
  if (c.batchWindowS < 0 || c.batchWindowS > 300) fail('batchWindowS must be 0..300');
  if (c.batchSize > 10 && c.batchWindowS < 1) fail('a batchSize above 10 needs a batching window of at least 1 s');
  if (c.maxReceiveCount < 1) fail('maxReceiveCount must be at least 1');
  // Aurora Serverless v2 can pause at 0 ACU, but not while an RDS Proxy is attached.
  if (c.minAcu < 0.5) fail('minAcu must be at least 0.5: scale-to-zero is not allowed together with RDS Proxy');
  if (c.maxAcu < c.minAcu) fail('maxAcu must be at least minAcu');
  if (c.natGateways < 1) fail('natGateways must be at least 1: the origin is on the internet');
  if (c.cacheReplicasPerShard < 1) fail('cacheReplicasPerShard must be at least 1 (reads go to replicas)');
  if (c.consumerConcurrency !== 0 && c.consumerConcurrency < 2)
    fail('consumerConcurrency must be 0 (no cap) or at least 2 (SQS event source minimum)');
};
