// The analytics Postgres connection pool, built once per process (like read-path.ts).
// `DATABASE_URL` when set (locally: the embedded PGlite behind its socket, or any Postgres);
// in AWS the libpq variables `PGHOST`/`PGPORT`/`PGDATABASE`/`PGUSER` point at RDS Proxy and the
// password is the `password` field of the secret named by `DATABASE_SECRET_ARN`, with TLS on.
// Tiny pool (Lambda runs one invocation at a time per container; RDS Proxy multiplexes).
import pg from 'pg';
import { registerHealthCheck } from './health.ts';
import { secret } from './secrets.ts';
import { logger } from './telemetry.ts';

export type Pool = pg.Pool;

const int = (raw: string | undefined, fallback: number): number => {
  const n = Number(raw);
  return raw && Number.isFinite(n) && n >= 0 ? n : fallback;
};

export const poolConfig = (env: NodeJS.ProcessEnv = process.env): pg.PoolConfig => {
  const common: pg.PoolConfig = {
    max: int(env.PG_POOL_MAX, 2),
    idleTimeoutMillis: int(env.PG_IDLE_TIMEOUT_MS, 60_000),
    connectionTimeoutMillis: int(env.PG_CONNECT_TIMEOUT_MS, 5_000),
    // A stuck statement must not outlive the function: bounded server-side too.
    statement_timeout: int(env.PG_STATEMENT_TIMEOUT_MS, 30_000),
    query_timeout: int(env.PG_STATEMENT_TIMEOUT_MS, 30_000) + 2_000,
    application_name: env.POWERTOOLS_SERVICE_NAME ?? 'linkcache',
    // Lets short scripts (migrations, bench) exit without an explicit end().
    allowExitOnIdle: true,
  };
  if (env.DATABASE_URL) return { ...common, connectionString: env.DATABASE_URL };
  if (!env.PGHOST) throw new Error('Neither DATABASE_URL nor PGHOST is set: no analytics database configured');
  const sslOff = env.PGSSLMODE === 'disable';
  return {
    ...common,
    host: env.PGHOST,
    port: int(env.PGPORT, 5432),
    database: env.PGDATABASE,
    user: env.PGUSER,
    // Read lazily (and re-read after a failure): the `password` field of the secret named by
    // DATABASE_SECRET_ARN (what CDK sets); a plain DATABASE variable wins where set.
    password: () => secret('DATABASE', 'password'),
    // RDS Proxy requires TLS; its certificate chains to Amazon's public root, which Node trusts.
    ssl: sslOff ? false : { rejectUnauthorized: true },
  };
};

let pool: pg.Pool | undefined;

export const database = (): pg.Pool => {
  if (pool) return pool;
  const p = new pg.Pool(poolConfig());
  // An idle client losing its connection emits here; without a listener the process would crash.
  p.on('error', (err) => logger.warn('idle database connection failed', { error: err.message }));
  registerHealthCheck('database', async () => {
    await p.query('SELECT 1');
    return { status: 'up' };
  });
  pool = p;
  return p;
};

/** Closes the process-wide pool (local stack shutdown, tests). */
export const closeDatabase = async (): Promise<void> => {
  const p = pool;
  pool = undefined;
  await p?.end();
};
