// The migrate function's production dependencies.
import { config } from '../config/config.ts';
import type { MigrateDeps } from '../migrate/handler.ts';
import { database } from './database.ts';

export const wireMigrate = (): MigrateDeps => ({ pool: database, dir: config().MIGRATIONS_DIR });
