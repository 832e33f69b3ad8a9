// The deliver function: consumes the delivery queue (SQS event source, ReportBatchItemFailures).
// Each record is one attempt of one outgoing webhook (core/webhook-delivery.ts): made
// concurrently within the batch, each bounded by the sender's time-out. A record fails (and comes
// back) only when a store or the queue failed before its next step was recorded; a malformed
// record is logged and acknowledged, never retried.
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { MetricNames } from '../contracts/metrics.ts';
import { type DeliveryDeps, deliverJob, type JobOutcome, parseJob } from '../core/webhook-delivery.ts';
import { logger, metrics, metricsOn } from '../shared/telemetry.ts';

export interface DeliverHandlerDeps {
  /** Built on first use; undefined when the tables or the queue are not configured. */
  delivery: () => DeliveryDeps | undefined;
  count?: (metric: string, value: number) => void;
}

const METRIC: Partial<Record<JobOutcome, string>> = {
  delivered: MetricNames.WebhookDeliveriesSucceeded,
  'retry-scheduled': MetricNames.WebhookDeliveriesFailed,
  disabled: MetricNames.WebhookEndpointsDisabled,
};

export const makeDeliverer = (deps: DeliverHandlerDeps) => {
  const count = deps.count ?? (() => {});
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const delivery = deps.delivery();
    if (!delivery) {
      logger.error('outgoing webhooks are not configured (tables or delivery queue); the records stay on the queue');
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    const settled = await Promise.allSettled(
      event.Records.map(async (r) => {
        const job = parseJob(r.body);
        if (!job) {
          logger.warn('not a delivery job; dropped', { messageId: r.messageId, body: r.body.slice(0, 200) });
          return 'skipped' as const;
        }
        return deliverJob(job, delivery);
      }),
    );
    const failures: string[] = [];
    settled.forEach((s, i) => {
      const id = (event.Records[i] as { messageId: string }).messageId;
      if (s.status === 'rejected') {
        failures.push(id);
        logger.error('delivery step not recorded; the record comes back', {
          messageId: id,
          error: s.reason instanceof Error ? s.reason.message : String(s.reason),
        });
        return;
      }
      const metric = METRIC[s.value];
      if (metric) count(metric, 1);
      // A disabling attempt failed too.
      if (s.value === 'disabled') count(MetricNames.WebhookDeliveriesFailed, 1);
    });
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
};

export const makeHandler = (deps: DeliverHandlerDeps) => {
  const base = middy<SQSEvent, SQSBatchResponse>();
  if (metricsOn) base.use(logMetrics(metrics));
  const deliver = makeDeliverer(deps);
  return base.handler((event) => deliver(event));
};
