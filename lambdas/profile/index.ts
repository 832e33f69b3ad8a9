// The profile function's entry point (what CDK bundles and the local stack loads).
import { wireProfile } from '../wiring/profile.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireProfile());
