// The admin function's entry point (what CDK bundles and the local stack loads).
import { wireAdmin } from '../wiring/admin.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireAdmin());
