// The SQS publisher, queue setup and DLQ tooling against fauxqs (SQS over the real wire protocol).
import { ReceiveMessageCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDlq, queueDepth, redriveDlq } from '../../lambdas/adapters/sqs-dlq.ts';
import { SqsEventPublisher } from '../../lambdas/adapters/sqs-event-publisher.ts';
import { ensureQueues } from '../../local/aws-emulators.ts';
import { newEvent } from '../../lambdas/core/events.ts';

let server: Awaited<ReturnType<typeof startFauxqs>>;
let client: SQSClient;
let n = 0;

beforeAll(async () => {
  server = await startFauxqs({ port: 0, logger: false });
  client = new SQSClient({
    endpoint: server.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

const freshQueues = (maxReceiveCount = 5) =>
  ensureQueues(client, { maxReceiveCount, visibilityTimeoutS: 30, queueName: `events-${++n}`, dlqName: `dlq-${n}` });

const drain = async (queueUrl: string) => {
  const out: Array<{ body: string; type?: string }> = [];
  for (;;) {
    const res = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    if (!res.Messages?.length) return out;
    for (const m of res.Messages) out.push({ body: m.Body ?? '', type: m.MessageAttributes?.type?.StringValue });
  }
};

describe('SqsEventPublisher against fauxqs', () => {
  it('creates an SSE queue with a redrive policy to an SSE DLQ', async () => {
    const q = await freshQueues(3);
    const attrs = server.inspectQueue(`events-${n}`)?.attributes ?? {};
    expect(JSON.parse(attrs.RedrivePolicy as string)).toEqual({ deadLetterTargetArn: q.dlqArn, maxReceiveCount: '3' });
    expect(attrs.SqsManagedSseEnabled).toBe('true');
    expect(server.inspectQueue(`dlq-${n}`)?.attributes.SqsManagedSseEnabled).toBe('true');
  });

  it('publishes one event and a batch of 23, each exactly once with its type attribute', async () => {
    const q = await freshQueues();
    const publisher = new SqsEventPublisher({ client, queueUrl: q.queueUrl });
    const single = newEvent('profile.updated', { profileId: 'p1' });
    const batch = Array.from({ length: 23 }, (_, i) => newEvent(i % 2 ? 'link.clicked' : 'profile.viewed', { i }));
    await publisher.publish(single);
    await publisher.publishBatch(batch);
    const got = await drain(q.queueUrl);
    expect(got).toHaveLength(24);
    const byId = new Map(got.map((m) => [JSON.parse(m.body).id as string, m]));
    for (const e of [single, ...batch]) {
      expect(JSON.parse(byId.get(e.id)?.body ?? '{}')).toEqual(e);
      expect(byId.get(e.id)?.type).toBe(e.type);
    }
  });

  it('rejects when the queue does not exist', async () => {
    const publisher = new SqsEventPublisher({
      client,
      queueUrl: `${server.address}/000000000000/missing`,
      retry: { maxAttempts: 2 },
    });
    await expect(publisher.publish(newEvent('x', {}))).rejects.toThrow(/not accepted/);
  });
});

describe('DLQ tooling against fauxqs', () => {
  it('a message received maxReceiveCount times moves to the DLQ; list shows it; redrive moves it back', async () => {
    const q = await freshQueues(2);
    const publisher = new SqsEventPublisher({ client, queueUrl: q.queueUrl });
    const event = newEvent('link.clicked', { linkId: 'l1' });
    await publisher.publish(event);
    // Two receives without a delete (a consumer failing twice), then the third receive redrives it.
    for (let i = 0; i < 3; i++) {
      await client.send(new ReceiveMessageCommand({ QueueUrl: q.queueUrl, VisibilityTimeout: 0, WaitTimeSeconds: 0 }));
    }
    expect((await queueDepth(client, q.dlqUrl)).visible).toBe(1);

    const listed = await listDlq(client, q.dlqUrl);
    expect(listed).toHaveLength(1);
    expect(JSON.parse(listed[0].body).id).toBe(event.id);
    expect(listed[0].type).toBe('link.clicked');
    // Listing does not consume: the message is still there to list (and to redrive).
    expect((await listDlq(client, q.dlqUrl)).map((m) => m.messageId)).toEqual([listed[0].messageId]);

    const result = await redriveDlq(client, { dlqUrl: q.dlqUrl, queueUrl: q.queueUrl });
    expect(result).toEqual({ method: 'receive-send-delete', moved: 1 });
    expect((await queueDepth(client, q.dlqUrl)).visible).toBe(0);
    const back = await drain(q.queueUrl);
    expect(back.map((m) => JSON.parse(m.body).id)).toEqual([event.id]);
    expect(back[0].type).toBe('link.clicked');
  });

  it('fauxqs lacks StartMessageMoveTask (why redrive falls back)', async () => {
    const q = await freshQueues();
    await expect(client.send(new StartMessageMoveTaskCommand({ SourceArn: q.dlqArn }))).rejects.toBeDefined();
  });
});
