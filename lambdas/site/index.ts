// The site function's entry point (what CDK bundles and the local stack loads).
import { wireSite } from '../wiring/site.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireSite());
