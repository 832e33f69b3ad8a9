// What each configuration variable means, for people: the README's tables (tools/config-docs.ts)
// and `npm run bench -- --help` read it. Kept apart from variables.ts so that this text does not
// ship in every Lambda bundle; the `satisfies` below makes a variable without a description a type error.
import type { VariableName } from './variables.ts';

/** Who reads a variable: the README groups the table by it. */
export type Scope = 'lambda' | 'local' | 'bench';

export interface VariableDoc {
  /** One line: what it is for. */
  description: string;
  /** Who reads it; `lambda` when left out. */
  scope?: Scope;
  /** Text of the default for the README, when it is not the literal value. */
  defaultText?: string;
}

export const variableDocs = {
  PROFILE_TTL_S: { description: 'L2 freshness of a profile.' },
  LINKS_TTL_S: { description: 'L2 freshness of a link list (also what a redirect accepts).' },
  ANALYTICS_TTL_S: { description: 'Freshness of a cached analytics summary.' },
  L1_TTL_S: { description: 'In-process tier freshness (0 disables L1 hits): the bound on cross-container staleness.' },
  L1_MAX_ENTRIES: { description: 'L1 bound in entries.' },
  L1_MAX_BYTES: { description: 'L1 bound in bytes.', defaultText: '67108864 (64 MiB)' },
  STALE_TTL_S: { description: 'How long past freshness a copy is kept for stale serving.' },
  NEGATIVE_TTL_S: { description: 'How long an origin 404 is remembered.' },
  LOCK_TTL_MS: { description: "The Redis fill lock's lifetime (one origin caller per key)." },
  REDIS_URL: {
    description: 'L2 cache; `rediss://` for TLS.',
    defaultText: 'none: in-process tier only (`npm start` tries redis://127.0.0.1:6379 first)',
  },
  REDIS_CLUSTER: { description: 'Cluster mode (ElastiCache Serverless, cluster-mode groups).' },
  REDIS_READ_REPLICAS: { description: 'Send reads to replicas.' },
  REDIS_CONNECT_TIMEOUT_MS: { description: 'Redis connect bound (fail fast).' },
  REDIS_COMMAND_TIMEOUT_MS: { description: 'Redis command bound (fail fast); also what a hung Redis costs one call.' },
  REDIS_KEY_PREFIX: { description: 'Prefix of every Redis key, so stacks and test runs can share one Redis.' },
  REDIS_BREAKER_FAILURES: {
    description: 'Consecutive failed or timed-out Redis calls after which reads stop asking Redis for a while.',
  },
  REDIS_BREAKER_COOLDOWN_MS: { description: 'How long reads skip Redis after the breaker opens, before one trial call.' },
  ORIGIN_URL: {
    description: 'Base URL of the profile origin.',
    defaultText: '`npm start`: a bundled demo origin on a free port (seeded with `demo`, `alice`, `hostile`)',
  },
  ORIGIN_API_KEY: { description: 'Bearer token sent to the origin.', defaultText: '`npm start`: a dev value' },
  ORIGIN_API_KEY_SECRET_ARN: { description: 'Secret holding `ORIGIN_API_KEY` (AWS).', defaultText: 'set by CDK' },
  ORIGIN_TIMEOUT_MS: { description: 'Origin time-out per attempt.' },
  ORIGIN_RETRY_BUDGET_MS: { description: 'Origin time over all attempts, backoff included.' },
  ORIGIN_MAX_ATTEMPTS: { description: 'Origin attempts per call.' },
  ORIGIN_BACKOFF_BASE_MS: { description: 'First retry backoff (full jitter).' },
  ORIGIN_BACKOFF_CAP_MS: { description: 'Largest retry backoff.' },
  ORIGIN_RATE_PER_MIN: { description: 'Origin request budget per API key, shared through Redis.' },
  ORIGIN: {
    description:
      "Which origin adapter reads profiles: `http` (the origin API), `linktree` (public pages), `linktree-mcp` (Linktree's MCP server), `demo`.",
    defaultText: '`http` when `ORIGIN_URL` is set, else `demo`',
  },
  LINKTREE_BASE_URL: { description: 'Where public Linktree pages are read (`ORIGIN=linktree`).' },
  LINKTREE_MCP_URL: { description: "Linktree's MCP endpoint (`ORIGIN=linktree-mcp`)." },
  LINKTREE_MCP_TOKENS: {
    description:
      'Where the MCP OAuth tokens live: a 0600 file locally, a Secrets Manager ARN in AWS (`npm run linktree:login` writes it).',
  },
  LINKTREE_USER_AGENT: { description: 'User-Agent of requests to Linktree; names the service and a contact.' },
  WATCH_INTERVAL_S: {
    description: 'Change watcher period; `0` turns it off.',
    defaultText: '`60` for the Linktree origins, `0` otherwise',
  },
  WATCH_HOT_S: { description: 'A profile read within this long is hot: the watcher re-reads it.' },
  WATCH_BUDGET_SHARE: { description: 'Share of the origin budget the watcher may spend.' },
  PUBLIC_BASE_URL: {
    description: 'Public origin of the pages (og:url, canonical), e.g. the CDN domain.',
    defaultText: 'the domain each request came in on',
  },
  CORS_ORIGINS: { description: 'Origins whose browser code may call the public API and POST /api/events.' },
  FRAME_ANCESTORS: { description: 'Who may frame /embed/{username} (CSP frame-ancestors); other pages are never framable.' },
  CDN_MAX_AGE_S: { description: 'How long a cache in front (CDN-Cache-Control, s-maxage) may keep a public answer.' },
  CDN_INVALIDATION_TOPIC_ARN: {
    description: 'SNS topic the consumer tells of changed profiles, so the CloudFront invalidator purges their paths.',
    defaultText: 'set by CDK when the CDN is on',
  },
  CDN_DISTRIBUTION_ID: {
    description: 'The CloudFront distribution whose cached paths the invalidator purges when a profile changes.',
    defaultText: 'set by CDK when the CDN is on',
  },
  EVENTS_QUEUE_URL: {
    description: 'SQS queue of analytics and change events.',
    defaultText: '`npm start`: the events queue on fauxqs',
  },
  CLICK_PUBLISH_BUDGET_MS: { description: "How long a redirect waits for its click's enqueue." },
  QUEUE_RETENTION_S: { description: "The events queue's retention: older beacon events are refused." },
  WEBHOOK_SECRET: { description: 'Standard Webhooks signing secret.', defaultText: '`npm start`: a dev value, printed at start' },
  WEBHOOK_SECRET_SECRET_ARN: { description: 'Secret holding `WEBHOOK_SECRET` (AWS).', defaultText: 'set by CDK' },
  IDEMPOTENCY_TABLE: {
    description: 'DynamoDB table claiming each webhook-id once.',
    defaultText: '`npm start`: a table on dynalite',
  },
  IDEMPOTENCY_TTL_S: { description: 'How long a claimed webhook-id is remembered.' },
  IDEMPOTENCY_LEASE_MS: { description: 'How long a claim blocks a concurrent duplicate (at least the function time-out).' },
  VISITOR_SALT_TIMEOUT_MS: {
    description: "The longest an event waits for the day's salt (once per day per container); later, it goes without visitor.",
  },
  SALTS_TABLE: {
    description: "DynamoDB table of the visitors' daily salts (kept at most 48 h); unset: events go without visitor.",
    defaultText: '`npm start`: a table on dynalite',
  },
  WEBHOOK_RETRY_S: { description: 'Delays between attempts of an outgoing webhook delivery, in seconds.' },
  WEBHOOK_ENDPOINTS_TABLE: {
    description: 'DynamoDB table of the outgoing-webhook endpoints (with their signing secrets).',
    defaultText: '`npm start`: a table on dynalite',
  },
  WEBHOOK_DELIVERIES_TABLE: {
    description: 'DynamoDB table of the outgoing-webhook delivery log and attempt claims.',
    defaultText: '`npm start`: a table on dynalite',
  },
  WEBHOOK_DELIVERY_RETENTION_D: { description: 'How long delivery log entries are kept (DynamoDB TTL).' },
  WEBHOOK_TIMEOUT_MS: { description: 'Time-out of one outgoing webhook attempt (connect, send, answer).' },
  DELIVERY_QUEUE_URL: {
    description: 'SQS queue of outgoing webhook attempts (the deliver function consumes it).',
    defaultText: '`npm start`: the delivery queue on fauxqs',
  },
  DELIVERY_DLQ_URL: {
    description: "The delivery queue's dead-letter queue.",
    defaultText: '`npm start`: on fauxqs',
  },
  ADMIN_TOKEN: { description: 'Bearer token of the private routes.', defaultText: '`npm start`: a dev value, printed at start' },
  ADMIN_TOKEN_SECRET_ARN: { description: 'Secret holding `ADMIN_TOKEN` (AWS).', defaultText: 'set by CDK' },
  API_KEYS_TABLE: {
    description: 'DynamoDB table of the scoped API keys (their hashes only).',
    defaultText: '`npm start`: a table on dynalite',
  },
  API_KEY_CACHE_SIZE: { description: 'Most key lookups (found or not) one process remembers, each for at most `L1_TTL_S`.' },
  DATABASE_URL: {
    description: 'Analytics Postgres; in AWS the PG* variables below instead.',
    defaultText: '`npm start`: embedded PGlite under `PGLITE_DIR`',
  },
  PGHOST: { description: 'Postgres host when `DATABASE_URL` is unset.', defaultText: 'set by CDK (RDS Proxy)' },
  PGPORT: { description: 'Postgres port when `DATABASE_URL` is unset.' },
  PGDATABASE: { description: 'Postgres database when `DATABASE_URL` is unset.', defaultText: 'set by CDK' },
  PGUSER: { description: 'Postgres user when `DATABASE_URL` is unset.', defaultText: 'set by CDK' },
  PGSSLMODE: { description: 'TLS to Postgres when `DATABASE_URL` is unset (RDS Proxy requires TLS).' },
  DATABASE: { description: 'Postgres password; overrides the secret of `DATABASE_SECRET_ARN`.', defaultText: 'none' },
  DATABASE_SECRET_ARN: {
    description: 'Secret whose `password` field is the Postgres password (AWS).',
    defaultText: 'set by CDK',
  },
  PG_POOL_MAX: { description: 'Connections per process.', defaultText: '2 (1 on PGlite)' },
  PG_IDLE_TIMEOUT_MS: { description: 'Idle connection lifetime.' },
  PG_CONNECT_TIMEOUT_MS: { description: 'Postgres connect bound.' },
  PG_STATEMENT_TIMEOUT_MS: { description: 'Server-side statement bound.' },
  MIGRATIONS_DIR: { description: 'Where the migration SQL files are.', defaultText: '`sql/` next to the migrate code' },
  ANALYTICS_RAW_RETENTION_D: {
    description: 'How long 10-second analytics windows are kept (hourly: 400 days, daily: for good).',
  },
  BATCH_WINDOW_S: { description: 'Consumer batching window (the SQS event source in AWS).' },
  BATCH_SIZE: { description: 'Largest batch the local SQS poller hands the consumer.', scope: 'local' },
  PRUNE_PROBABILITY: { description: 'Share of batches that also prune old exactly-once ledger ids.' },
  ANALYTICS_ROLLUP_S: {
    description:
      'How often a consumer container may run the rollup job after a batch: the batches of closed hours summed into the hourly and daily tiers (0: never; in AWS the scheduled rollup function runs it). Reports are exact either way.',
  },
  APPLIED_EVENTS_RETENTION_H: {
    description: 'How long the exactly-once ledger keeps an event id; older events are set aside, never counted blind.',
  },
  CONSUMER_BACKOFF_BASE_S: {
    description: 'Database unreachable: first visibility extension of a failed record (then tripled per receive).',
  },
  CONSUMER_BACKOFF_CAP_S: { description: 'Largest visibility extension (SQS allows 12 h).' },
  CONSUMER_SPLIT_BUDGET_MS: { description: 'Time a failed batch may spend being split to isolate poison events.' },
  AWS_REGION: { description: 'Region of the SDK clients.', defaultText: 'set by Lambda; `us-east-1` locally' },
  AWS_DEFAULT_REGION: { description: 'Fallback for `AWS_REGION`.', defaultText: 'none' },
  AWS_ENDPOINT_URL: {
    description: 'SQS and DynamoDB endpoint (an emulator).',
    defaultText: '`npm start`: fauxqs and dynalite on free ports',
  },
  AWS_ENDPOINT_URL_SQS: { description: 'SQS endpoint alone.', defaultText: '`AWS_ENDPOINT_URL`' },
  AWS_ENDPOINT_URL_DYNAMODB: { description: 'DynamoDB endpoint alone.', defaultText: '`AWS_ENDPOINT_URL`' },
  AWS_SESSION_TOKEN: {
    description: 'Authenticates calls to the Parameters and Secrets extension.',
    defaultText: 'set by Lambda',
  },
  PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: { description: 'Port of the Parameters and Secrets extension.' },
  SECRET_TTL_MS: { description: 'How long a secret is reused before it is re-read (rotation).' },
  POWERTOOLS_SERVICE_NAME: { description: 'Service name in logs and metrics.', defaultText: 'the function name (CDK)' },
  POWERTOOLS_METRICS_NAMESPACE: { description: 'CloudWatch namespace of the custom metrics.' },
  POWERTOOLS_METRICS_DISABLED: { description: 'Turns metric emission off.', defaultText: 'false (`npm start`: true)' },
  POWERTOOLS_LOG_LEVEL: { description: 'Log level (read by Powertools).', defaultText: 'INFO (`npm start`: WARN)' },
  LOCAL_STACK: { description: 'Running under `npm start`.', defaultText: 'false (`npm start`: true)' },
  PORT: { description: 'Local API port (0: a free one).', scope: 'local' },
  HOST: { description: 'Local API address.', scope: 'local' },
  DEMO_ORIGIN_PORT: { description: 'Port of the demo origin (0: a free one).', scope: 'local' },
  PGLITE_DIR: { description: 'Data directory of the embedded PGlite.', scope: 'local' },
  MAX_RECEIVE_COUNT: { description: 'Receives before a local event moves to the DLQ.', scope: 'local' },
  QUEUE_VISIBILITY_TIMEOUT_S: { description: 'Visibility time-out of the local events queue.', scope: 'local' },
  DLQ_URL: {
    description: 'The events DLQ: the consumer moves it back once the database answers; `npm run dlq` inspects it.',
    defaultText: '`npm start`: the DLQ on fauxqs; set by CDK on the consumer',
  },
  AWS_ACCESS_KEY_ID: {
    description: 'Credentials for the emulators (the SDK reads them).',
    scope: 'local',
    defaultText: '`npm start`: `local` (emulators)',
  },
  AWS_SECRET_ACCESS_KEY: {
    description: 'Credentials for the emulators (the SDK reads them).',
    scope: 'local',
    defaultText: '`npm start`: `local` (emulators)',
  },
  DEBUG: { description: 'Print the stack trace when `npm start` fails.', scope: 'local' },
  QUEUE_SPOOL_FILE: {
    description:
      'Where `npm start` keeps, at shutdown, the events its in-memory queue could not deliver; re-sent at the next start.',
    scope: 'local',
  },
  BENCH_ROUNDS: { description: 'Rounds of each read-path load test.', scope: 'bench' },
  BENCH_DURATION_MS: { description: 'Length of each load-test round.', scope: 'bench' },
  BENCH_WARMUP_MS: { description: 'Warm-up before each round.', scope: 'bench' },
  BENCH_CONCURRENCY: { description: 'Connections of the load generator.', scope: 'bench' },
  BENCH_STAMPEDE_ROUNDS: { description: 'Rounds of the stampede test.', scope: 'bench' },
  BENCH_WEBHOOK_N: { description: 'Webhooks per webhook-suite run.', scope: 'bench' },
  BENCH_IMPORT_RUNS: { description: 'Cold imports per bundle.', scope: 'bench' },
  BENCH_CONSUMER_BATCHES: { description: 'Batches of the consumer suite.', scope: 'bench' },
  BENCH_CONSUMER_NAIVE: { description: 'Events of the one-by-one consumer baseline.', scope: 'bench' },
  TEST_DATABASE_URL: { description: 'The Postgres the consumer suite (and the tests) write to.', scope: 'bench' },
  TEST_REDIS_URL: { description: 'The Redis the bench and the tests use.', scope: 'bench' },
} satisfies Record<VariableName, VariableDoc>;
