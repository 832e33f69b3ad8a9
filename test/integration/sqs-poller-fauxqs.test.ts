// The local event source mapping against a real SQS wire protocol (fauxqs) and the real consumer
// on Postgres: good events are counted and deleted; a poison message is set aside in
// rejected_events and deleted too; records the consumer cannot apply (database unreachable) are
// retried until the queue's RedrivePolicy moves them to the DLQ (fauxqs redrives on receive
// count, like SQS).
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgAnalyticsStore } from '../../lambdas/adapters/pg-analytics-store.ts';
import { makeConsumer } from '../../lambdas/consumer/handler.ts';
import { SqsPoller } from '../../local/sqs-poller.ts';
import { newEvent } from '../../lambdas/core/events.ts';
import { openTestDb, type TestDb } from '../helpers/pg.ts';

let fauxqs: { address: string; stop(): Promise<void> };
let client: SQSClient;
let db: TestDb;

beforeAll(async () => {
  const { startFauxqs } = await import('fauxqs');
  fauxqs = await startFauxqs({ port: 0, logger: false, defaultRegion: 'us-east-1' });
  client = new SQSClient({
    region: 'us-east-1',
    endpoint: fauxqs.address,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  db = await openTestDb('postgres', 'poller');
  await db.migrate();
});
afterAll(async () => {
  client?.destroy();
  await fauxqs?.stop();
  await db?.close();
});

const count = async (url: string): Promise<number> => {
  const a = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
};

const makeQueues = async (name: string) => {
  const dlq = (await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl as string;
  const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes
    ?.QueueArn;
  const queue = (await client.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
  await client.send(
    new SetQueueAttributesCommand({
      QueueUrl: queue,
      Attributes: { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
    }),
  );
  return { queue, dlq };
};

const send = async (queue: string, bodies: string[]) => {
  for (let i = 0; i < bodies.length; i += 10) {
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queue,
        Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: b })),
      }),
    );
  }
};

const until = async (done: () => Promise<boolean>, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !(await done())) await new Promise((r) => setTimeout(r, 200));
};

it('counts good events once, deletes them, and sets a poison message aside instead of the DLQ', async () => {
  const { queue, dlq } = await makeQueues('poller-events');
  const good = Array.from({ length: 12 }, (_, i) =>
    newEvent(i % 3 ? 'link.clicked' : 'profile.viewed', { profileId: 'p1', linkId: 'l1' }),
  );
  const nul = newEvent('link.clicked', { profileId: 'p1', linkId: 'lnk_shop\u0000x' });
  await send(queue, [...good.map((e) => JSON.stringify(e)), '{"poison": true}', JSON.stringify(nul)]);
  const consumer = makeConsumer({ store: () => new PgAnalyticsStore(db.pool()) });
  const poller = new SqsPoller({ client, queueUrl: queue, handler: consumer, batchSize: 100, windowMs: 300, maxWaitS: 1 });
  await poller.start();
  await until(async () => poller.stats.deleted >= 14 && (await count(queue)) === 0);
  await poller.stop();

  const sums = await db.pool().query<{ c: string; v: string }>(
    // The daily tier plus the raw rows of batches not rolled up yet: each applied event once.
    `SELECT coalesce(sum(clicks), 0) AS c, coalesce(sum(views), 0) AS v
         FROM (SELECT views, clicks FROM analytics_dsig
               UNION ALL
               SELECT r.views, r.clicks FROM analytics_pending p
                 JOIN analytics_raw r ON r.batch = p.batch AND r.bucket >= p.lo AND r.bucket <= p.hi) t`,
  );
  expect(Number(sums.rows[0].c)).toBe(8);
  expect(Number(sums.rows[0].v)).toBe(4);
  expect(await count(queue)).toBe(0);
  expect(await count(dlq)).toBe(0);
  expect(poller.stats.deleted).toBe(14);
  const rejected = await db
    .pool()
    .query<{ event_id: string | null; reason: string; body: string }>(
      'SELECT event_id, reason, body FROM rejected_events ORDER BY reason',
    );
  expect(rejected.rows).toEqual([
    { event_id: nul.id, reason: 'malformed: data.linkId: must not contain control characters', body: JSON.stringify(nul) },
    {
      event_id: null,
      reason: 'malformed: not an event: Invalid input: expected string, received undefined',
      body: '{"poison": true}',
    },
  ]);
});

it('records the database cannot take stay on the queue until the RedrivePolicy moves them to the DLQ', async () => {
  const { queue, dlq } = await makeQueues('poller-unreachable');
  // Nothing listens on port 1: every connect is refused.
  const down = new pg.Pool({ connectionString: 'postgresql://postgres@127.0.0.1:1/test', max: 1, connectionTimeoutMillis: 500 });
  down.on('error', () => {});
  try {
    const events = [newEvent('link.clicked', { profileId: 'p1', linkId: 'l1' }), newEvent('profile.viewed', { profileId: 'p1' })];
    await send(queue, [...events.map((e) => JSON.stringify(e)), '{"poison": true}']);
    const consumer = makeConsumer({ store: () => new PgAnalyticsStore(down) });
    const poller = new SqsPoller({ client, queueUrl: queue, handler: consumer, batchSize: 100, windowMs: 300, maxWaitS: 1 });
    await poller.start();
    await until(async () => (await count(dlq)) === 3);
    await poller.stop();
    expect(await count(dlq)).toBe(3);
    expect(await count(queue)).toBe(0);
    expect(poller.stats.deleted).toBe(0);
  } finally {
    await down.end();
  }
});

it('puts what the consumer failed back on the queue when it stops, instead of hiding it for the visibility time-out', async () => {
  const queue = (await client.send(new CreateQueueCommand({ QueueName: 'poller-release' }))).QueueUrl as string;
  await client.send(new SetQueueAttributesCommand({ QueueUrl: queue, Attributes: { VisibilityTimeout: '60' } }));
  const bodies = Array.from({ length: 5 }, () => JSON.stringify(newEvent('profile.viewed', { profileId: 'p1' })));
  await send(queue, bodies);
  const poller = new SqsPoller({
    client,
    queueUrl: queue,
    handler: async () => {
      throw new Error('database down');
    },
    batchSize: 100,
    windowMs: 100,
    maxWaitS: 1,
  });
  await poller.start();
  await until(async () => poller.stats.failed >= 5, 10_000);
  expect(poller.stats.failed).toBeGreaterThanOrEqual(5);
  await poller.stop();
  expect(poller.stats.released).toBe(5);
  const a = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  expect(a.Attributes).toMatchObject({ ApproximateNumberOfMessages: '5', ApproximateNumberOfMessagesNotVisible: '0' });
  const back = await client.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10 }));
  expect(back.Messages?.map((m) => m.Body).sort()).toEqual([...bodies].sort());
});
