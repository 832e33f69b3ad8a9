// The real local stack (`node bin/start.ts`, via test/helpers/local-stack.ts) as a bench target,
// with a bench-owned demo origin, unique usernames/API key, and cleanup of exactly the Redis keys
// the bench created (never a flush: other engineers share this Redis).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Profile } from '../../lambdas/core/profile.ts';
import { DemoOrigin } from '../../local/demo-origin.ts';
import { type SpawnedStack, spawnStack } from '../../test/helpers/local-stack.ts';
import { track } from './procs.ts';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A short random suffix for names that must not collide with other engineers' runs. */
export const uniq = (bytes = 4): string => randomBytes(bytes).toString('hex');

/** A realistic profile (5 links, theme) for `username`, with a unique id. */
export const benchProfile = (username: string): Profile => ({
  id: `bench_${uniq(6)}`,
  username,
  displayName: `Bench ${username}`,
  bio: 'Synthetic profile created by npm run bench; deleted at the end of the run.',
  avatarUrl: `https://example.com/avatars/${username}.png`,
  links: Array.from({ length: 5 }, (_, i) => ({
    id: `lnk_${i}`,
    title: `Link number ${i + 1}`,
    url: `https://example.com/${username}/link-${i + 1}`,
    position: i,
    enabled: i !== 3,
  })),
  theme: { background: '#101820', accent: '#fee715', font: 'Inter', buttonStyle: 'rounded' },
  lastModified: '2025-01-01T00:00:00.000Z',
});

/** A bench-owned demo origin on a free port with its own API key (so its rate bucket is ours too). */
export const startOrigin = async (): Promise<{ origin: DemoOrigin; url: string; apiKey: string }> => {
  const apiKey = `bench-${uniq(8)}`;
  const origin = new DemoOrigin(apiKey, []);
  const url = await origin.listen(0, '127.0.0.1');
  return { origin, url, apiKey };
};

/**
 * Spawns `node bin/start.ts` with PORT=0 and `env`; the child is tracked for cleanup. Unless `env`
 * sets DATABASE_URL or PGLITE_DIR, each stack gets its own embedded-Postgres dir in the OS temp
 * dir (two stacks can't share `.data/pglite`), removed by `stop()`.
 */
export const startStack = async (env: Record<string, string>): Promise<SpawnedStack> => {
  const own = env.DATABASE_URL || env.PGLITE_DIR ? undefined : mkdtempSync(path.join(os.tmpdir(), 'bench-pglite-'));
  const removeDir = () => {
    if (own) rmSync(own, { recursive: true, force: true });
  };
  try {
    const stack = await spawnStack({
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      REDIS_KEY_PREFIX: BENCH_KEY_PREFIX,
      ...(own ? { PGLITE_DIR: own } : {}),
      ...env,
    });
    track(stack.child);
    const stop = stack.stop;
    return {
      ...stack,
      stop: async () => {
        try {
          return await stop();
        } finally {
          removeDir();
        }
      },
    };
  } catch (err) {
    removeDir();
    // Keep the error readable: the stack's output can be megabytes (minified stack traces).
    const text = err instanceof Error ? err.message : String(err);
    throw new Error(text.length > 3_000 ? `${text.slice(0, 1_500)}\n...\n${text.slice(-1_500)}` : text);
  }
};

/** Every Redis key of this bench run is under its own prefix, so a dev stack's keys are never touched. */
export const BENCH_KEY_PREFIX = `bench:${process.pid}:${Date.now().toString(36)}:`;

/** Deletes exactly what the bench made: the keys under BENCH_KEY_PREFIX. Returns how many. */
export const deleteBenchKeys = async (): Promise<number> => {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${BENCH_KEY_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length) deleted += await redis.del(...found);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
};
