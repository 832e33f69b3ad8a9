// Every environment variable the code reads, in one table: type, default and bounds (what each
// means is in variable-docs.ts, keyed by the same names, so that text stays out of the bundles).
// The Lambdas and the local stack parse it (config.ts), CDK writes a function's environment
// through it (`formatEnv`), the bench reads its options from it, and the README's configuration
// table is generated from both (tools/config-docs.ts), so the names exist once.
import * as z from 'zod/mini';

interface Base<T> {
  kind: 'int' | 'number' | 'bool' | 'string' | 'url' | 'enum';
  default: T | undefined;
  /** A credential: never printed, never logged; in AWS it comes from `<NAME>_SECRET_ARN`. */
  secret?: boolean;
  /** Human text of what the variable accepts, for errors and the README. */
  accepts: string;
  schema: z.ZodMiniType<T, string>;
}

export type Variable<T = unknown> = Base<T>;

interface Common {
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
    default: o.default as D,
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
  default: o.default,
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
  default: o.default as D,
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
  default: o.default as D,
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
  default: o.default as D,
  accepts: `one of ${o.values.join(', ')}`,
  schema: z.enum(o.values as unknown as [V, ...V[]]) as unknown as z.ZodMiniType<V, string>,
});

const S = 1;
const DAY_S = 86_400 * S;
const HOUR_MS = 3_600_000;

export const variables = {
  // Cache tiers.
  PROFILE_TTL_S: int({ default: 300, min: 0, max: 7 * DAY_S, unit: 's' }),
  LINKS_TTL_S: int({ default: 120, min: 0, max: 7 * DAY_S, unit: 's' }),
  ANALYTICS_TTL_S: int({ default: 900, min: 0, max: 7 * DAY_S, unit: 's' }),
  L1_TTL_S: int({ default: 5, min: 0, max: 3_600, unit: 's' }),
  L1_MAX_ENTRIES: int({ default: 10_000, min: 1, max: 10_000_000 }),
  L1_MAX_BYTES: int({ default: 64 * 1024 * 1024, min: 1_024, max: 8 * 1024 ** 3 }),
  STALE_TTL_S: int({ default: DAY_S, min: 0, max: 30 * DAY_S, unit: 's' }),
  NEGATIVE_TTL_S: int({ default: 60, min: 0, max: DAY_S, unit: 's' }),
  LOCK_TTL_MS: int({ default: 5_000, min: 100, max: 60_000, unit: 'ms' }),

  // Redis / Valkey (L2).
  REDIS_URL: url({ protocols: ['redis', 'rediss'] }),
  REDIS_CLUSTER: bool({ default: false }),
  REDIS_READ_REPLICAS: bool({ default: false }),
  REDIS_CONNECT_TIMEOUT_MS: int({ default: 1_000, min: 50, max: 60_000, unit: 'ms' }),
  REDIS_COMMAND_TIMEOUT_MS: int({
    default: 250,
    min: 10,
    // A read spends at most 1.5 s in L2 calls plus one more call: with this cap, 2 s in all.
    max: 500,
    unit: 'ms',
  }),
  REDIS_KEY_PREFIX: str({
    default: 'lc:',
    pattern: /^[A-Za-z0-9:._-]{0,64}$/,
    accepts: 'up to 64 letters, digits, ":", ".", "_" or "-"',
  }),
  REDIS_BREAKER_FAILURES: int({ default: 3, min: 1, max: 1_000 }),
  REDIS_BREAKER_COOLDOWN_MS: int({ default: 10_000, min: 100, max: 600_000, unit: 'ms' }),

  // Profile origin.
  ORIGIN_URL: url({
    protocols: ['http', 'https'],
    default: 'http://127.0.0.1:4000',
  }),
  ORIGIN_API_KEY: str({ secret: true }),
  ORIGIN_API_KEY_SECRET_ARN: str({ accepts: 'a Secrets Manager ARN' }),
  ORIGIN_TIMEOUT_MS: int({ default: 2_000, min: 50, max: 60_000, unit: 'ms' }),
  ORIGIN_RETRY_BUDGET_MS: int({ default: 5_000, min: 0, max: 60_000, unit: 'ms' }),
  ORIGIN_MAX_ATTEMPTS: int({ default: 4, min: 1, max: 10 }),
  ORIGIN_BACKOFF_BASE_MS: int({ default: 100, min: 1, max: 60_000, unit: 'ms' }),
  ORIGIN_BACKOFF_CAP_MS: int({ default: 2_000, min: 1, max: 60_000, unit: 'ms' }),
  ORIGIN_RATE_PER_MIN: int({ default: 150, min: 1, max: 1_000_000 }),
  ORIGIN: oneOf({ values: ['http', 'linktree', 'linktree-mcp', 'demo'] }),
  LINKTREE_BASE_URL: url({ protocols: ['http', 'https'], default: 'https://linktr.ee' }),
  LINKTREE_MCP_URL: url({ protocols: ['http', 'https'], default: 'https://mcp.linktr.ee/mcp' }),
  LINKTREE_MCP_TOKENS: str({ default: '.data/linktree-tokens.json', accepts: 'a file path, or a Secrets Manager ARN in AWS' }),
  LINKTREE_USER_AGENT: str({
    default: 'linkcache/0.1.0 (+https://github.com/linkcache/linkcache; ops@linkcache.dev)',
    pattern: /^[\x20-\x7e]{1,256}$/,
    accepts: 'printable ASCII, up to 256 characters',
  }),

  // The change watcher.
  WATCH_INTERVAL_S: int({ min: 0, max: DAY_S, unit: 's' }),
  WATCH_HOT_S: int({ default: 3_600, min: 60, max: 30 * DAY_S, unit: 's' }),
  WATCH_BUDGET_SHARE: num({ default: 0.5, min: 0, max: 1 }),

  PUBLIC_BASE_URL: url({ protocols: ['http', 'https'] }),
  CORS_ORIGINS: str({
    default: '*',
    pattern: /^(\*|https?:\/\/[^\s,]+(,\s*https?:\/\/[^\s,]+)*)$/,
    accepts: '"*" or a comma list of origins (https://app.example.com)',
  }),
  FRAME_ANCESTORS: str({
    default: '*',
    pattern: /^[^;,\r\n]{1,1024}$/,
    accepts: 'CSP frame-ancestors sources, space-separated ("*", "https://a.example https://b.example", "\'none\'")',
  }),
  CDN_MAX_AGE_S: int({ default: 5, min: 0, max: 86_400, unit: 's' }),
  CDN_INVALIDATION_TOPIC_ARN: str({ accepts: 'an SNS topic ARN' }),
  CDN_DISTRIBUTION_ID: str({ accepts: 'a CloudFront distribution id', pattern: /^[A-Z0-9]{1,64}$/ }),

  // Events queue and its producers.
  EVENTS_QUEUE_URL: url({ protocols: ['http', 'https'] }),
  CLICK_PUBLISH_BUDGET_MS: int({ default: 300, min: 10, max: 10_000, unit: 'ms' }),
  QUEUE_RETENTION_S: int({ default: 4 * DAY_S, min: 60, max: 14 * DAY_S, unit: 's' }),

  // Webhooks in.
  WEBHOOK_SECRET: str({ secret: true, pattern: /^whsec_[A-Za-z0-9+/=]+$/, accepts: 'whsec_<base64>' }),
  WEBHOOK_SECRET_SECRET_ARN: str({ accepts: 'a Secrets Manager ARN' }),
  IDEMPOTENCY_TABLE: str({ accepts: 'a DynamoDB table name', pattern: /^[A-Za-z0-9_.-]{3,255}$/ }),
  IDEMPOTENCY_TTL_S: int({ default: 7 * DAY_S, min: 60, max: 365 * DAY_S, unit: 's' }),
  IDEMPOTENCY_LEASE_MS: int({ default: 30_000, min: 1_000, max: 900_000, unit: 'ms' }),

  // Analytics visitors.
  SALTS_TABLE: str({ accepts: 'a DynamoDB table name', pattern: /^[A-Za-z0-9_.-]{3,255}$/ }),
  VISITOR_SALT_TIMEOUT_MS: int({ default: 250, min: 10, max: 5_000, unit: 'ms' }),

  // Webhooks out.
  WEBHOOK_RETRY_S: str({
    default: '5,300,1800,7200,18000,36000,50400,72000,86400',
    pattern: /^\d{1,6}(,\d{1,6}){0,19}$/,
    accepts: 'a comma list of up to 20 delays in seconds',
  }),
  WEBHOOK_ENDPOINTS_TABLE: str({ accepts: 'a DynamoDB table name', pattern: /^[A-Za-z0-9_.-]{3,255}$/ }),
  WEBHOOK_DELIVERIES_TABLE: str({ accepts: 'a DynamoDB table name', pattern: /^[A-Za-z0-9_.-]{3,255}$/ }),
  WEBHOOK_DELIVERY_RETENTION_D: int({ default: 30, min: 1, max: 365, unit: 'd' }),
  WEBHOOK_TIMEOUT_MS: int({ default: 10_000, min: 100, max: 30_000, unit: 'ms' }),
  DELIVERY_QUEUE_URL: url({ protocols: ['http', 'https'] }),
  DELIVERY_DLQ_URL: url({ protocols: ['http', 'https'] }),

  // Private routes.
  ADMIN_TOKEN: str({ secret: true }),
  ADMIN_TOKEN_SECRET_ARN: str({ accepts: 'a Secrets Manager ARN' }),
  API_KEYS_TABLE: str({ accepts: 'a DynamoDB table name', pattern: /^[A-Za-z0-9_.-]{3,255}$/ }),
  API_KEY_CACHE_SIZE: int({ default: 1_000, min: 1, max: 100_000, unit: 'keys' }),

  // Analytics database.
  DATABASE_URL: url({ protocols: ['postgres', 'postgresql'], secret: true }),
  PGHOST: str({ accepts: 'a host name' }),
  PGPORT: int({ default: 5432, min: 1, max: 65_535 }),
  PGDATABASE: str({ accepts: 'a database name' }),
  PGUSER: str({ accepts: 'a role name' }),
  PGSSLMODE: oneOf({ values: ['disable', 'require', 'verify-full'], default: 'require' }),
  DATABASE: str({ secret: true }),
  DATABASE_SECRET_ARN: str({ accepts: 'a Secrets Manager ARN' }),
  PG_POOL_MAX: int({ default: 2, min: 1, max: 100 }),
  PG_IDLE_TIMEOUT_MS: int({ default: 60_000, min: 0, max: 3_600_000, unit: 'ms' }),
  PG_CONNECT_TIMEOUT_MS: int({ default: 5_000, min: 100, max: 60_000, unit: 'ms' }),
  PG_STATEMENT_TIMEOUT_MS: int({ default: 30_000, min: 100, max: 900_000, unit: 'ms' }),
  MIGRATIONS_DIR: str({ accepts: 'a directory path' }),

  ANALYTICS_RAW_RETENTION_D: int({ default: 14, min: 1, max: 400, unit: 'days' }),
  // The consumer.
  BATCH_WINDOW_S: int({ default: 10, min: 0, max: 300, unit: 's' }),
  BATCH_SIZE: int({ default: 10_000, min: 1, max: 10_000 }),
  PRUNE_PROBABILITY: num({ default: 0.02, min: 0, max: 1 }),
  ANALYTICS_ROLLUP_S: int({ default: 60, min: 0, max: 3_600, unit: 's' }),
  APPLIED_EVENTS_RETENTION_H: int({ default: 120, min: 1, max: 24 * 365, unit: 'h' }),
  CONSUMER_BACKOFF_BASE_S: int({ default: 30, min: 1, max: 43_200, unit: 's' }),
  CONSUMER_BACKOFF_CAP_S: int({ default: 43_200, min: 1, max: 43_200, unit: 's' }),
  CONSUMER_SPLIT_BUDGET_MS: int({ default: 60_000, min: 1_000, max: 900_000, unit: 'ms' }),

  // AWS SDK, Lambda runtime and Powertools.
  AWS_REGION: str({ accepts: 'an AWS region' }),
  AWS_DEFAULT_REGION: str({ accepts: 'an AWS region' }),
  AWS_ENDPOINT_URL: url({ protocols: ['http', 'https'] }),
  AWS_ENDPOINT_URL_SQS: url({ protocols: ['http', 'https'] }),
  AWS_ENDPOINT_URL_DYNAMODB: url({ protocols: ['http', 'https'] }),
  AWS_SESSION_TOKEN: str({ secret: true, maxLength: 16_384 }),
  PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: int({ default: 2773, min: 1, max: 65_535 }),
  SECRET_TTL_MS: int({ default: 300_000, min: 0, max: 24 * HOUR_MS, unit: 'ms' }),
  POWERTOOLS_SERVICE_NAME: str({ default: 'linkcache' }),
  POWERTOOLS_METRICS_NAMESPACE: str({ default: 'LinkCache' }),
  POWERTOOLS_METRICS_DISABLED: bool({ default: false }),
  POWERTOOLS_LOG_LEVEL: oneOf({ values: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'], default: 'INFO' }),
  LOCAL_STACK: bool({ default: false }),

  // Local stack.
  PORT: int({ default: 3000, min: 0, max: 65_535 }),
  HOST: str({ default: '127.0.0.1', accepts: 'an address to listen on' }),
  DEMO_ORIGIN_PORT: int({ default: 0, min: 0, max: 65_535 }),
  PGLITE_DIR: str({ default: '.data/pglite', accepts: 'a directory path' }),
  MAX_RECEIVE_COUNT: int({ default: 5, min: 1, max: 1_000 }),
  QUEUE_VISIBILITY_TIMEOUT_S: int({ default: 60, min: 1, max: 43_200, unit: 's' }),
  DLQ_URL: url({ protocols: ['http', 'https'] }),
  AWS_ACCESS_KEY_ID: str({ secret: true }),
  AWS_SECRET_ACCESS_KEY: str({ secret: true }),
  DEBUG: bool({ default: false }),
  QUEUE_SPOOL_FILE: str({ default: '.data/queue-spool.json', accepts: 'a file path' }),

  // Bench (`npm run bench -- --help`).
  BENCH_ROUNDS: int({ default: 3, min: 1, max: 100 }),
  BENCH_DURATION_MS: int({ default: 5_000, min: 100, max: 600_000, unit: 'ms' }),
  BENCH_WARMUP_MS: int({ default: 1_000, min: 0, max: 60_000, unit: 'ms' }),
  BENCH_CONCURRENCY: int({ default: 32, min: 1, max: 4_096 }),
  BENCH_STAMPEDE_ROUNDS: int({ default: 3, min: 1, max: 100 }),
  BENCH_WEBHOOK_N: int({ default: 400, min: 1, max: 100_000 }),
  BENCH_IMPORT_RUNS: int({ default: 5, min: 1, max: 100 }),
  BENCH_CONSUMER_BATCHES: int({ default: 20, min: 1, max: 1_000 }),
  BENCH_CONSUMER_NAIVE: int({ default: 3_000, min: 1, max: 1_000_000 }),
  TEST_DATABASE_URL: url({
    protocols: ['postgres', 'postgresql'],
    default: 'postgresql://postgres@127.0.0.1:5432/test',
  }),
  TEST_REDIS_URL: url({
    protocols: ['redis', 'rediss'],
    default: 'redis://127.0.0.1:6379',
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
