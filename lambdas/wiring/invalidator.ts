// The profile invalidator over the process-wide read path (one L1, one Redis connection), shared
// by the webhook and admin handlers: in the local stack, where every handler runs in one process,
// an invalidation is seen by the very next GET.
import { ProfileInvalidator } from '../core/invalidation.ts';
import { RedisProfileCache } from '../adapters/redis-profile-cache.ts';
import { readPath } from './read-path.ts';
import { waitReady } from '../adapters/redis-client.ts';
import { telemetry } from '../shared/telemetry.ts';

let built: ProfileInvalidator | undefined;

export const profileInvalidator = (): ProfileInvalidator => {
  if (built) return built;
  const rp = readPath();
  const redis = rp.redis;
  const l2 = redis ? new RedisProfileCache(redis, rp.keys) : undefined;
  built = new ProfileInvalidator({
    invalidate: (username) => rp.service.invalidate(username),
    usernameForId: l2 ? (id) => l2.usernameForId(id) : undefined,
    // Commands fail fast while disconnected; at cold start give the connection its connect timeout.
    ready: redis ? async () => void (await waitReady(redis, rp.config.redis.connectTimeoutMs)) : undefined,
    telemetry,
  });
  return built;
};
