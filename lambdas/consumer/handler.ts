// The consumer Lambda: SQS event source (large batches, 10-second batching window,
// ReportBatchItemFailures). Not Powertools' BatchProcessor: it hands records to a per-record
// callback, and this consumer writes the whole batch in ONE transaction (the point of batching).
// The work is core/batch-apply.ts `consumeBatch`; this maps its outcome to `{batchItemFailures}`,
// metrics and one log line per kind of trouble:
//   - applied (or already applied) → acknowledged;
//   - poison (Postgres refuses it even alone), malformed, or older than the ledger's horizon →
//     set aside in rejected_events and acknowledged;
//   - the database unusable, or the split budget spent → failures, so SQS keeps them (nothing is
//     held only in memory); while the database is unreachable each failed record is hidden for
//     longer after every receive (core/outage.ts), so a long outage spends few receives;
//   - a batch the database accepted → if the DLQ holds events, they are moved back (rate-limited);
//   - other event types on the queue (profile/link updates) → acknowledged, not counted; with
//     CloudFront in front, their usernames are also announced for invalidation, and the
//     records of a notice not accepted stay on the queue;
//   - change events also fan out to outgoing webhooks (core/webhook-fanout.ts): one delivery job
//     per matching endpoint on the delivery queue; a record whose jobs were not enqueued fails.
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type AnalyticsStore, rollupBacklog } from '../core/analytics.ts';
import { type BatchOutcome, consumeBatch, type RejectedEventStore, type Retry } from '../core/batch-apply.ts';
import { type InvalidationNotifier, sendNotices } from '../core/cdn-invalidation.ts';
import { backoffS, type DlqRecovery, type QueueControl } from '../core/outage.ts';
import { type FanOutDeps, fanOutRecords } from '../core/webhook-fanout.ts';
import { logger, metrics, metricsOn } from '../shared/telemetry.ts';
import { MetricNames } from '../contracts/metrics.ts';

export interface Pruner {
  prune(olderThan: Date, opts?: { chunk?: number; budgetMs?: number }): Promise<number>;
  /** Analytics retention: partitions created ahead, expired ones dropped. */
  maintain?(): Promise<{ created: number; dropped: string[] }>;
}

export interface ConsumerDeps {
  store: () => AnalyticsStore & RejectedEventStore & Partial<Pruner>;
  /** Fraction of batches that also prune old ledger ids (`PRUNE_PROBABILITY`, default 0.02). */
  pruneProbability?: number;
  /**
   * After a batch that reached the database, the rollup job (which takes the batches of closed
   * hours) runs when this container last ran it at least this long ago (`ANALYTICS_ROLLUP_S`,
   * default 60 s; 0, which tests use, after every batch). Batches that counted nothing (only
   * change events) do not run it: with no counted traffic there is nothing new to roll up.
   */
  rollupEveryMs?: number;
  /** `false`: this consumer never runs the rollup job (a scheduled function does: `ANALYTICS_ROLLUP_S` 0). */
  rollup?: boolean;
  /**
   * Ledger ids older than this are pruned (`APPLIED_EVENTS_RETENTION_H`, default 120 h); events
   * that occurred before it are set aside, never counted blind.
   */
  retentionMs?: number;
  /** Time a failed batch may spend being split to isolate poison (`CONSUMER_SPLIT_BUDGET_MS`, default 60 s). */
  splitBudgetMs?: number;
  /** The events queue, for the visibility backoff while the database is unreachable. */
  queue?: Pick<QueueControl, 'delay'>;
  /** `CONSUMER_BACKOFF_BASE_S`, `CONSUMER_BACKOFF_CAP_S`. */
  backoff?: { baseS: number; capS: number };
  /** Moves the DLQ back once the database answers again. */
  recovery?: Pick<DlqRecovery, 'afterHealthyBatch'>;
  random?: () => number;
  now?: () => number;
  count?: (metric: string, value: number) => void;
  /** CloudFront in front (`CDN_INVALIDATION_TOPIC_ARN`): where each batch's changed usernames are announced. */
  cdn?: InvalidationNotifier;
  /** Outgoing webhooks (endpoints table and delivery queue configured): change events fan out. */
  webhooks?: FanOutDeps;
}

/**
 * The ledger also holds the visitor keys: a visitor's key must outlive every event of its day the
 * horizon still admits (up to a day after the key was first recorded, plus the 5 minutes an event
 * may be dated ahead), so ids and keys are pruned this much later than the horizon.
 */
export const VISITOR_KEY_EXTRA_MS = 25 * 3_600_000;

/** The most time one invocation spends on rollup runs after its batch (each run is bounded too). */
export const ROLLUP_BUDGET_MS = 20_000;

/** Left of the function's time when splitting stops: for the set-aside write and the answer. */
export const TIMEOUT_RESERVE_MS = 5_000;

const MAX_LOGGED = 5;

export const makeConsumer = (deps: ConsumerDeps) => {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const count = deps.count ?? (() => {});
  const pruneP = deps.pruneProbability ?? 0.02;
  const retentionMs = deps.retentionMs ?? 120 * 3_600_000;
  const splitBudgetMs = deps.splitBudgetMs ?? 60_000;
  const backoff = deps.backoff ?? { baseS: 30, capS: 43_200 };
  const rollupEveryMs = deps.rollupEveryMs ?? 60_000;
  let lastRollup = Number.NEGATIVE_INFINITY;

  /** Hides each record that failed on an unreachable database for base × 3^(receives − 1). */
  const delayUnreachable = async (event: SQSEvent, outcome: BatchOutcome): Promise<void> => {
    if (!deps.queue) return;
    const ids = new Set(outcome.retry.filter((r) => r.reason === 'unreachable').flatMap((r) => r.ids));
    if (!ids.size) return;
    const records = event.Records.filter((r) => ids.has(r.messageId)).map((r) => ({
      receiptHandle: r.receiptHandle,
      seconds: backoffS(Number(r.attributes?.ApproximateReceiveCount ?? 1), backoff.baseS, backoff.capS),
    }));
    try {
      await deps.queue.delay(records);
    } catch (err) {
      // They come back at the queue's own visibility time-out instead: one receive spent sooner.
      logger.warn('visibility backoff not applied', { error: err instanceof Error ? err.message : String(err) });
    }
  };

  const report = (o: BatchOutcome, records: number, ms: number) => {
    if (o.applied) count(MetricNames.EventsApplied, o.applied);
    if (o.duplicates) count(MetricNames.EventsDuplicate, o.duplicates);
    if (o.malformed) count(MetricNames.EventsMalformed, o.malformed);
    if (o.rejected.length) {
      count(MetricNames.EventsRejected, o.rejected.length);
      // One line per batch, not one per event: a burst of poison must not flood the logs.
      logger.warn('events set aside in rejected_events, not counted', {
        rejected: o.rejected.length,
        reasons: [...new Set(o.rejected.map((r) => r.reason))].slice(0, MAX_LOGGED),
        messageIds: o.rejected.slice(0, MAX_LOGGED).map((r) => r.messageId),
        transactions: o.transactions,
      });
    }
    for (const r of o.retry) logRetry(r, records);
    if (o.retry.length) count(MetricNames.ConsumerBatchFailed, 1);
    logger.debug('batch consumed', {
      applied: o.applied,
      duplicates: o.duplicates,
      rows: o.rows,
      ignored: o.ignored,
      transactions: o.transactions,
      ms,
    });
  };

  return async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
    const started = performance.now();
    const started0 = now();
    const messages = event.Records.map((r) => ({ id: r.messageId, body: r.body }));
    const remaining = context?.getRemainingTimeInMillis?.();
    const store = deps.store();
    const outcome = await consumeBatch(messages, {
      store,
      now,
      horizonMs: retentionMs,
      splitBudgetMs,
      ...(remaining !== undefined ? { deadline: now() + remaining - TIMEOUT_RESERVE_MS } : {}),
    });
    report(outcome, messages.length, Math.round(performance.now() - started));
    const failed = outcome.retry.flatMap((r) => r.ids);
    if (deps.cdn) failed.push(...(await announceChanges(deps.cdn, event)));
    if (deps.webhooks) failed.push(...(await fanOutChanges(deps.webhooks, event, new Set(failed), count)));
    await delayUnreachable(event, outcome);
    // Ledger pruning and partition upkeep piggyback on a fraction of batches that reached the
    // database: no scheduler to deploy, bounded work, and it keeps pace with inserts (each prune
    // deletes up to its time budget; a partition DROP waits for its lock at most a second).
    const reached = outcome.applied + outcome.duplicates > 0 && !outcome.retry.some((r) => r.reason === 'unreachable');
    if (reached) await deps.recovery?.afterHealthyBatch();
    if (reached && deps.rollup !== false && store.rollup && now() - lastRollup >= rollupEveryMs) {
      lastRollup = now();
      // Run after run while a backlog lasts, within ROLLUP_BUDGET_MS and the function's time.
      const until = Math.min(
        now() + ROLLUP_BUDGET_MS,
        remaining === undefined ? Number.POSITIVE_INFINITY : started0 + remaining - TIMEOUT_RESERVE_MS,
      );
      try {
        const r = await rollupBacklog({ rollup: store.rollup.bind(store) }, until, now);
        if (r.batches) logger.debug('analytics rolled up', r);
      } catch (err) {
        // The batches stay pending (reports still count them); the next run takes them.
        logger.warn('analytics rollup failed; next time', { error: err });
      }
    }
    if (reached && store.prune && random() < pruneP) {
      try {
        const pruned = await store.prune(new Date(now() - retentionMs - VISITOR_KEY_EXTRA_MS));
        if (pruned) logger.info('pruned applied event ids', { pruned });
      } catch (err) {
        logger.warn('pruning applied event ids failed; next time', { error: err });
      }
      try {
        const m = await store.maintain?.();
        if (m && (m.created || m.dropped.length))
          logger.info('analytics partitions maintained', { created: m.created, dropped: m.dropped });
      } catch (err) {
        logger.warn('analytics partition maintenance failed; next time', { error: err });
      }
    }
    return { batchItemFailures: [...new Set(failed)].map((itemIdentifier) => ({ itemIdentifier })) };
  };
};

/**
 * One notice per 500 changed usernames of the batch. The records of a notice not accepted are
 * failures, so they come back and are announced again (they are not counted: coming back is harmless).
 */
const announceChanges = async (notifier: InvalidationNotifier, event: SQSEvent): Promise<string[]> => {
  const records = event.Records.map((r) => {
    const sentAt = Number(r.attributes?.SentTimestamp);
    return { id: r.messageId, body: r.body, ...(sentAt > 0 ? { sentAt } : {}) };
  });
  const o = await sendNotices(records, notifier);
  if (o.failedIds.length) {
    const e = o.errors[0];
    logger.error('CDN invalidation notice not published; its change events stay on the queue', {
      failures: o.failedIds.length,
      error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    });
  }
  if (o.sent || o.unresolved)
    logger.debug('CDN invalidation notices', { sent: o.sent, usernames: o.usernames, unresolved: o.unresolved });
  return o.failedIds;
};

/** Fans the batch's change events out (those not already failing: they come back anyway). */
const fanOutChanges = async (
  webhooks: FanOutDeps,
  event: SQSEvent,
  failing: ReadonlySet<string>,
  count: (metric: string, value: number) => void,
): Promise<string[]> => {
  const records = event.Records.filter((r) => !failing.has(r.messageId)).map((r) => ({ id: r.messageId, body: r.body }));
  const o = await fanOutRecords(records, webhooks);
  if (o.jobs) count(MetricNames.WebhookDeliveriesEnqueued, o.jobs);
  if (o.failedIds.length) {
    const e = o.errors[0];
    logger.error('outgoing webhook jobs not enqueued; their change events stay on the queue', {
      failures: o.failedIds.length,
      error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    });
  }
  return o.failedIds;
};

const logRetry = (r: Retry, records: number) => {
  const extra = { failures: r.ids.length, records, ...(r.error !== undefined ? { error: r.error } : {}) };
  if (r.reason === 'unreachable') logger.error('database unusable; these records stay on the queue', extra);
  else if (r.reason === 'budget') logger.warn('split budget spent; the records not applied stay on the queue', extra);
  else logger.error('could not set records aside; they stay on the queue', extra);
};

export const makeHandler = (deps: ConsumerDeps) => {
  const base = middy<SQSEvent, SQSBatchResponse>();
  if (metricsOn) base.use(logMetrics(metrics));
  const consume = makeConsumer(deps);
  return base.handler((event, context) => consume(event, context));
};
