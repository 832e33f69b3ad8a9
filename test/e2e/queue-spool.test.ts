// The stack's queue is fauxqs, in memory: what it still holds at shutdown (events the consumer
// could not apply because the database is down, and the DLQ) is kept in QUEUE_SPOOL_FILE and sent
// back at the next start, where the consumer counts it.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, expect, it } from 'vitest';
import { newEvent } from '../../lambdas/core/events.ts';
import { type EmbeddedPostgres, startPglite } from '../../local/postgres.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const TOKEN = 'e2e-spool-admin-token';
const BEACONS = 6;
const PER_BEACON = 20;
const VIEWS = BEACONS * PER_BEACON;

const stacks: SpawnedStack[] = [];
const clients: SQSClient[] = [];
let db: EmbeddedPostgres | undefined;
let tmp: string | undefined;

afterEach(async () => {
  for (const s of stacks.splice(0)) await s.stop();
  for (const c of clients.splice(0)) c.destroy();
  await db?.stop().catch(() => {});
  if (tmp) await rm(tmp, { recursive: true, force: true });
  db = tmp = undefined;
});

/** The stack's own fauxqs and queue URLs, from its `queue:` line. */
const queuesOf = (stack: SpawnedStack) => {
  const m = /queue: fauxqs at (\S+); events (\S+) dlq (\S+) /.exec(stack.output());
  if (!m) throw new Error(`no fauxqs line in:\n${stack.output()}`);
  const client = new SQSClient({
    region: 'us-east-1',
    endpoint: m[1],
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(client);
  return { client, queueUrl: m[2], dlqUrl: m[3] };
};

const depth = async (client: SQSClient, queueUrl: string) => {
  const a = (
    await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    )
  ).Attributes;
  return { waiting: Number(a?.ApproximateNumberOfMessages), inFlight: Number(a?.ApproximateNumberOfMessagesNotVisible) };
};

const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`${what}: not after ${timeoutMs} ms${last ? ` (${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
};

it('keeps what the in-memory queue holds at shutdown and counts it after the next start', async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'lc-spool-e2e-'));
  const spoolFile = path.join(tmp, 'queue-spool.json');

  // A database that answers while the stack starts (migrations) and is gone once it serves.
  db = await startPglite(undefined);
  const first = await spawnStack({
    DATABASE_URL: db.url,
    PG_POOL_MAX: '1',
    QUEUE_SPOOL_FILE: spoolFile,
    BATCH_WINDOW_S: '1',
    ADMIN_TOKEN: TOKEN,
    AWS_ENDPOINT_URL: '',
  });
  stacks.push(first);
  await db.stop();
  db = undefined;

  for (let i = 0; i < BEACONS; i++) {
    const res = await fetch(`${first.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': CHROME },
      body: JSON.stringify({ events: Array.from({ length: PER_BEACON }, () => ({ type: 'profile.viewed', username: 'demo' })) }),
    });
    expect(res.status).toBe(202);
  }
  // Two events already dead-lettered (for another profile, so they cannot be mistaken for the views).
  const q1 = queuesOf(first);
  const dead = [0, 1].map(() => newEvent('profile.viewed', { profileId: 'prof_alice', username: 'alice' }));
  await q1.client.send(
    new SendMessageBatchCommand({
      QueueUrl: q1.dlqUrl,
      Entries: dead.map((e, i) => ({
        Id: String(i),
        MessageBody: JSON.stringify(e),
        MessageAttributes: { type: { DataType: 'String', StringValue: e.type } },
      })),
    }),
  );
  // Every view received by the poller and failed by the consumer (its database is down), so they
  // are hidden on the queue for their visibility time-out when the stack is told to stop.
  await waitFor('all views in flight', async () => ((await depth(q1.client, q1.queueUrl)).inFlight === VIEWS ? true : undefined));
  await new Promise((r) => setTimeout(r, 1_500));

  expect(await first.stop(), first.output()).toBe(0);
  const drained = /consumer: drained \((\d+) batch\(es\), (\d+) event\(s\) consumed, (\d+) failed/.exec(first.output());
  expect(drained, first.output()).not.toBeNull();
  expect(Number(drained?.[2])).toBe(0);
  expect(Number(drained?.[3])).toBeGreaterThanOrEqual(VIEWS);
  expect(first.output()).toContain(`queue: kept ${VIEWS + 2} event(s) (2 in the DLQ) for the next start in ${spoolFile}`);

  const spool = JSON.parse(await readFile(spoolFile, 'utf8')) as {
    version: number;
    savedAt: string;
    queue: Array<{ body: string; attributes?: Record<string, { DataType: string; StringValue?: string }> }>;
    dlq: Array<{ body: string }>;
  };
  expect(spool.version).toBe(1);
  expect(Date.parse(spool.savedAt)).toBeGreaterThan(Date.now() - 120_000);
  expect(spool.queue).toHaveLength(VIEWS);
  const views = spool.queue.map((m) => JSON.parse(m.body) as { id: string; type: string; data: { username: string } });
  expect(new Set(views.map((v) => v.id)).size).toBe(VIEWS);
  expect(views.every((v) => v.type === 'profile.viewed' && v.data.username === 'demo')).toBe(true);
  expect(spool.queue[0].attributes?.type).toEqual({ DataType: 'String', StringValue: 'profile.viewed' });
  expect(spool.dlq.map((m) => (JSON.parse(m.body) as { id: string }).id).sort()).toEqual(dead.map((e) => e.id).sort());

  // The next start, with a database that works: the spool goes back on the queues and is counted.
  const second = await spawnStack({ QUEUE_SPOOL_FILE: spoolFile, BATCH_WINDOW_S: '1', ADMIN_TOKEN: TOKEN, DATABASE_URL: '' });
  stacks.push(second);
  expect(second.output()).toContain(`queue: re-sent ${VIEWS + 2} event(s) kept at the last shutdown`);
  await expect(stat(spoolFile)).rejects.toMatchObject({ code: 'ENOENT' });

  const from = new Date(Date.now() - 3_600_000).toISOString();
  let i = 0;
  const totals = await waitFor('the kept views counted', async () => {
    // A new range each time: a cached answer from before the batch landed is never read back.
    const to = new Date(Date.now() + 3_600_000 + i++ * 10_000).toISOString();
    const res = await fetch(`${second.url}/api/profiles/demo/analytics?${new URLSearchParams({ from, to, interval: '1h' })}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const body = (await res.json()) as { totals: { views: number } };
    return body.totals.views >= VIEWS ? body.totals : undefined;
  });
  expect(totals.views).toBe(VIEWS);

  // The dead-lettered two are back in the DLQ (or, where the consumer moves the DLQ back once the
  // database answers, counted for their profile).
  const q2 = queuesOf(second);
  await waitFor('the kept DLQ entries back', async () => {
    const d = await depth(q2.client, q2.dlqUrl);
    if (d.waiting + d.inFlight === 2) return true;
    const res = await fetch(
      `${second.url}/api/profiles/alice/analytics?${new URLSearchParams({ from, to: new Date(Date.now() + 7_200_000 + i++ * 10_000).toISOString(), interval: '1h' })}`,
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    return ((await res.json()) as { totals: { views: number } }).totals.views === 2 ? true : undefined;
  });
  const inDlq = await q2.client.send(
    new ReceiveMessageCommand({ QueueUrl: q2.dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
  );
  for (const m of inDlq.Messages ?? [])
    expect(dead.map((e) => e.id)).toContain((JSON.parse(m.Body ?? '{}') as { id: string }).id);

  // Nothing of the events queue is left to keep this time.
  expect(await second.stop(), second.output()).toBe(0);
  const again = await readFile(spoolFile, 'utf8').then(
    (t) => JSON.parse(t) as { queue: unknown[] },
    () => undefined,
  );
  expect(again?.queue ?? []).toEqual([]);
});

it('names the events it could not keep, by id, and exits non-zero', async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'lc-spool-e2e-'));
  const spoolDir = path.join(tmp, 'spool');
  const stack = await spawnStack({
    QUEUE_SPOOL_FILE: path.join(spoolDir, 'queue-spool.json'),
    DATABASE_URL: '',
    AWS_ENDPOINT_URL: '',
  });
  stacks.push(stack);
  const q = queuesOf(stack);
  const dead = [0, 1].map(() => newEvent('profile.viewed', { profileId: 'prof_alice' }));
  await q.client.send(
    new SendMessageBatchCommand({
      QueueUrl: q.dlqUrl,
      Entries: dead.map((e, i) => ({ Id: String(i), MessageBody: JSON.stringify(e) })),
    }),
  );
  // The spool's directory turned into a regular file: the spool cannot be written (even as root).
  await rm(spoolDir, { recursive: true, force: true });
  await writeFile(spoolDir, '');

  expect(await stack.stop()).toBe(1);
  const out = stack.output();
  expect(out).toContain(`could not keep 2 event(s) in ${path.join(spoolDir, 'queue-spool.json')}`);
  for (const e of dead) expect(out).toContain(e.id);
  expect(out).toMatch(/stopped with 1 problem\(s\), exiting 1/);
});

it('lets a request in progress at shutdown finish and keeps the event it published', async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'lc-spool-e2e-'));
  const spoolFile = path.join(tmp, 'queue-spool.json');
  db = await startPglite(undefined);
  const stack = await spawnStack({ DATABASE_URL: db.url, PG_POOL_MAX: '1', QUEUE_SPOOL_FILE: spoolFile, AWS_ENDPOINT_URL: '' });
  stacks.push(stack);
  await db.stop();
  db = undefined;
  // A cold profile behind a slow origin: the beacon publishes only after 1.5 s.
  await fetch(`${stack.originUrl}/__control`, { method: 'POST', body: JSON.stringify({ mode: 'slow', delayMs: 1_500 }) });
  const beacon = fetch(`${stack.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': CHROME },
    body: JSON.stringify({ events: [{ type: 'profile.viewed', username: 'alice' }] }),
  });
  await new Promise((r) => setTimeout(r, 300));
  const code = stack.stop();
  expect((await beacon).status).toBe(202);
  expect(await code, stack.output()).toBe(0);
  const spool = JSON.parse(await readFile(spoolFile, 'utf8')) as { queue: Array<{ body: string }> };
  expect(spool.queue.map((m) => (JSON.parse(m.body) as { data: { username: string } }).data.username)).toEqual(['alice']);
});
