// A verified webhook against real Redis: exactly the profile's keys are deleted (snapshot,
// analytics summaries listed in the index, the index, the fill lock), nobody else's, and the
// next read goes to the origin for the new content.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryProfileCache } from '../../lambdas/adapters/memory-profile-cache.ts';
import { RedisProfileCache } from '../../lambdas/adapters/redis-profile-cache.ts';
import { ProfileInvalidator } from '../../lambdas/core/invalidation.ts';
import { ProfileService } from '../../lambdas/core/profile-service.ts';
import type { Profile } from '../../lambdas/core/profile.ts';
import { readPathSettings } from '../../lambdas/config/config.ts';
import { parseConfig } from '../../lambdas/config/variables.ts';
import type { HttpResult } from '../../lambdas/shared/http.ts';
import type { RedisClient } from '../../lambdas/adapters/redis-client.ts';
import { makeHandler } from '../../lambdas/webhook/handler.ts';
import { FakePublisher, MemoryIdempotency } from '../helpers/write-fakes.ts';
import { apiEvent, lambdaContext } from '../helpers/events.ts';
import { makeProfile } from '../helpers/fakes.ts';
import { connectRedis, deleteTestKeys, testKeys, uniqueUsername } from '../helpers/redis.ts';
import { newWebhookSecret, signWebhook, webhookBody } from '../helpers/webhooks.ts';

const SECRET = newWebhookSecret();
let redis: RedisClient;
const cleanup: string[] = [];

beforeAll(async () => {
  redis = await connectRedis();
});
afterAll(async () => {
  if (cleanup.length) await Promise.all(cleanup.map((k) => redis.del(k)));
  await deleteTestKeys(redis);
  redis.disconnect();
});

const build = () => {
  const origin = new Map<string, Profile>();
  let originCalls = 0;
  const l2 = new RedisProfileCache(redis, testKeys);
  const service = new ProfileService({
    config: readPathSettings(parseConfig({})).cache,
    l1: new MemoryProfileCache({ maxEntries: 100, maxBytes: 1 << 20, retainMs: 60_000 }),
    l2,
    origin: {
      fetchProfile: async (u) => {
        originCalls++;
        return origin.get(u);
      },
      updateLinks: async () => {
        throw new Error('unused');
      },
    },
  });
  const invalidator = new ProfileInvalidator({
    invalidate: (u) => service.invalidate(u),
    usernameForId: (id) => l2.usernameForId(id),
  });
  const publisher = new FakePublisher();
  const handler = makeHandler({ secret: async () => SECRET, idempotency: new MemoryIdempotency(), publisher, invalidator });
  const send = async (body: string) => {
    const w = signWebhook(SECRET, body);
    return (await handler(
      apiEvent({ method: 'POST', route: '/webhooks/linktree', headers: w.headers, body: w.body }),
      lambdaContext(),
    )) as HttpResult;
  };
  return { origin, service, publisher, send, calls: () => originCalls };
};

/** Seeds the keys the read path and the analytics route keep for a profile. */
const seedViews = async (u: string): Promise<string[]> => {
  const summaries = [testKeys.analytics(u, 'q1'), testKeys.analytics(u, 'q2')];
  for (const k of summaries) await redis.set(k, '{}', 'EX', 600);
  await redis.sadd(testKeys.analyticsIndex(u), ...summaries);
  await redis.set(testKeys.lock(u), 'someone', 'PX', 5_000);
  cleanup.push(...summaries, testKeys.analyticsIndex(u), testKeys.lock(u), testKeys.profile(u), testKeys.profileId(`prof_${u}`));
  return summaries;
};

describe('webhook invalidation against real Redis', () => {
  it('deletes exactly the profile’s keys, resolving the username from profileId', async () => {
    const t = build();
    const u = uniqueUsername('wh');
    const other = uniqueUsername('wh');
    t.origin.set(u, makeProfile(u, { bio: 'old' }));
    t.origin.set(other, makeProfile(other));
    expect((await t.service.profile(u)).profile.bio).toBe('old');
    await t.service.profile(other);
    const summaries = await seedViews(u);
    const otherSummaries = await seedViews(other);
    await redis.del(testKeys.lock(other)); // other's lock only matters as "not touched" below
    await redis.set(testKeys.lock(other), 'x', 'PX', 5_000);

    t.origin.set(u, makeProfile(u, { bio: 'new' }));
    const res = await t.send(webhookBody({ type: 'profile.updated', profileId: `prof_${u}` }));
    expect(res.statusCode).toBe(200);

    for (const k of [testKeys.profile(u), testKeys.analyticsIndex(u), testKeys.lock(u), ...summaries])
      expect(await redis.exists(k)).toBe(0);
    for (const k of [testKeys.profile(other), testKeys.analyticsIndex(other), testKeys.lock(other), ...otherSummaries])
      expect(await redis.exists(k)).toBe(1);
    // The mapping stays (the next fill rewrites it); the event carries the resolved username.
    expect(await redis.get(testKeys.profileId(`prof_${u}`))).toBe(u);
    expect(t.publisher.published[0].data).toMatchObject({ profileId: `prof_${u}`, username: u });

    const before = t.calls();
    const next = await t.service.profile(u);
    expect(next.outcome).toBe('MISS');
    expect(next.profile.bio).toBe('new');
    expect(t.calls()).toBe(before + 1);
  });

  it('a profile never cached: nothing deleted, event still enqueued', async () => {
    const t = build();
    const u = uniqueUsername('wh');
    const res = await t.send(webhookBody({ type: 'links.updated', profileId: `prof_${u}` }));
    expect(res.statusCode).toBe(200);
    expect(t.publisher.published).toHaveLength(1);
    expect(t.publisher.published[0].data.username).toBeUndefined();
  });
});
