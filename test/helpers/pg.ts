// Postgres for integration tests and the bench: the real server (127.0.0.1:5432 db `test`, trust
// auth; TEST_DATABASE_URL overrides) or an in-memory PGlite behind its socket, each test file in
// its own schema, migrated with the real runner.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPglite } from '../../local/postgres.ts';
import { loadMigrations, migrate } from '../../lambdas/migrate/runner.ts';

export type Backend = 'postgres' | 'pglite';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export interface TestDb {
  backend: Backend;
  schema: string;
  /** A new pool on the test schema (callers may open several to get concurrent sessions). */
  pool(max?: number): pg.Pool;
  migrate(pool?: pg.Pool): ReturnType<typeof migrate>;
  close(): Promise<void>;
}

export const openTestDb = async (backend: Backend, prefix = 't'): Promise<TestDb> => {
  const embedded = backend === 'pglite' ? await startPglite(undefined) : undefined;
  const url = embedded?.url ?? TEST_DATABASE_URL;
  const schema = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const pools: pg.Pool[] = [];
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  let main: pg.Pool | undefined;
  const pool = (max = 2) => {
    // PGlite is one session: every caller shares the one connection.
    if (backend === 'pglite' && main) return main;
    // The real server takes the search_path as a startup option; PGlite (one session) is set once.
    const p =
      backend === 'pglite'
        ? new pg.Pool({ connectionString: url, max: 1 })
        : new pg.Pool({ connectionString: url, max, options: `-c search_path=${schema}` });
    if (backend === 'pglite') {
      p.on('connect', (c) => {
        void c.query(`SET search_path TO ${schema}`);
      });
    }
    p.on('error', () => {});
    pools.push(p);
    return p;
  };
  main = pool();
  const first = main;
  return {
    backend,
    schema,
    pool,
    migrate: async (p = first) => migrate(p, await loadMigrations()),
    close: async () => {
      if (backend === 'postgres') await first.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {});
      await Promise.all(pools.map((p) => p.end().catch(() => {})));
      await embedded?.stop();
    },
  };
};
