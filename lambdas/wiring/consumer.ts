// The consumer function's production dependencies.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SNSClient } from '@aws-sdk/client-sns';
import { PgAnalyticsStore } from '../adapters/pg-analytics-store.ts';
import { SnsInvalidationNotifier } from '../adapters/sns-invalidation-notifier.ts';
import { SqsQueueControl } from '../adapters/sqs-dlq.ts';
import { config } from '../config/config.ts';
import type { ConsumerDeps } from '../consumer/handler.ts';
import { DlqRecovery } from '../core/outage.ts';
import { logger, metrics, metricsOn } from '../shared/telemetry.ts';
import { database } from './database.ts';
import { sqsClient } from './queue.ts';
import { fanOutDeps } from './webhooks-out.ts';

/** How often a container may look at the DLQ after a healthy batch. */
const DLQ_CHECK_INTERVAL_MS = 5 * 60_000;

export const wireConsumer = (): ConsumerDeps => {
  const c = config();
  // Build the pool (it connects lazily) so the 'database' health check is registered from the start.
  if (c.DATABASE_URL || c.PGHOST) database();
  let store: PgAnalyticsStore | undefined;
  const queue = c.EVENTS_QUEUE_URL
    ? new SqsQueueControl({ client: sqsClient(), queueUrl: c.EVENTS_QUEUE_URL, dlqUrl: c.DLQ_URL })
    : undefined;
  return {
    queue,
    backoff: { baseS: c.CONSUMER_BACKOFF_BASE_S, capS: c.CONSUMER_BACKOFF_CAP_S },
    recovery: queue
      ? new DlqRecovery({
          control: queue,
          intervalMs: DLQ_CHECK_INTERVAL_MS,
          log: (message, extra) => logger.info(message, extra ?? {}),
        })
      : undefined,
    store: () => {
      store ??= new PgAnalyticsStore(database(), {
        rawRetentionDays: c.ANALYTICS_RAW_RETENTION_D,
      });
      return store;
    },
    pruneProbability: c.PRUNE_PROBABILITY,
    rollup: c.ANALYTICS_ROLLUP_S > 0,
    rollupEveryMs: c.ANALYTICS_ROLLUP_S * 1_000,
    retentionMs: c.APPLIED_EVENTS_RETENTION_H * 3_600_000,
    splitBudgetMs: c.CONSUMER_SPLIT_BUDGET_MS,
    count: metricsOn ? (metric, value) => metrics.addMetric(metric, MetricUnit.Count, value) : undefined,
    cdn: c.CDN_INVALIDATION_TOPIC_ARN ? cdnNotifier(c.CDN_INVALIDATION_TOPIC_ARN) : undefined,
    webhooks: fanOutDeps(),
  };
};

/**
 * With CloudFront in front (CDK sets the topic only then; never locally): changed usernames go to
 * the invalidator's topic, in the region its ARN names (the consumer's own). Bounded, so an
 * unreachable endpoint fails the notice (its records come back) instead of the batch's time.
 */
const cdnNotifier = (topicArn: string): SnsInvalidationNotifier =>
  new SnsInvalidationNotifier({
    client: new SNSClient({
      region: topicArn.split(':')[3] || 'us-east-1',
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
    }),
    topicArn,
  });
