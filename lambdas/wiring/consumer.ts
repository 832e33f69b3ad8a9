// The consumer function's production dependencies.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { PgAnalyticsStore } from '../adapters/pg-analytics-store.ts';
import { config } from '../config/config.ts';
import type { ConsumerDeps } from '../consumer/handler.ts';
import { metrics, metricsOn } from '../shared/telemetry.ts';
import { database } from './database.ts';

export const wireConsumer = (): ConsumerDeps => {
  const c = config();
  // Build the pool (it connects lazily) so the 'database' health check is registered from the start.
  if (c.DATABASE_URL || c.PGHOST) database();
  let store: PgAnalyticsStore | undefined;
  return {
    store: () => {
      store ??= new PgAnalyticsStore(database());
      return store;
    },
    pruneProbability: c.PRUNE_PROBABILITY,
    retentionMs: c.APPLIED_EVENTS_RETENTION_H * 3_600_000,
    splitBudgetMs: c.CONSUMER_SPLIT_BUDGET_MS,
    count: metricsOn ? (metric, value) => metrics.addMetric(metric, MetricUnit.Count, value) : undefined,
  };
};
