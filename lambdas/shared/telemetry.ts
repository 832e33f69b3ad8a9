// Logging and metrics: Powertools in Lambda (structured JSON logs, CloudWatch EMF metrics flushed
// per invocation by the `logMetrics` middleware). With POWERTOOLS_METRICS_DISABLED (the local
// stack), counting is a no-op so the hot path does no work for it.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Telemetry } from '../core/ports.ts';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'linkcache';

export const logger = new Logger({ serviceName });

export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'LinkCache', serviceName });

export const metricsOn = !process.env.POWERTOOLS_METRICS_DISABLED || process.env.POWERTOOLS_METRICS_DISABLED === 'false';

export const telemetry: Telemetry = {
  count: metricsOn ? (metric, value = 1) => metrics.addMetric(metric, MetricUnit.Count, value) : () => {},
  warn: (message, extra) => logger.warn(message, extra ?? {}),
};
