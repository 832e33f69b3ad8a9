// Logging and metrics: Powertools in Lambda (structured JSON logs, CloudWatch EMF metrics flushed
// per invocation by the `logMetrics` middleware). With POWERTOOLS_METRICS_DISABLED (the local
// stack), counting is a no-op so the hot path does no work for it.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { config } from '../config/config.ts';
import type { Telemetry } from '../core/ports.ts';

const c = config();

export const logger = new Logger({ serviceName: c.POWERTOOLS_SERVICE_NAME });

export const metrics = new Metrics({ namespace: c.POWERTOOLS_METRICS_NAMESPACE, serviceName: c.POWERTOOLS_SERVICE_NAME });

export const metricsOn = !c.POWERTOOLS_METRICS_DISABLED;

export const telemetry: Telemetry = {
  count: metricsOn ? (metric, value = 1) => metrics.addMetric(metric, MetricUnit.Count, value) : () => {},
  warn: (message, extra) => logger.warn(message, extra ?? {}),
};
