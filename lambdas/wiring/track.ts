// The track function's production dependencies. Clicks get their own publisher: the same adapter,
// with a retry budget that fits inside the redirect's.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../adapters/aws-client.ts';
import { DynamoSaltStore } from '../adapters/dynamo-salt-store.ts';
import { SqsEventPublisher } from '../adapters/sqs-event-publisher.ts';
import { config } from '../config/config.ts';
import type { EventPublisher } from '../core/events.ts';
import { makeVisitorHasher, type SaltStore } from '../core/visitors.ts';
import { MetricNames } from '../contracts/metrics.ts';
import { logger, telemetry } from '../shared/telemetry.ts';
import type { TrackDeps } from '../track/handler.ts';
import { eventPublisher, sqsClient } from './queue.ts';
import { readPath } from './read-path.ts';

/** Up to 3 attempts with 20-100 ms full-jitter backoff, all within the click budget. */
export const makeClickPublisher = (client: SQSClient, queueUrl: string, budgetMs: number): EventPublisher =>
  new SqsEventPublisher({ client, queueUrl, retry: { maxAttempts: 3, baseMs: 20, capMs: 100, budgetMs }, telemetry });

/** The salts table when SALTS_TABLE is set; else every ask fails, so events go without visitor. */
const saltStore = (table: string | undefined): SaltStore => {
  if (!table) {
    return {
      saltFor: async () => {
        throw new Error('SALTS_TABLE is not set');
      },
    };
  }
  // One attempt with the SDK's retries: the hasher bounds the wait and backs off on failure.
  const client = new DynamoDBClient(awsClientConfig('DYNAMODB', config(), 2));
  return new DynamoSaltStore({ client, table });
};

export const wireTrack = (): TrackDeps => {
  const c = config();
  const rp = readPath();
  const shared = eventPublisher();
  const clickPublisher = c.EVENTS_QUEUE_URL
    ? makeClickPublisher(sqsClient(), c.EVENTS_QUEUE_URL, c.CLICK_PUBLISH_BUDGET_MS)
    : shared;
  return {
    service: rp.service,
    config: rp.config,
    clickPublisher,
    publisher: shared,
    clickBudgetMs: c.CLICK_PUBLISH_BUDGET_MS,
    queueRetentionS: c.QUEUE_RETENTION_S,
    visitors: makeVisitorHasher({
      store: saltStore(c.SALTS_TABLE),
      telemetry,
      metric: MetricNames.VisitorSaltUnavailable,
      timeoutMs: c.VISITOR_SALT_TIMEOUT_MS,
    }),
    telemetry,
    log: { error: (message, extra) => logger.error(message, extra ?? {}) },
  };
};
