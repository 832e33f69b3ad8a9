// The CDN invalidator's entry point (what CDK bundles; the local stack has no CDN, so no invalidator).
import { wireCdnInvalidator } from '../wiring/cdn-invalidator.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireCdnInvalidator());
