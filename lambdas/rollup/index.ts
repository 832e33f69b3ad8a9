// The rollup job's entry point (what CDK bundles; `npm start` leaves the job to the consumer).
import { wireRollup } from '../wiring/rollup.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireRollup());
