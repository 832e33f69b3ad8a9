// The analytics Postgres connection pool, built once per process (like read-path.ts).
// `DATABASE_URL` when set (locally: the embedded PGlite behind its socket, or any Postgres);
// in AWS the libpq variables `PGHOST`/`PGPORT`/`PGDATABASE`/`PGUSER` point at RDS Proxy and the
// password is the `password` field of the secret named by `DATABASE_SECRET_ARN`, with TLS on.
// Tiny pool (Lambda runs one invocation at a time per container; RDS Proxy multiplexes).
import pg from 'pg';
import { registerHealthCheck } from '../shared/health.ts';
import { secret } from '../adapters/secrets.ts';
import { type Config, config } from '../config/config.ts';
import { logger } from '../shared/telemetry.ts';

export type Pool = pg.Pool;

export const poolConfig = (c: Config = config(), readSecret: typeof secret = secret): pg.PoolConfig => {
  const common: pg.PoolConfig = {
    max: c.PG_POOL_MAX,
    idleTimeoutMillis: c.PG_IDLE_TIMEOUT_MS,
    connectionTimeoutMillis: c.PG_CONNECT_TIMEOUT_MS,
    // A stuck statement must not outlive the function: bounded server-side too.
    statement_timeout: c.PG_STATEMENT_TIMEOUT_MS,
    query_timeout: c.PG_STATEMENT_TIMEOUT_MS + 2_000,
    application_name: c.POWERTOOLS_SERVICE_NAME,
    // Lets short scripts (migrations, bench) exit without an explicit end().
    allowExitOnIdle: true,
  };
  if (c.DATABASE_URL) return { ...common, connectionString: c.DATABASE_URL };
  if (!c.PGHOST) throw new Error('Neither DATABASE_URL nor PGHOST is set: no analytics database configured');
  const sslOff = c.PGSSLMODE === 'disable';
  return {
    ...common,
    host: c.PGHOST,
    port: c.PGPORT,
    database: c.PGDATABASE,
    user: c.PGUSER,
    // Read lazily (and re-read after a failure): the `password` field of the secret named by
    // DATABASE_SECRET_ARN (what CDK sets); a plain DATABASE variable wins where set.
    password: () => readSecret('DATABASE', 'password'),
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
