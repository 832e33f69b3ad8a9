// The rollup function's production dependencies: the analytics store on the shared pool.
import { PgAnalyticsStore } from '../adapters/pg-analytics-store.ts';
import { config } from '../config/config.ts';
import type { RollupDeps } from '../rollup/handler.ts';
import { database } from './database.ts';

/** Past the statement timeout a run is cancelled anyway: no new run starts this close to the end. */
const RESERVE_MS = 35_000;

export const wireRollup = (): RollupDeps => {
  const c = config();
  let store: PgAnalyticsStore | undefined;
  return {
    store: () => {
      store ??= new PgAnalyticsStore(database(), { rawRetentionDays: c.ANALYTICS_RAW_RETENTION_D });
      return store;
    },
    reserveMs: Math.max(RESERVE_MS, c.PG_STATEMENT_TIMEOUT_MS + 5_000),
  };
};
