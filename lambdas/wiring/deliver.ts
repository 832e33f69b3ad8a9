// The deliver function's production dependencies: the endpoints table (read, and disabled in
// place), the delivery log, the delivery queue (next attempts) and the SSRF-safe sender.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { Webhook } from 'standardwebhooks';
import type { DeliverHandlerDeps } from '../deliver/handler.ts';
import { config } from '../config/config.ts';
import type { DeliveryDeps } from '../core/webhook-delivery.ts';
import { logger, metrics, metricsOn } from '../shared/telemetry.ts';
import { deliveryLog, deliveryQueue, endpointStore, retrySchedule, webhookSender } from './webhooks-out.ts';

/** Standard Webhooks' signature header value (`v1,<base64 HMAC-SHA256>`), one Webhook per secret. */
export const standardSign = (secret: string, webhookId: string, at: Date, body: string): string =>
  new Webhook(secret).sign(webhookId, at, body);

export const wireDeliver = (): DeliverHandlerDeps => {
  let deps: DeliveryDeps | undefined;
  return {
    delivery: () => {
      if (deps) return deps;
      const endpoints = endpointStore();
      const log = deliveryLog();
      const queue = deliveryQueue();
      if (!endpoints || !log || !queue) return undefined;
      deps = {
        endpoints,
        log,
        queue,
        sender: webhookSender(),
        sign: standardSign,
        schedule: retrySchedule(),
        // Longer than one attempt may take, so a live attempt is never made twice at once.
        leaseMs: config().WEBHOOK_TIMEOUT_MS * 3,
        warn: (message, extra) => logger.warn(message, extra),
      };
      return deps;
    },
    count: metricsOn ? (metric, value) => metrics.addMetric(metric, MetricUnit.Count, value) : undefined,
  };
};
