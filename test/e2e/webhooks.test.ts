// The write side over HTTP against the real local stack: signed webhooks, admin link updates,
// and what lands on the events queue. The stack runs against emulators this test owns (a fauxqs
// with a message spy, a dynalite) passed in as AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB, so
// every message the stack publishes is counted even if a consumer deletes it right away.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventIdFor } from '../../lambdas/core/webhook.ts';
import { redisKeys } from '../../lambdas/adapters/redis-keys.ts';
import type { RedisClient } from '../../lambdas/adapters/redis-client.ts';
import { makeProfile } from '../helpers/fakes.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';
import { TEST_DATABASE_URL } from '../helpers/pg.ts';
import { connectRedis } from '../helpers/redis.ts';
import { newWebhookSecret, signWebhook, webhookBody } from '../helpers/webhooks.ts';

const uname = (p: string) => `${p}_${randomBytes(4).toString('hex')}`;
const SECRET = newWebhookSecret();
const QUEUE = 'linkcache-events';

let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
let dynamo: Server;
let stack: SpawnedStack;
let redis: RedisClient;
const used: string[] = [];

beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false, messageSpies: { bufferSize: 1000 } });
  dynamo = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  stack = await spawnStack({
    WEBHOOK_SECRET: SECRET,
    AWS_ENDPOINT_URL: fauxqs.address,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
  });
  redis = await connectRedis();
});

afterAll(async () => {
  const code = await stack?.stop();
  const keys = redisKeys(stack?.keyPrefix ?? '');
  for (const u of used) await redis?.del(keys.profile(u), keys.profileId(`prof_${u}`), keys.lock(u), keys.analyticsIndex(u));
  redis?.disconnect();
  await fauxqs?.stop();
  await new Promise<void>((resolve) => (dynamo ? dynamo.close(() => resolve()) : resolve()));
  expect(code).toBe(0);
});

const origin = () => {
  const base = stack.originUrl as string;
  return {
    put: (username: string, bio: string) =>
      fetch(`${base}/__profiles/${username}`, { method: 'PUT', body: JSON.stringify(makeProfile(username, { bio })) }),
    calls: async (subject: string): Promise<number> =>
      ((await (await fetch(`${base}/__stats`)).json()).byUsername[subject] ?? 0) as number,
  };
};

const newProfile = async (bio = 'v1'): Promise<string> => {
  const u = uname('wh');
  used.push(u);
  await origin().put(u, bio);
  return u;
};

const getProfile = async (u: string) => {
  const res = await fetch(`${stack.url}/api/profiles/${u}`);
  return {
    status: res.status,
    cache: res.headers.get('x-cache'),
    etag: res.headers.get('etag'),
    body: (await res.json()) as Record<string, unknown>,
  };
};

const postWebhook = (w: { headers: Record<string, string>; body: string }) =>
  fetch(`${stack.url}/webhooks/linktree`, { method: 'POST', headers: w.headers, body: w.body });

interface SqsSpied {
  service: 'sqs';
  queueName: string;
  body: string;
  messageAttributes: Record<string, { StringValue?: string }>;
  status: string;
  timestamp: number;
}

/** Everything the stack published to the events queue (the spy sees it even if a consumer deleted it). */
const publishedToQueue = (): SqsSpied[] =>
  (fauxqs.spy.getAllMessages() as unknown as SqsSpied[]).filter(
    (m) => m.service === 'sqs' && m.status === 'published' && m.queueName === QUEUE,
  );

/** Messages the stack published to the events queue for this event id. */
const published = (eventId: string) => publishedToQueue().filter((m) => JSON.parse(m.body).id === eventId);

const admin = (method: string, path: string, body?: unknown, token = stack.adminToken) =>
  fetch(`${stack.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });

describe('webhooks over HTTP', () => {
  it('created the queues and table on the given endpoints, and reports them healthy', async () => {
    expect(fauxqs.inspectQueue(QUEUE)?.attributes.RedrivePolicy).toContain('linkcache-events-dlq');
    const health = await (await fetch(`${stack.url}/health`)).json();
    expect(health.dependencies.queue.status).toBe('up');
    expect(health.dependencies.idempotency.status).toBe('up');
  });

  it('a signed webhook makes the next GET return the new content, and enqueues one event', async () => {
    const u = await newProfile('v1');
    expect((await getProfile(u)).body.bio).toBe('v1');
    await origin().put(u, 'v2');
    const cached = await getProfile(u);
    expect(cached.body.bio).toBe('v1');
    expect(cached.cache).toBe('HIT');

    // Only the profile id: the username comes from the mapping the read path keeps.
    const w = signWebhook(SECRET, webhookBody({ type: 'profile.updated', profileId: `prof_${u}` }));
    const res = await postWebhook(w);
    expect(res.status).toBe(200);

    const next = await getProfile(u);
    expect(next.body.bio).toBe('v2');
    expect(next.cache).toBe('MISS');
    const msgs = published(eventIdFor(w.id));
    expect(msgs).toHaveLength(1);
    expect(msgs[0].messageAttributes.type?.StringValue).toBe('profile.updated');
    expect(JSON.parse(msgs[0].body).data).toMatchObject({ profileId: `prof_${u}`, username: u, webhookId: w.id });
  });

  it('a replay answers 2xx with no second enqueue and no second invalidation', async () => {
    const u = await newProfile('v1');
    await getProfile(u);
    const w = signWebhook(SECRET, webhookBody({ type: 'links.updated', profileId: `prof_${u}`, username: u }));
    expect((await postWebhook(w)).status).toBe(200);
    await getProfile(u); // refill after the invalidation
    const calls = await origin().calls(u);

    const replay = await postWebhook(w);
    expect(replay.status).toBe(200);
    expect((await replay.json()).duplicate).toBe(true);
    expect((await getProfile(u)).cache).toBe('HIT');
    expect(await origin().calls(u)).toBe(calls);
    await new Promise((r) => setTimeout(r, 200));
    expect(published(eventIdFor(w.id))).toHaveLength(1);
  });

  it('forged, stale and oversized requests are refused, enqueue nothing and invalidate nothing', async () => {
    const u = await newProfile('v1');
    await getProfile(u);
    await origin().put(u, 'v2');
    const calls = await origin().calls(u);
    const body = webhookBody({ profileId: `prof_${u}`, username: u });

    const forged = signWebhook(newWebhookSecret(), body);
    const stale = signWebhook(SECRET, body, { timestampS: Math.floor(Date.now() / 1000) - 600 });
    const future = signWebhook(SECRET, body, { timestampS: Math.floor(Date.now() / 1000) + 600 });
    const bigBody = webhookBody({ profileId: `prof_${u}`, username: u, data: { pad: 'x'.repeat(300 * 1024) } });
    const oversized = signWebhook(SECRET, bigBody);
    const malformed = signWebhook(SECRET, '{"type": "profile.updated"');

    const statuses: number[] = [];
    for (const w of [forged, stale, future, oversized, malformed]) {
      const res = await postWebhook(w);
      statuses.push(res.status);
      const err = (await res.json()).error;
      expect(err.code).toMatch(/^[A-Z_]+$/);
      expect(err.message.length).toBeGreaterThan(10);
    }
    expect(statuses).toEqual([401, 401, 401, 413, 400]);

    await new Promise((r) => setTimeout(r, 200));
    for (const w of [forged, stale, future, oversized, malformed]) expect(published(eventIdFor(w.id))).toHaveLength(0);
    const after = await getProfile(u);
    expect(after.body.bio).toBe('v1');
    expect(await origin().calls(u)).toBe(calls);

    // The refused id was not marked: the genuine delivery with the same id goes through.
    const genuine = signWebhook(SECRET, body, { id: forged.id });
    expect((await postWebhook(genuine)).status).toBe(200);
    expect((await getProfile(u)).body.bio).toBe('v2');
    expect(published(eventIdFor(forged.id))).toHaveLength(1);
  });
});

describe('admin routes over HTTP', () => {
  it('PATCH links with a javascript: URL → 400 and nothing changes', async () => {
    const u = await newProfile('v1');
    const before = await getProfile(u);
    const res = await admin('PATCH', `/api/profiles/${u}/links`, {
      links: [{ id: 'a', url: 'javascript:alert(document.cookie)' }],
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('INVALID_REQUEST');
    const after = await getProfile(u);
    expect(after.etag).toBe(before.etag);
    expect(await origin().calls(`prof_${u}`)).toBe(0);
  });

  it('PATCH links without the admin token → 401', async () => {
    const u = await newProfile('v1');
    const res = await admin('PATCH', `/api/profiles/${u}/links`, { links: [{ id: 'a', title: 'x' }] }, '');
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('UNAUTHORIZED');
  });

  it('PATCH links with a good update changes GET, and publishes links.updated', async () => {
    const u = await newProfile('v1');
    await getProfile(u);
    const since = Date.now();
    const res = await admin('PATCH', `/api/profiles/${u}/links`, {
      links: [
        { id: 'a', title: 'Renamed' },
        { title: 'Brand new', url: 'https://example.com/new' },
      ],
    });
    expect(res.status).toBe(200);
    const updated = await res.json();
    expect(updated.links.find((l: { id: string }) => l.id === 'a').title).toBe('Renamed');

    const next = await getProfile(u);
    const links = next.body.links as Array<{ title: string; url: string }>;
    expect(links.map((l) => l.title)).toContain('Brand new');
    expect(links.find((l) => l.title === 'Renamed')).toBeDefined();

    const events = publishedToQueue().filter((m) => m.timestamp >= since && JSON.parse(m.body).type === 'links.updated');
    expect(events.map((m) => JSON.parse(m.body).data.username)).toContain(u);
  });

  it('POST /api/cache/invalidate/{username} → {invalidated: true}; the next GET refills', async () => {
    const u = await newProfile('v1');
    await getProfile(u);
    await origin().put(u, 'v2');
    const res = await admin('POST', `/api/cache/invalidate/${u}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ invalidated: true });
    expect((await getProfile(u)).body.bio).toBe('v2');
  });
});

describe('the stack’s own emulators and the DLQ CLI', () => {
  it('starts fauxqs and dynalite itself, prints the queue URLs, and `npm run dlq -- list` reads them', async () => {
    const own = await spawnStack({ DATABASE_URL: TEST_DATABASE_URL });
    try {
      const line = /queue: fauxqs at (\S+); events (\S+) dlq (\S+) /.exec(own.output());
      expect(line).not.toBeNull();
      const [, endpoint, queueUrl, dlqUrl] = line as RegExpExecArray;
      expect(own.output()).toMatch(/idempotency: table linkcache-idempotency on dynalite/);
      const health = await (await fetch(`${own.url}/health`)).json();
      expect(health.dependencies.queue.status).toBe('up');
      const w = signWebhook(own.webhookSecret as string, webhookBody({ type: 'account.created' }));
      const res = await fetch(`${own.url}/webhooks/linktree`, { method: 'POST', headers: w.headers, body: w.body });
      expect(res.status).toBe(200);
      const { stdout } = await promisify(execFile)(process.execPath, ['tools/dlq.ts', 'list'], {
        env: { ...process.env, AWS_ENDPOINT_URL: endpoint, EVENTS_QUEUE_URL: queueUrl, DLQ_URL: dlqUrl },
      });
      expect(stdout).toContain(`DLQ ${dlqUrl}`);
      expect(stdout).toContain('(empty)');
    } finally {
      expect(await own.stop()).toBe(0);
    }
  });
});
