// The migrate function's entry point (what CDK bundles and the local stack loads).
import { wireMigrate } from '../wiring/migrate.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireMigrate());
