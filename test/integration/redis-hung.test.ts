// A hung Redis (SIGSTOPped: connections stay open, nothing answers) under the production read
// path: buildReadPath's ProfileService, RedisProfileCache, rate limiter and createRedis with the
// fail-fast options, over a local HTTP origin. A cold read must cost at most one command timeout
// on Redis, never lock TTLs; then the breaker keeps reads off Redis until a trial succeeds.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitReady } from '../../lambdas/adapters/redis-client.ts';
import { readPathSettings } from '../../lambdas/config/config.ts';
import { parseConfig } from '../../lambdas/config/variables.ts';
import { profileView } from '../../lambdas/profile/views.ts';
import { ProfileNotFoundError } from '../../lambdas/shared/errors.ts';
import { checkHealth } from '../../lambdas/shared/health.ts';
import { buildReadPath, type ReadPath } from '../../lambdas/wiring/read-path.ts';
import { DemoOrigin } from '../../local/demo-origin.ts';
import { makeProfile } from '../helpers/fakes.ts';
import { TEST_KEY_PREFIX, testKeys, uniqueUsername } from '../helpers/redis.ts';
import { freePort, RedisServer } from '../helpers/redis-server.ts';

// The origin client reads its key through secret(), i.e. the process configuration, which is
// parsed when the wiring's modules load: set it before they do.
const API_KEY = vi.hoisted(() => {
  process.env.ORIGIN_API_KEY = 'hung-redis-test-key';
  return process.env.ORIGIN_API_KEY;
});
/** Each origin answer takes this long: the origin's own time in a read. */
const ORIGIN_MS = 150;
/** What a read may add to its origin time while Redis hangs. */
const REDIS_BOUND_MS = 2_000;
const COOLDOWN_MS = 1_000;

let server: RedisServer;
let origin: DemoOrigin;
let rp: ReadPath;

beforeAll(async () => {
  server = new RedisServer(await freePort());
  await server.start();
  origin = new DemoOrigin(API_KEY, []);
  const originUrl = await origin.listen(0, '127.0.0.1');
  origin.control = { ...origin.control, mode: 'slow', delayMs: ORIGIN_MS };
  rp = buildReadPath(
    readPathSettings(
      parseConfig({
        REDIS_URL: server.url,
        ORIGIN_URL: originUrl,
        REDIS_KEY_PREFIX: TEST_KEY_PREFIX,
        REDIS_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
      }),
    ),
  );
  if (!rp.redis || !(await waitReady(rp.redis, 3_000))) throw new Error('the test redis-server is not reachable');
});

afterAll(async () => {
  try {
    server?.resume();
  } catch {}
  await rp?.service.settled();
  rp?.redis?.disconnect();
  await origin?.close();
  await server?.kill();
});

const timed = async <T>(fn: () => Promise<T>): Promise<{ ms: number; value: T | undefined; error: unknown }> => {
  const started = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - started, value, error: undefined };
  } catch (error) {
    return { ms: performance.now() - started, value: undefined, error };
  }
};

const seed = (prefix: string): string => {
  const u = uniqueUsername(prefix);
  origin.profiles.set(u, makeProfile(u));
  return u;
};

describe('a hung Redis (SIGSTOP) on the production read path', () => {
  it('answers cold reads within origin time + 2 s, skips Redis while the breaker is open, and uses L2 again after', async () => {
    const redis = rp.redis as NonNullable<ReadPath['redis']>;
    const warm = seed('warm');
    expect((await rp.service.view(profileView, warm)).outcome).toBe('MISS');
    expect(await redis.exists(testKeys.profile(warm))).toBe(1);
    const commands = vi.spyOn(redis, 'sendCommand');

    server.pause();
    const cold = await timed(() => rp.service.view(profileView, seed('cold')));
    expect(cold.error).toBeUndefined();
    expect(cold.value?.outcome).toBe('MISS');
    expect(cold.ms).toBeLessThan(ORIGIN_MS + REDIS_BOUND_MS);

    const unknown = await timed(() => rp.service.view(profileView, uniqueUsername('nobody')));
    expect(unknown.error).toBeInstanceOf(ProfileNotFoundError);
    expect(unknown.ms).toBeLessThan(ORIGIN_MS + REDIS_BOUND_MS);

    // Each of those timed out on Redis at most once or twice (read, rate limiter): the breaker
    // (3 consecutive failures) opens within a read or two more.
    for (let i = 0; i < 3 && rp.service.l2BreakerState() !== 'open'; i++) await rp.service.view(profileView, seed('more'));
    expect(rp.service.l2BreakerState()).toBe('open');
    expect((await checkHealth()).dependencies.redis).toMatchObject({ status: 'down', detail: 'breaker open' });

    // Open: reads (rate limiter included) send Redis nothing, and wait on it for nothing.
    const sent = commands.mock.calls.length;
    const skipped = await timed(() => rp.service.view(profileView, seed('skipped')));
    expect(skipped.value?.outcome).toBe('MISS');
    expect(commands.mock.calls.length).toBe(sent);
    expect(skipped.ms).toBeLessThan(ORIGIN_MS + 1_000);

    // Redis answers again; after the cooldown one trial call closes the breaker and L2 is used.
    server.resume();
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 100));
    const back = seed('back');
    expect((await rp.service.view(profileView, back)).outcome).toBe('MISS');
    expect(rp.service.l2BreakerState()).toBe('closed');
    expect(commands.mock.calls.length).toBeGreaterThan(sent);
    expect(await redis.exists(testKeys.profile(back))).toBe(1);
    expect((await checkHealth()).dependencies.redis.status).toBe('up');

    await Promise.all([warm, back].map((u) => rp.service.invalidate(u)));
  });
});
