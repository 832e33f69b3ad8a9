// Versioned SQL migrations (lambdas/migrate/sql/NNN_name.sql), applied in order, each once.
// One transaction under a transaction-scoped advisory lock: concurrent runners (two deploys, the
// local stack and a test) serialize, and either every pending migration lands or none does.
// An applied migration whose file changed since is an error, never silently skipped.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  /** Versions applied by this run, in order. */
  applied: string[];
  /** The schema version after the run. */
  version: number;
}

export const MIGRATIONS_DIR = path.join(import.meta.dirname, 'sql');

const FILE_RE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

export const loadMigrations = async (dir: string = MIGRATIONS_DIR): Promise<Migration[]> => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const m = FILE_RE.exec(file);
    if (!m) throw new Error(`migration file name ${file} does not match NNN_name.sql`);
    const sql = await readFile(path.join(dir, file), 'utf8');
    out.push({ version: Number(m[1]), name: m[2], sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  for (let i = 1; i < out.length; i++) {
    if (out[i].version === out[i - 1].version) throw new Error(`two migrations share version ${out[i].version}`);
  }
  if (out.length === 0) throw new Error(`no migrations found in ${dir}`);
  return out;
};

export const migrate = async (pool: pg.Pool, migrations: Migration[]): Promise<MigrationResult> => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Keyed by schema, so test schemas migrate independently.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':linkcache-migrations'))`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      checksum   text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations');
    const done = new Map(rows.map((r) => [Number(r.version), r.checksum]));
    const applied: string[] = [];
    for (const m of migrations) {
      const sum = done.get(m.version);
      if (sum !== undefined) {
        if (sum !== m.checksum) throw new Error(`migration ${m.version}_${m.name} changed after it was applied`);
        continue;
      }
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ]);
      applied.push(`${String(m.version).padStart(3, '0')}_${m.name}`);
    }
    await client.query('COMMIT');
    const version = Math.max(0, ...migrations.map((m) => m.version), ...done.keys());
    return { applied, version };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
};
