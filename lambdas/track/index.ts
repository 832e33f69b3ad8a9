// The track function's entry point (what CDK bundles and the local stack loads).
import { wireTrack } from '../wiring/track.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireTrack());
