// The webhook function's entry point (what CDK bundles and the local stack loads).
import { wireWebhook } from '../wiring/webhook.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireWebhook());
