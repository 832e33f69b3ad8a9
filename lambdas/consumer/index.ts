// The consumer function's entry point (what CDK bundles and the local stack loads).
import { wireConsumer } from '../wiring/consumer.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(wireConsumer());
