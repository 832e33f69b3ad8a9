// The change watcher end to end: the real local stack (`npm start`) in front of a demo origin this
// test owns, with WATCH_INTERVAL_S=2 and a profile TTL of an hour, so only the watcher can bring
// an edit in. Read a profile, edit it at the origin, and poll the API until it serves the edit:
// it must arrive within WATCH_INTERVAL_S + L1_TTL_S plus slack (a correctness bound, not a speed
// goal: the measured time is printed), with one profile.updated (source watcher) on the queue,
// seen through the emulator's message spy even after the consumer deleted it. Both the HTTP origin
// (with Redis, and without: the in-process tier alone) and the Linktree public-page origin (the
// demo origin serves Linktree-shaped pages too).
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../lambdas/core/profile.ts';
import { DemoOrigin } from '../../local/demo-origin.ts';
import { makeProfile } from '../helpers/fakes.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';
import { TEST_DATABASE_URL } from '../helpers/pg.ts';

const QUEUE = 'linkcache-events';
const WATCH_INTERVAL_S = 2;
const L1_TTL_S = 1;
/** Slack over the bound for a loaded machine (two cores shared with other work). */
const SLACK_S = 10;
const API_KEY = 'watcher-e2e-key';

interface SqsSpied {
  service: string;
  queueName: string;
  body: string;
  status: string;
}

let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
let dynamo: Server;

beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false, messageSpies: { bufferSize: 1000 } });
  dynamo = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(async () => {
  await fauxqs?.stop();
  await new Promise<void>((resolve) => (dynamo ? dynamo.close(() => resolve()) : resolve()));
});

/** Events the stacks published to the events queue about `username`. */
const publishedFor = (username: string) =>
  (fauxqs.spy.getAllMessages() as unknown as SqsSpied[])
    .filter((m) => m.service === 'sqs' && m.status === 'published' && m.queueName === QUEUE)
    .map((m) => JSON.parse(m.body) as { id: string; type: string; data: Record<string, unknown> })
    .filter((e) => e.data.username === username);

const until = async <T>(what: string, boundMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
  const started = Date.now();
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() - started > boundMs) throw new Error(`${what}: not within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const modes = [
  { name: 'ORIGIN=http', env: (url: string) => ({ ORIGIN: 'http', ORIGIN_URL: url }) },
  // No Redis: the in-memory hot set, compared with the in-process tier's copy.
  { name: 'ORIGIN=http without Redis', env: (url: string) => ({ ORIGIN: 'http', ORIGIN_URL: url, REDIS_URL: '' }) },
  {
    name: 'ORIGIN=linktree (Linktree-shaped pages from the demo origin)',
    env: (url: string) => ({ ORIGIN: 'linktree', LINKTREE_BASE_URL: url, ORIGIN_URL: url }),
  },
];

for (const mode of modes) {
  describe(`change watcher on the local stack, ${mode.name}`, () => {
    let origin: DemoOrigin;
    let stack: SpawnedStack;

    beforeAll(async () => {
      origin = new DemoOrigin(API_KEY);
      const url = await origin.listen(0);
      stack = await spawnStack({
        ...mode.env(url),
        ORIGIN_API_KEY: API_KEY,
        WATCH_INTERVAL_S: String(WATCH_INTERVAL_S),
        L1_TTL_S: String(L1_TTL_S),
        PROFILE_TTL_S: '3600',
        LINKS_TTL_S: '3600',
        AWS_ENDPOINT_URL: fauxqs.address,
        AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        DATABASE_URL: TEST_DATABASE_URL,
        BATCH_WINDOW_S: '1',
      });
    });

    afterAll(async () => {
      const code = await stack?.stop();
      await origin?.close();
      expect(code).toBe(0);
    });

    const get = async (u: string): Promise<Profile> => {
      const res = await fetch(`${stack.url}/api/profiles/${u}`);
      expect(res.status).toBe(200);
      return (await res.json()) as Profile;
    };

    it('serves an edit made at the origin within WATCH_INTERVAL_S + L1_TTL_S, and enqueues one profile.updated from the watcher', async () => {
      const u = `w_${randomBytes(4).toString('hex')}`;
      const still = `s_${randomBytes(4).toString('hex')}`;
      origin.profiles.set(u, makeProfile(u, { bio: 'before the edit' }));
      origin.profiles.set(still, makeProfile(still, { bio: 'never edited' }));
      expect((await get(u)).bio).toBe('before the edit');
      expect((await get(still)).bio).toBe('never edited');
      // Let a run or two see both unchanged, so the edit below is what the watcher finds.
      await new Promise((r) => setTimeout(r, WATCH_INTERVAL_S * 1000 + 500));
      expect(publishedFor(u)).toEqual([]);

      origin.profiles.set(u, makeProfile(u, { bio: 'after the edit' }));
      const edited = Date.now();
      const boundMs = (WATCH_INTERVAL_S + L1_TTL_S + SLACK_S) * 1000;
      await until('the edit served', boundMs, async () => ((await get(u)).bio === 'after the edit' ? true : undefined));
      const tookMs = Date.now() - edited;
      console.log(`[watcher e2e, ${mode.name}] edit served ${tookMs} ms after it was made (bound ${boundMs} ms)`);
      expect(tookMs).toBeLessThanOrEqual(boundMs);

      const events = await until('the watcher event', 5_000, async () => {
        const found = publishedFor(u);
        return found.length ? found : undefined;
      });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'profile.updated',
        data: { username: u, source: 'watcher', profileId: `prof_${u}` },
      });
      // The event reaches the queue before its log line crosses the child's stdout pipe: wait for it.
      const line = new RegExp(`watcher: ${u} changed: profile\\.updated ${events[0].id} enqueued`);
      await until("the watcher's log line", 5_000, async () => (line.test(stack.output()) ? true : undefined));
      expect(stack.output()).toMatch(/watcher: checked \d+, changed \d+, budget \d+ \(of 75\/min\)/);

      // Further runs find nothing new: the same change is not enqueued again, the unedited one never.
      await new Promise((r) => setTimeout(r, WATCH_INTERVAL_S * 1000 * 2));
      expect(publishedFor(u)).toHaveLength(1);
      expect(publishedFor(still)).toEqual([]);
    });
  });
}
