// The CDN invalidator's production dependencies: CloudFront's API for CDN_DISTRIBUTION_ID, and
// L1_TTL_S (the profile functions' in-process freshness, which CDK sets from the same stage value).
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudFrontPathInvalidator } from '../adapters/cloudfront-invalidator.ts';
import type { CdnInvalidatorDeps } from '../cdn-invalidator/handler.ts';
import { config } from '../config/config.ts';
import type { PathInvalidator } from '../core/cdn-invalidation.ts';
import { metrics, metricsOn } from '../shared/telemetry.ts';

/** Fails every notice with the reason, so they reach the on-failure queue instead of vanishing. */
const unconfigured: PathInvalidator = {
  invalidate: async () => {
    throw new Error('CDN_DISTRIBUTION_ID is not set: cannot invalidate CloudFront paths');
  },
};

export const wireCdnInvalidator = (): CdnInvalidatorDeps => {
  const c = config();
  // CloudFront's API is global (its endpoint is in us-east-1, where this function runs). The SDK
  // retries throttling itself; a refusal for too many invalidations in progress is the handler's.
  const client = new CloudFrontClient({
    region: c.AWS_REGION || c.AWS_DEFAULT_REGION || 'us-east-1',
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
  });
  return {
    cdn: c.CDN_DISTRIBUTION_ID ? new CloudFrontPathInvalidator({ client, distributionId: c.CDN_DISTRIBUTION_ID }) : unconfigured,
    l1TtlMs: c.L1_TTL_S * 1_000,
    count: metricsOn ? (metric, value) => metrics.addMetric(metric, MetricUnit.Count, value) : undefined,
  };
};
