// Custom CloudWatch metrics: the one list shared by the code that emits them (lambdas/, via
// Powertools Metrics) and the CDK code that alarms and graphs them. Dependency-free on purpose.

/** CloudWatch namespace of every custom metric (`POWERTOOLS_METRICS_NAMESPACE`). */
export const METRIC_NAMESPACE = 'LinkCache';

/** Dimension Powertools adds to every metric; its value is `POWERTOOLS_SERVICE_NAME`. */
export const SERVICE_DIMENSION = 'service';

export const MetricNames = {
  /** A read answered from a fresh cached copy (L1 or L2). Count. */
  CacheHit: 'CacheHit',
  /** A read that had to go to the origin. Count. */
  CacheMiss: 'CacheMiss',
  /** A read answered from a stale copy while the origin failed or a refresh ran. Count. */
  CacheStale: 'CacheStale',
  /** A read answered 404 from a cached negative entry. Count. */
  CacheNegativeHit: 'CacheNegativeHit',
  /** An L2 (Redis) read or write that failed; the read fell through to L1/origin. Count. */
  CacheErrors: 'CacheErrors',
  /** A background refresh behind a stale answer that failed (the stale copy kept being served). Count. */
  RefreshFailed: 'RefreshFailed',
  /** One HTTP request to the origin (each attempt). Count. */
  OriginCalls: 'OriginCalls',
  /** The origin answered 429, or the local rate budget refused a call. Count. */
  OriginThrottled: 'OriginThrottled',
  /** A click or view event that could not be enqueued and was lost. Count. */
  ClickEventsDropped: 'ClickEventsDropped',
  /** Events folded into the 10-second aggregates by the consumer. Count. */
  EventsApplied: 'EventsApplied',
} as const;

export type MetricName = (typeof MetricNames)[keyof typeof MetricNames];

/**
 * Values of the `service` dimension: each Lambda's `POWERTOOLS_SERVICE_NAME` is its function name.
 * Alarms sum a metric over all of them, so it does not matter which function emits it.
 */
export const METRIC_SERVICES = ['profile', 'site', 'track', 'webhook', 'admin', 'consumer', 'migrate'] as const;
