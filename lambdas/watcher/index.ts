// The change watcher's entry point (what CDK bundles; `npm start` runs the same watcher in process).
import { wireWatcher } from '../wiring/watcher.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireWatcher());
