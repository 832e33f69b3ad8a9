// The deliver function's entry point (what CDK bundles and the local stack loads).
import { wireDeliver } from '../wiring/deliver.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireDeliver());
