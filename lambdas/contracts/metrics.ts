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
  /**
   * The Redis circuit breaker opened after consecutive L2 failures (or a failed trial call): reads
   * skip L2, serving from L1 and the origin, for `REDIS_BREAKER_COOLDOWN_MS`. Count.
   */
  RedisBreakerOpen: 'RedisBreakerOpen',
  /** A background refresh behind a stale answer that failed (the stale copy kept being served). Count. */
  RefreshFailed: 'RefreshFailed',
  /** One HTTP request to the origin (each attempt). Count. */
  OriginCalls: 'OriginCalls',
  /** An origin attempt that got no HTTP answer (network error, timeout). Count. */
  OriginErrors: 'OriginErrors',
  /** The origin answered 429, or the local rate budget refused a call. Count. */
  OriginThrottled: 'OriginThrottled',
  /**
   * The origin answered in a shape this service cannot read (a Linktree page without its
   * `__NEXT_DATA__` or its `account.username`, an MCP tool output of another shape): Linktree
   * changed something; served stale or 503 until the adapter is fixed. Alarmed. Count.
   */
  OriginShapeChanged: 'OriginShapeChanged',
  /** A click or view event that could not be enqueued and was lost. Count. */
  ClickEventsDropped: 'ClickEventsDropped',
  /** A redirect that was not counted as a click (HEAD or a bot user agent). Count. */
  ClicksNotCounted: 'ClicksNotCounted',
  /** Beacon events accepted but not counted (the beacon came from a bot user agent). Count. */
  BeaconEventsNotCounted: 'BeaconEventsNotCounted',
  /** A counted event that went without a visitor because the salts table failed or was slow. Count. */
  VisitorSaltUnavailable: 'VisitorSaltUnavailable',
  /** Events the queue accepted (SendMessage or the successful entries of a batch). Count. */
  EventsPublished: 'EventsPublished',
  /** Events the queue finally refused, after retries or at once for a permanent error. Count. */
  EventsPublishFailed: 'EventsPublishFailed',
  /** Batch entries that failed and were sent again. Count. */
  EventsPublishRetried: 'EventsPublishRetried',
  /** Events folded into the 10-second aggregates by the consumer. Count. */
  EventsApplied: 'EventsApplied',
  /** Counted events the consumer had already applied (same event id), skipped. Count. */
  EventsDuplicate: 'EventsDuplicate',
  /** Queue messages that are not a valid event; set aside in rejected_events, like poison. Count. */
  EventsMalformed: 'EventsMalformed',
  /**
   * Queue messages the consumer set aside in `rejected_events` instead of counting them (poison
   * that Postgres refused even alone, malformed, or older than the exactly-once ledger's horizon);
   * acknowledged, so they never reach the DLQ. Count.
   */
  EventsRejected: 'EventsRejected',
  /** A consumer batch with records left on the queue (database unusable, split budget spent, or set-aside write failed). Count. */
  ConsumerBatchFailed: 'ConsumerBatchFailed',
  /** Usernames whose cached views were dropped after a profile changed. Count. */
  CacheInvalidations: 'CacheInvalidations',
  /** An invalidation that could not be guaranteed (shared tier unreachable). Count. */
  CacheInvalidationFailed: 'CacheInvalidationFailed',
  /** A webhook processed for the first time (invalidated as needed and enqueued). Count. */
  WebhookProcessed: 'WebhookProcessed',
  /** A webhook redelivery whose id was already processed; answered without effects. Count. */
  WebhookDuplicate: 'WebhookDuplicate',
  /**
   * A CloudFront invalidation created by the CDN invalidator: one CreateInvalidation call (a retried
   * notice's call, which CloudFront recognizes by its CallerReference, counts again). Emitted in
   * us-east-1 by `cdn-invalidator`, which is not one of METRIC_SERVICES (those are the main region's). Count.
   */
  CdnInvalidations: 'CdnInvalidations',
  /** Paths in those calls, the wildcard included: what CloudFront bills past 1,000 a month. Count. */
  CdnPathsInvalidated: 'CdnPathsInvalidated',
  /** Hot profiles the change watcher re-read from the origin and compared with the cached copy. Count. */
  WatcherChecked: 'WatcherChecked',
  /** Changes the watcher found (profile.updated, or profile.deleted for a 404) and applied. Count. */
  WatcherChanges: 'WatcherChanges',
  /** Tokens the watcher took from its share of the origin budget (WATCH_BUDGET_SHARE). Count. */
  WatcherBudgetUsed: 'WatcherBudgetUsed',
  /** Watcher steps that failed (hot set, cache, origin read, applying a change); the run went on. Count. */
  WatcherFailures: 'WatcherFailures',
  /** Outgoing webhook jobs the consumer put on the delivery queue (one per event and endpoint). Count. */
  WebhookDeliveriesEnqueued: 'WebhookDeliveriesEnqueued',
  /** An outgoing webhook attempt answered 2xx. Count. */
  WebhookDeliveriesSucceeded: 'WebhookDeliveriesSucceeded',
  /** An outgoing webhook attempt that failed (non-2xx, no answer, refused address). Count. */
  WebhookDeliveriesFailed: 'WebhookDeliveriesFailed',
  /** An outgoing webhook endpoint disabled (410, retry schedule exhausted, or failing for days). Count. */
  WebhookEndpointsDisabled: 'WebhookEndpointsDisabled',
} as const;

export type MetricName = (typeof MetricNames)[keyof typeof MetricNames];

/**
 * Values of the `service` dimension: each Lambda's `POWERTOOLS_SERVICE_NAME` is its function name.
 * Alarms sum a metric over all of them, so it does not matter which function emits it.
 */
export const METRIC_SERVICES = [
  'profile',
  'site',
  'track',
  'webhook',
  'admin',
  'consumer',
  'migrate',
  'watcher',
  'deliver',
] as const;
