// The consumer Lambda: SQS event source (large batches, 10-second batching window,
// ReportBatchItemFailures). Not Powertools' BatchProcessor: it hands records to a per-record
// callback, and this consumer must write the whole batch in ONE transaction (the point of
// batching), so it parses every record, applies the valid ones together, and answers with the
// same `{batchItemFailures}` shape.
//   - a malformed or poison record → a failure on its own (after maxReceiveCount, the DLQ); the
//     rest of the batch is counted;
//   - the database failing → every record that needed it is a failure, so SQS keeps them
//     (nothing is held only in memory);
//   - other event types on the queue (profile/link updates) → acknowledged, not counted.
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type AnalyticsEvent, type AnalyticsStore, parseMessage } from '../core/analytics.ts';
import { logger, metrics, metricsOn } from '../shared/telemetry.ts';
import { MetricNames } from '../contracts/metrics.ts';

export interface Pruner {
  prune(olderThan: Date, opts?: { chunk?: number; budgetMs?: number }): Promise<number>;
}

export interface ConsumerDeps {
  store: () => AnalyticsStore & Partial<Pruner>;
  /** Fraction of batches that also prune old ledger ids (`PRUNE_PROBABILITY`, default 0.02). */
  pruneProbability?: number;
  /** Ledger ids older than this are pruned (`APPLIED_EVENTS_RETENTION_H`, default 120 h). */
  retentionMs?: number;
  random?: () => number;
  now?: () => number;
  count?: (metric: string, value: number) => void;
}

export const makeConsumer = (deps: ConsumerDeps) => {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const count = deps.count ?? (() => {});
  const pruneP = deps.pruneProbability ?? 0.02;
  const retentionMs = deps.retentionMs ?? 120 * 3_600_000;

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: SQSBatchItemFailure[] = [];
    const counted: AnalyticsEvent[] = [];
    const countedIds: string[] = [];
    let ignored = 0;
    for (const record of event.Records) {
      const parsed = parseMessage(record.body);
      if (parsed.kind === 'counted') {
        counted.push(parsed.event);
        countedIds.push(record.messageId);
      } else if (parsed.kind === 'ignored') {
        ignored++;
      } else {
        failures.push({ itemIdentifier: record.messageId });
        logger.warn('malformed event message; left for redrive to the DLQ', {
          messageId: record.messageId,
          reason: parsed.reason,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          body: record.body.slice(0, 2_000),
        });
      }
    }
    if (failures.length) count(MetricNames.EventsMalformed, failures.length);

    if (counted.length) {
      const store = deps.store();
      try {
        const started = performance.now();
        const r = await store.apply(counted);
        count(MetricNames.EventsApplied, r.applied);
        if (r.duplicates) count(MetricNames.EventsDuplicate, r.duplicates);
        logger.debug('batch applied', { ...r, ignored, ms: Math.round(performance.now() - started) });
      } catch (err) {
        // Nothing committed: every counted record goes back to the queue.
        for (const id of countedIds) failures.push({ itemIdentifier: id });
        count(MetricNames.ConsumerBatchFailed, 1);
        logger.error('batch not applied; all its records stay on the queue', { error: err, records: counted.length });
        return { batchItemFailures: failures };
      }
      // Ledger pruning piggybacks on a fraction of batches: no scheduler to deploy, bounded
      // work, and it keeps pace with inserts (each prune deletes up to its time budget).
      if (store.prune && random() < pruneP) {
        try {
          const pruned = await store.prune(new Date(now() - retentionMs));
          if (pruned) logger.info('pruned applied event ids', { pruned });
        } catch (err) {
          logger.warn('pruning applied event ids failed; next time', { error: err });
        }
      }
    }
    return { batchItemFailures: failures };
  };
};

export const makeHandler = (deps: ConsumerDeps) => {
  const base = middy<SQSEvent, SQSBatchResponse>();
  if (metricsOn) base.use(logMetrics(metrics));
  return base.handler(makeConsumer(deps));
};
