// Every environment variable the code reads, in one table: type, default, bounds and meaning.
// The Lambdas and the local stack parse it (config.ts), CDK writes a function's environment
// through it (`formatEnv`), the bench reads its options from it, and the README's configuration
// table is generated from it (tools/config-docs.ts), so the names exist once.
import * as z from 'zod/mini';

/** Who reads a variable: the README groups the table by it. */
export type Scope = 'lambda' | 'local' | 'bench';

interface Base<T> {
  kind: 'int' | 'number' | 'bool' | 'string' | 'url' | 'enum';
  description: string;
  scope: Scope;
  default: T | undefined;
  /** A credential: never printed, never logged; in AWS it comes from `<NAME>_SECRET_ARN`. */
  secret?: boolean;
  /** Human text of what the variable accepts, for errors and the README. */
  accepts: string;
  /** Text of the default for the README, when it is not the literal value. */
  defaultText?: string;
  schema: z.ZodMiniType<T, string>;
}

export type Variable<T = unknown> = Base<T>;

interface Common {
  description: string;
  scope?: Scope;
  defaultText?: string;
  secret?: boolean;
}

/** Keeps whether a default was given in the type: variables without one parse to `T | undefined`. */
type WithDefault<T, D> = Base<T> & { default: D };

interface NumericOptions<D> extends Common {
  default?: D;
  min: number;
  max: number;
  unit?: string;
}

const numeric = <D extends number | undefined>(kind: 'int' | 'number', o: NumericOptions<D>): WithDefault<number, D> => {
  const isInt = kind === 'int';
  const schema = z.pipe(
    z.string().check(z.regex(/^\s*-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i)),
    z.pipe(
      z.transform((s: string) => Number(s)),
      z.number().check(
        z.gte(o.min),
        z.lte(o.max),
        z.refine((n) => !isInt || Number.isInteger(n)),
      ),
    ),
  ) as unknown as z.ZodMiniType<number, string>;
  const range = `from ${o.min} to ${o.max}${o.unit ? ` ${o.unit}` : ''}`;
  return {
    kind,
    description: o.description,
    scope: o.scope ?? 'lambda',
    default: o.default as D,
    defaultText: o.defaultText,
    secret: o.secret,
    accepts: `${isInt ? 'an integer' : 'a number'} ${range}`,
    schema,
  };
};

const int = <D extends number | undefined = undefined>(o: NumericOptions<D>) => numeric('int', o);
const num = <D extends number | undefined = undefined>(o: NumericOptions<D>) => numeric('number', o);

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
const bool = (o: Common & { default: boolean }): WithDefault<boolean, boolean> => ({
  kind: 'bool',
  description: o.description,
  scope: o.scope ?? 'lambda',
  default: o.default,
  defaultText: o.defaultText,
  accepts: 'true or false (also 1/0, yes/no, on/off)',
  schema: z.pipe(
    z.string().check(z.refine((s) => [...TRUE, ...FALSE].includes(s.trim().toLowerCase()))),
    z.transform((s: string) => TRUE.includes(s.trim().toLowerCase())),
  ) as unknown as z.ZodMiniType<boolean, string>,
});

const str = <D extends string | undefined = undefined>(
  o: Common & { default?: D; pattern?: RegExp; accepts?: string; maxLength?: number },
): WithDefault<string, D> => ({
  kind: 'string',
  description: o.description,
  scope: o.scope ?? 'lambda',
  default: o.default as D,
  defaultText: o.defaultText,
  secret: o.secret,
  accepts: o.accepts ?? 'text',
  schema: z
    .string()
    .check(z.maxLength(o.maxLength ?? 4096), ...(o.pattern ? [z.regex(o.pattern)] : [])) as unknown as z.ZodMiniType<
    string,
    string
  >,
});

/** A URL of one of `protocols`; trailing slashes are dropped so callers can append paths. */
const url = <D extends string | undefined = undefined>(
  o: Common & { default?: D; protocols: readonly string[] },
): WithDefault<string, D> => ({
  kind: 'url',
  description: o.description,
  scope: o.scope ?? 'lambda',
  default: o.default as D,
  defaultText: o.defaultText,
  secret: o.secret,
  accepts: `a URL (${o.protocols.map((p) => `${p}://`).join(' or ')})`,
  schema: z.pipe(
    z.string().check(
      z.refine((s) => {
        try {
          return o.protocols.includes(new URL(s.trim()).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      }),
    ),
    z.transform((s: string) => s.trim().replace(/\/+$/, '')),
  ) as unknown as z.ZodMiniType<string, string>,
});

const oneOf = <const V extends string, D extends V | undefined = undefined>(
  o: Common & { values: readonly V[]; default?: D },
): WithDefault<V, D> => ({
  kind: 'enum',
  description: o.description,
  scope: o.scope ?? 'lambda',
  default: o.default as D,
  defaultText: o.defaultText,
  accepts: `one of ${o.values.join(', ')}`,
  schema: z.enum(o.values as unknown as [V, ...V[]]) as unknown as z.ZodMiniType<V, string>,
});

const S = 1;
const DAY_S = 86_400 * S;
const HOUR_MS = 3_600_000;

export const variables = {
  // Cache tiers.
  PROFILE_TTL_S: int({ default: 300, min: 0, max: 7 * DAY_S, unit: 's', description: 'L2 freshness of a profile.' }),
  LINKS_TTL_S: int({
    default: 120,
    min: 0,
    max: 7 * DAY_S,
    unit: 's',
    description: 'L2 freshness of a link list (also what a redirect accepts).',
  }),
  ANALYTICS_TTL_S: int({
    default: 900,
    min: 0,
    max: 7 * DAY_S,
    unit: 's',
    description: 'Freshness of a cached analytics summary.',
  }),
  L1_TTL_S: int({
    default: 5,
    min: 0,
    max: 3_600,
    unit: 's',
    description: 'In-process tier freshness (0 disables L1 hits): the bound on cross-container staleness.',
  }),
  L1_MAX_ENTRIES: int({ default: 10_000, min: 1, max: 10_000_000, description: 'L1 bound in entries.' }),
  L1_MAX_BYTES: int({
    default: 64 * 1024 * 1024,
    defaultText: '67108864 (64 MiB)',
    min: 1_024,
    max: 8 * 1024 ** 3,
    description: 'L1 bound in bytes.',
  }),
  STALE_TTL_S: int({
    default: DAY_S,
    min: 0,
    max: 30 * DAY_S,
    unit: 's',
    description: 'How long past freshness a copy is kept for stale serving.',
  }),
  NEGATIVE_TTL_S: int({ default: 60, min: 0, max: DAY_S, unit: 's', description: 'How long an origin 404 is remembered.' }),
  LOCK_TTL_MS: int({
    default: 5_000,
    min: 100,
    max: 60_000,
    unit: 'ms',
    description: "The Redis fill lock's lifetime (one origin caller per key).",
  }),

  // Redis / Valkey (L2).
  REDIS_URL: url({
    protocols: ['redis', 'rediss'],
    defaultText: 'none: in-process tier only (`npm start` tries redis://127.0.0.1:6379 first)',
    description: 'L2 cache; `rediss://` for TLS.',
  }),
  REDIS_CLUSTER: bool({ default: false, description: 'Cluster mode (ElastiCache Serverless, cluster-mode groups).' }),
  REDIS_READ_REPLICAS: bool({ default: false, description: 'Send reads to replicas.' }),
  REDIS_CONNECT_TIMEOUT_MS: int({
    default: 1_000,
    min: 50,
    max: 60_000,
    unit: 'ms',
    description: 'Redis connect bound (fail fast).',
  }),
  REDIS_COMMAND_TIMEOUT_MS: int({
    default: 250,
    min: 10,
    // A read spends at most 1.5 s in L2 calls plus one more call: with this cap, 2 s in all.
    max: 500,
    unit: 'ms',
    description: 'Redis command bound (fail fast); also what a hung Redis costs one call.',
  }),
  REDIS_KEY_PREFIX: str({
    default: 'lc:',
    pattern: /^[A-Za-z0-9:._-]{0,64}$/,
    accepts: 'up to 64 letters, digits, ":", ".", "_" or "-"',
    description: 'Prefix of every Redis key, so stacks and test runs can share one Redis.',
  }),
  REDIS_BREAKER_FAILURES: int({
    default: 3,
    min: 1,
    max: 1_000,
    description: 'Consecutive Redis time-outs after which reads stop asking Redis for a while.',
  }),
  REDIS_BREAKER_COOLDOWN_MS: int({
    default: 10_000,
    min: 100,
    max: 600_000,
    unit: 'ms',
    description: 'How long reads skip Redis after the breaker opens, before one trial call.',
  }),

  // Profile origin.
  ORIGIN_URL: url({
    protocols: ['http', 'https'],
    default: 'http://127.0.0.1:4000',
    defaultText: '`npm start`: a bundled demo origin on a free port (seeded with `demo`, `alice`, `hostile`)',
    description: 'Base URL of the profile origin.',
  }),
  ORIGIN_API_KEY: str({ secret: true, defaultText: '`npm start`: a dev value', description: 'Bearer token sent to the origin.' }),
  ORIGIN_API_KEY_SECRET_ARN: str({
    defaultText: 'set by CDK',
    accepts: 'a Secrets Manager ARN',
    description: 'Secret holding `ORIGIN_API_KEY` (AWS).',
  }),
  ORIGIN_TIMEOUT_MS: int({ default: 2_000, min: 50, max: 60_000, unit: 'ms', description: 'Origin time-out per attempt.' }),
  ORIGIN_RETRY_BUDGET_MS: int({
    default: 5_000,
    min: 0,
    max: 60_000,
    unit: 'ms',
    description: 'Origin time over all attempts, backoff included.',
  }),
  ORIGIN_MAX_ATTEMPTS: int({ default: 4, min: 1, max: 10, description: 'Origin attempts per call.' }),
  ORIGIN_BACKOFF_BASE_MS: int({
    default: 100,
    min: 1,
    max: 60_000,
    unit: 'ms',
    description: 'First retry backoff (full jitter).',
  }),
  ORIGIN_BACKOFF_CAP_MS: int({ default: 2_000, min: 1, max: 60_000, unit: 'ms', description: 'Largest retry backoff.' }),
  ORIGIN_RATE_PER_MIN: int({
    default: 150,
    min: 1,
    max: 1_000_000,
    description: 'Origin request budget per API key, shared through Redis.',
  }),
  PUBLIC_BASE_URL: url({
    protocols: ['http', 'https'],
    defaultText: 'the domain each request came in on',
    description: 'Public origin of the pages (og:url, canonical), e.g. the CDN domain.',
  }),

  // Events queue and its producers.
  EVENTS_QUEUE_URL: url({
    protocols: ['http', 'https'],
    defaultText: '`npm start`: the events queue on fauxqs',
    description: 'SQS queue of analytics and change events.',
  }),
  CLICK_PUBLISH_BUDGET_MS: int({
    default: 300,
    min: 10,
    max: 10_000,
    unit: 'ms',
    description: "How long a redirect waits for its click's enqueue.",
  }),
  QUEUE_RETENTION_S: int({
    default: 4 * DAY_S,
    min: 60,
    max: 14 * DAY_S,
    unit: 's',
    description: "The events queue's retention: older beacon events are refused.",
  }),

  // Webhooks in.
  WEBHOOK_SECRET: str({
    secret: true,
    pattern: /^whsec_[A-Za-z0-9+/=]+$/,
    accepts: 'whsec_<base64>',
    defaultText: '`npm start`: a dev value, printed at start',
    description: 'Standard Webhooks signing secret.',
  }),
  WEBHOOK_SECRET_SECRET_ARN: str({
    defaultText: 'set by CDK',
    accepts: 'a Secrets Manager ARN',
    description: 'Secret holding `WEBHOOK_SECRET` (AWS).',
  }),
  IDEMPOTENCY_TABLE: str({
    defaultText: '`npm start`: a table on dynalite',
    accepts: 'a DynamoDB table name',
    pattern: /^[A-Za-z0-9_.-]{3,255}$/,
    description: 'DynamoDB table claiming each webhook-id once.',
  }),
  IDEMPOTENCY_TTL_S: int({
    default: 7 * DAY_S,
    min: 60,
    max: 365 * DAY_S,
    unit: 's',
    description: 'How long a claimed webhook-id is remembered.',
  }),
  IDEMPOTENCY_LEASE_MS: int({
    default: 30_000,
    min: 1_000,
    max: 900_000,
    unit: 'ms',
    description: 'How long a claim blocks a concurrent duplicate (at least the function time-out).',
  }),

  // Private routes.
  ADMIN_TOKEN: str({
    secret: true,
    defaultText: '`npm start`: a dev value, printed at start',
    description: 'Bearer token of the private routes.',
  }),
  ADMIN_TOKEN_SECRET_ARN: str({
    defaultText: 'set by CDK',
    accepts: 'a Secrets Manager ARN',
    description: 'Secret holding `ADMIN_TOKEN` (AWS).',
  }),

  // Analytics database.
  DATABASE_URL: url({
    protocols: ['postgres', 'postgresql'],
    secret: true,
    defaultText: '`npm start`: embedded PGlite under `PGLITE_DIR`',
    description: 'Analytics Postgres; in AWS the PG* variables below instead.',
  }),
  PGHOST: str({
    defaultText: 'set by CDK (RDS Proxy)',
    accepts: 'a host name',
    description: 'Postgres host when `DATABASE_URL` is unset.',
  }),
  PGPORT: int({ default: 5432, min: 1, max: 65_535, description: 'Postgres port when `DATABASE_URL` is unset.' }),
  PGDATABASE: str({
    defaultText: 'set by CDK',
    accepts: 'a database name',
    description: 'Postgres database when `DATABASE_URL` is unset.',
  }),
  PGUSER: str({ defaultText: 'set by CDK', accepts: 'a role name', description: 'Postgres user when `DATABASE_URL` is unset.' }),
  PGSSLMODE: oneOf({
    values: ['disable', 'require', 'verify-full'],
    default: 'require',
    description: 'TLS to Postgres when `DATABASE_URL` is unset (RDS Proxy requires TLS).',
  }),
  DATABASE: str({
    secret: true,
    defaultText: 'none',
    description: 'Postgres password; overrides the secret of `DATABASE_SECRET_ARN`.',
  }),
  DATABASE_SECRET_ARN: str({
    defaultText: 'set by CDK',
    accepts: 'a Secrets Manager ARN',
    description: 'Secret whose `password` field is the Postgres password (AWS).',
  }),
  PG_POOL_MAX: int({ default: 2, min: 1, max: 100, defaultText: '2 (1 on PGlite)', description: 'Connections per process.' }),
  PG_IDLE_TIMEOUT_MS: int({ default: 60_000, min: 0, max: 3_600_000, unit: 'ms', description: 'Idle connection lifetime.' }),
  PG_CONNECT_TIMEOUT_MS: int({ default: 5_000, min: 100, max: 60_000, unit: 'ms', description: 'Postgres connect bound.' }),
  PG_STATEMENT_TIMEOUT_MS: int({
    default: 30_000,
    min: 100,
    max: 900_000,
    unit: 'ms',
    description: 'Server-side statement bound.',
  }),
  MIGRATIONS_DIR: str({
    defaultText: '`sql/` next to the migrate code',
    accepts: 'a directory path',
    description: 'Where the migration SQL files are.',
  }),

  // The consumer.
  BATCH_WINDOW_S: int({
    default: 10,
    min: 0,
    max: 300,
    unit: 's',
    description: 'Consumer batching window (the SQS event source in AWS).',
  }),
  BATCH_SIZE: int({
    default: 10_000,
    min: 1,
    max: 10_000,
    scope: 'local',
    description: 'Largest batch the local SQS poller hands the consumer.',
  }),
  PRUNE_PROBABILITY: num({
    default: 0.02,
    min: 0,
    max: 1,
    description: 'Share of batches that also prune old exactly-once ledger ids.',
  }),
  APPLIED_EVENTS_RETENTION_H: int({
    default: 120,
    min: 1,
    max: 24 * 365,
    unit: 'h',
    description: 'How long the exactly-once ledger keeps an event id; older events are set aside, never counted blind.',
  }),
  CONSUMER_BACKOFF_BASE_S: int({
    default: 30,
    min: 1,
    max: 43_200,
    unit: 's',
    description: 'Database unreachable: first visibility extension of a failed record (then tripled per receive).',
  }),
  CONSUMER_BACKOFF_CAP_S: int({
    default: 43_200,
    min: 1,
    max: 43_200,
    unit: 's',
    description: 'Largest visibility extension (SQS allows 12 h).',
  }),
  CONSUMER_SPLIT_BUDGET_MS: int({
    default: 60_000,
    min: 1_000,
    max: 900_000,
    unit: 'ms',
    description: 'Time a failed batch may spend being split to isolate poison events.',
  }),

  // AWS SDK, Lambda runtime and Powertools.
  AWS_REGION: str({
    defaultText: 'set by Lambda; `us-east-1` locally',
    accepts: 'an AWS region',
    description: 'Region of the SDK clients.',
  }),
  AWS_DEFAULT_REGION: str({ defaultText: 'none', accepts: 'an AWS region', description: 'Fallback for `AWS_REGION`.' }),
  AWS_ENDPOINT_URL: url({
    protocols: ['http', 'https'],
    defaultText: '`npm start`: fauxqs and dynalite on free ports',
    description: 'SQS and DynamoDB endpoint (an emulator).',
  }),
  AWS_ENDPOINT_URL_SQS: url({
    protocols: ['http', 'https'],
    defaultText: '`AWS_ENDPOINT_URL`',
    description: 'SQS endpoint alone.',
  }),
  AWS_ENDPOINT_URL_DYNAMODB: url({
    protocols: ['http', 'https'],
    defaultText: '`AWS_ENDPOINT_URL`',
    description: 'DynamoDB endpoint alone.',
  }),
  AWS_SESSION_TOKEN: str({
    secret: true,
    maxLength: 16_384,
    defaultText: 'set by Lambda',
    description: 'Authenticates calls to the Parameters and Secrets extension.',
  }),
  PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: int({
    default: 2773,
    min: 1,
    max: 65_535,
    description: 'Port of the Parameters and Secrets extension.',
  }),
  SECRET_TTL_MS: int({
    default: 300_000,
    min: 0,
    max: 24 * HOUR_MS,
    unit: 'ms',
    description: 'How long a secret is reused before it is re-read (rotation).',
  }),
  POWERTOOLS_SERVICE_NAME: str({
    default: 'linkcache',
    defaultText: 'the function name (CDK)',
    description: 'Service name in logs and metrics.',
  }),
  POWERTOOLS_METRICS_NAMESPACE: str({ default: 'LinkCache', description: 'CloudWatch namespace of the custom metrics.' }),
  POWERTOOLS_METRICS_DISABLED: bool({
    default: false,
    defaultText: 'false (`npm start`: true)',
    description: 'Turns metric emission off.',
  }),
  POWERTOOLS_LOG_LEVEL: oneOf({
    values: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'],
    default: 'INFO',
    defaultText: 'INFO (`npm start`: WARN)',
    description: 'Log level (read by Powertools).',
  }),
  LOCAL_STACK: bool({ default: false, defaultText: 'false (`npm start`: true)', description: 'Running under `npm start`.' }),

  // Local stack.
  PORT: int({ default: 3000, min: 0, max: 65_535, scope: 'local', description: 'Local API port (0: a free one).' }),
  HOST: str({ default: '127.0.0.1', scope: 'local', accepts: 'an address to listen on', description: 'Local API address.' }),
  DEMO_ORIGIN_PORT: int({
    default: 0,
    min: 0,
    max: 65_535,
    scope: 'local',
    description: 'Port of the demo origin (0: a free one).',
  }),
  PGLITE_DIR: str({
    default: '.data/pglite',
    scope: 'local',
    accepts: 'a directory path',
    description: 'Data directory of the embedded PGlite.',
  }),
  MAX_RECEIVE_COUNT: int({
    default: 5,
    min: 1,
    max: 1_000,
    scope: 'local',
    description: 'Receives before a local event moves to the DLQ.',
  }),
  QUEUE_VISIBILITY_TIMEOUT_S: int({
    default: 60,
    min: 1,
    max: 43_200,
    unit: 's',
    scope: 'local',
    description: 'Visibility time-out of the local events queue.',
  }),
  DLQ_URL: url({
    protocols: ['http', 'https'],
    defaultText: '`npm start`: the DLQ on fauxqs; set by CDK on the consumer',
    description: 'The events DLQ: the consumer moves it back once the database answers; `npm run dlq` inspects it.',
  }),
  AWS_ACCESS_KEY_ID: str({
    secret: true,
    scope: 'local',
    defaultText: '`npm start`: `local` (emulators)',
    description: 'Credentials for the emulators (the SDK reads them).',
  }),
  AWS_SECRET_ACCESS_KEY: str({
    secret: true,
    scope: 'local',
    defaultText: '`npm start`: `local` (emulators)',
    description: 'Credentials for the emulators (the SDK reads them).',
  }),
  DEBUG: bool({ default: false, scope: 'local', description: 'Print the stack trace when `npm start` fails.' }),
  QUEUE_SPOOL_FILE: str({
    default: '.data/queue-spool.json',
    scope: 'local',
    accepts: 'a file path',
    description:
      'Where `npm start` keeps, at shutdown, the events its in-memory queue could not deliver; re-sent at the next start.',
  }),

  // Bench (`npm run bench -- --help`).
  BENCH_ROUNDS: int({ default: 3, min: 1, max: 100, scope: 'bench', description: 'Rounds of each read-path load test.' }),
  BENCH_DURATION_MS: int({
    default: 5_000,
    min: 100,
    max: 600_000,
    unit: 'ms',
    scope: 'bench',
    description: 'Length of each load-test round.',
  }),
  BENCH_WARMUP_MS: int({
    default: 1_000,
    min: 0,
    max: 60_000,
    unit: 'ms',
    scope: 'bench',
    description: 'Warm-up before each round.',
  }),
  BENCH_CONCURRENCY: int({ default: 32, min: 1, max: 4_096, scope: 'bench', description: 'Connections of the load generator.' }),
  BENCH_STAMPEDE_ROUNDS: int({ default: 3, min: 1, max: 100, scope: 'bench', description: 'Rounds of the stampede test.' }),
  BENCH_WEBHOOK_N: int({ default: 400, min: 1, max: 100_000, scope: 'bench', description: 'Webhooks per webhook-suite run.' }),
  BENCH_IMPORT_RUNS: int({ default: 5, min: 1, max: 100, scope: 'bench', description: 'Cold imports per bundle.' }),
  BENCH_CONSUMER_BATCHES: int({ default: 8, min: 1, max: 1_000, scope: 'bench', description: 'Batches of the consumer suite.' }),
  BENCH_CONSUMER_NAIVE: int({
    default: 3_000,
    min: 1,
    max: 1_000_000,
    scope: 'bench',
    description: 'Events of the one-by-one consumer baseline.',
  }),
  TEST_DATABASE_URL: url({
    protocols: ['postgres', 'postgresql'],
    default: 'postgresql://postgres@127.0.0.1:5432/test',
    scope: 'bench',
    description: 'The Postgres the consumer suite (and the tests) write to.',
  }),
  TEST_REDIS_URL: url({
    protocols: ['redis', 'rediss'],
    default: 'redis://127.0.0.1:6379',
    scope: 'bench',
    description: 'The Redis the bench and the tests use.',
  }),
} satisfies Record<string, Base<unknown>>;

export type VariableName = keyof typeof variables;

/** The raw environment, by the variables' names (a typo is a type error). */
export type Environment = { [K in VariableName]?: string };

type ValueOf<V> = V extends Base<infer T> ? T : never;
type HasDefault<V> = V extends { default: infer D } ? (undefined extends D ? false : true) : false;

/** The parsed environment: a value for every variable, `undefined` where unset and without default. */
export type Config = {
  readonly [K in VariableName]: HasDefault<(typeof variables)[K]> extends true
    ? ValueOf<(typeof variables)[K]>
    : ValueOf<(typeof variables)[K]> | undefined;
};

export type ConfigValue<K extends VariableName> = ValueOf<(typeof variables)[K]>;

/** Names of the credentials that may come from Secrets Manager through `<NAME>_SECRET_ARN`. */
export type SecretName = 'ORIGIN_API_KEY' | 'WEBHOOK_SECRET' | 'ADMIN_TOKEN' | 'DATABASE';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const shown = (raw: string, v: Base<unknown>): string =>
  v.secret ? `(a ${raw.length}-character value)` : JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);

/** The value of one raw setting, or a problem naming the variable and what it accepts. */
const parseOne = (name: string, v: Base<unknown>, raw: string | undefined): { value: unknown } | { problem: string } => {
  if (raw === undefined || raw === '') return { value: v.default };
  const r = v.schema.safeParse(raw);
  if (r.success) return { value: r.data };
  return { problem: `${name} must be ${v.accepts}; got ${shown(raw, v)}` };
};

/**
 * Parses and validates every variable of `env`; throws one ConfigError listing each bad value.
 * Unset and empty mean the default.
 */
export const parseConfig = (env: Record<string, string | undefined>): Config => {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, v] of Object.entries(variables) as [string, Base<unknown>][]) {
    const r = parseOne(name, v, env[name]);
    if ('problem' in r) problems.push(r.problem);
    else out[name] = r.value;
  }
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
};

/**
 * A function's environment from typed values: each is checked against its variable (a bad stage
 * value fails `cdk synth`, not the first request) and written as the string the parser reads.
 * `unresolved` marks values that are deploy-time tokens, which are passed through unchecked.
 */
export const formatEnv = (
  values: { [K in VariableName]?: ConfigValue<K> },
  unresolved: (value: string) => boolean = () => false,
): Record<string, string> => {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const v = (variables as Record<string, Base<unknown>>)[name];
    if (!v) throw new ConfigError([`${name} is not a configuration variable`]);
    const raw = String(value);
    if (!unresolved(raw)) {
      const r = parseOne(name, v, raw);
      if ('problem' in r) problems.push(r.problem);
    }
    env[name] = raw;
  }
  if (problems.length) throw new ConfigError(problems);
  return env;
};
