// The admin function's production dependencies: the read path's service and origin, the
// invalidator, the queue, and the analytics store and cache, each built on first use.
import { PgAnalyticsStore } from '../adapters/pg-analytics-store.ts';
import { RedisAnalyticsCache } from '../adapters/redis-analytics-cache.ts';
import { secret } from '../adapters/secrets.ts';
import type { AdminDeps } from '../admin/handler.ts';
import { apiKeys } from './api-keys.ts';
import { config } from '../config/config.ts';
import { database } from './database.ts';
import { profileInvalidator } from './invalidator.ts';
import { eventPublisher } from './queue.ts';
import { readPath } from './read-path.ts';
import { webhookEndpointsDeps } from './webhooks-out.ts';

export const wireAdmin = (): AdminDeps => {
  const rp = readPath();
  let store: PgAnalyticsStore | undefined;
  const cache = rp.redis ? new RedisAnalyticsCache(rp.redis, rp.keys) : undefined;
  return {
    adminToken: () => secret('ADMIN_TOKEN'),
    keys: apiKeys,
    service: rp.service,
    origin: rp.origin,
    invalidator: profileInvalidator(),
    publisher: eventPublisher(),
    analytics: {
      store: () => {
        // The finest interval a range can be read at follows the consumer's raw retention.
        store ??= new PgAnalyticsStore(database(), { rawRetentionDays: config().ANALYTICS_RAW_RETENTION_D });
        return store;
      },
      cache: () => cache,
      ttlS: () => rp.config.cache.analyticsTtlS,
    },
    webhooks: webhookEndpointsDeps(),
  };
};
