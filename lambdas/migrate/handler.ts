// The migrate Lambda: a CDK Trigger invokes it at deploy time, before the consumer goes live.
// Returns what it applied; throws (failing the deploy) when a migration fails.
// The SQL files must ship next to the bundle (`sql/`), or MIGRATIONS_DIR must point at them.
import type { Pool } from '../wiring/database.ts';
import { logger } from '../shared/telemetry.ts';
import { loadMigrations, type MigrationResult, migrate } from './runner.ts';

export interface MigrateDeps {
  pool: () => Pool;
  dir?: string;
}

export const makeHandler = (deps: MigrateDeps) => async (): Promise<MigrationResult & { status: 'ok' }> => {
  try {
    const result = await migrate(deps.pool(), await loadMigrations(deps.dir));
    logger.info('migrations done', { ...result });
    return { status: 'ok', ...result };
  } catch (err) {
    logger.error('migration failed', { error: err });
    throw err;
  }
};
