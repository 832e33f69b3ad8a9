// The local event source mapping against a real SQS wire protocol (fauxqs) and the real consumer
// on Postgres: good events are counted and deleted; a poison message is retried until the queue's
// RedrivePolicy moves it to the DLQ (fauxqs redrives on receive count, like SQS).
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
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

it('counts good events once, deletes them, and redrives a poison message to the DLQ', async () => {
  const dlq = (await client.send(new CreateQueueCommand({ QueueName: 'poller-dlq' }))).QueueUrl as string;
  const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes
    ?.QueueArn;
  const queue = (await client.send(new CreateQueueCommand({ QueueName: 'poller-events' }))).QueueUrl as string;
  await client.send(
    new SetQueueAttributesCommand({
      QueueUrl: queue,
      Attributes: { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
    }),
  );
  const good = Array.from({ length: 12 }, (_, i) =>
    newEvent(i % 3 ? 'link.clicked' : 'profile.viewed', { profileId: 'p1', linkId: 'l1' }),
  );
  const bodies = [...good.map((e) => JSON.stringify(e)), '{"poison": true}'];
  for (let i = 0; i < bodies.length; i += 10) {
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queue,
        Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: b })),
      }),
    );
  }
  const consumer = makeConsumer({ store: () => new PgAnalyticsStore(db.pool()) });
  const poller = new SqsPoller({ client, queueUrl: queue, handler: consumer, batchSize: 100, windowMs: 300, maxWaitS: 1 });
  await poller.start();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && (await count(dlq)) === 0) await new Promise((r) => setTimeout(r, 200));
  await poller.stop();

  const sums = await db
    .pool()
    .query<{ c: string; v: string }>(
      'SELECT (SELECT coalesce(sum(n),0) FROM link_clicks) AS c, (SELECT coalesce(sum(n),0) FROM profile_views) AS v',
    );
  expect(Number(sums.rows[0].c)).toBe(8);
  expect(Number(sums.rows[0].v)).toBe(4);
  expect(await count(queue)).toBe(0);
  const inDlq = await client.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10 }));
  expect(inDlq.Messages?.map((m) => m.Body)).toEqual(['{"poison": true}']);
  expect(poller.stats.deleted).toBe(12);
});
