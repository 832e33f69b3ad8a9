import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsPoller } from '../../../local/sqs-poller.ts';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

const msgs = (n: number, from = 0): Message[] =>
  Array.from({ length: n }, (_, i) => ({
    MessageId: `m${from + i}`,
    ReceiptHandle: `rh${from + i}`,
    Body: `{"n":${from + i}}`,
    Attributes: { ApproximateReceiveCount: '1' },
    MessageAttributes: { type: { DataType: 'String', StringValue: 'link.clicked' } },
  }));

/** A queue holding `total` messages, handed out at most 10 per ReceiveMessage. */
const queue = (total: number) => {
  let next = 0;
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:000000000000:events' } });
  sqs.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages: number }) => {
    const n = Math.min(input.MaxNumberOfMessages, 10, total - next);
    const out = msgs(n, next);
    next += n;
    return { Messages: out };
  });
  sqs.on(DeleteMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id })),
    Failed: [],
  }));
  sqs.on(ChangeMessageVisibilityBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id })),
    Failed: [],
  }));
};

const releasedEntries = () => sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);

const deletedHandles = () =>
  sqs.commandCalls(DeleteMessageBatchCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.ReceiptHandle));

describe('SqsPoller (the local event source mapping)', () => {
  it('loops ReceiveMessage (10 at a time) up to the batch size, then invokes once with Lambda-shaped records', async () => {
    queue(25);
    const events: SQSEvent[] = [];
    const poller = new SqsPoller({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'http://q',
      batchSize: 25,
      windowMs: 60_000,
      handler: async (e) => {
        events.push(e);
        return { batchItemFailures: [] };
      },
    });
    await poller.start();
    await new Promise((r) => setTimeout(r, 300));
    await poller.stop();
    expect(events).toHaveLength(1);
    expect(events[0].Records).toHaveLength(25);
    expect(events[0].Records[0]).toMatchObject({
      messageId: 'm0',
      receiptHandle: 'rh0',
      body: '{"n":0}',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
    });
    expect(events[0].Records[0].messageAttributes.type).toMatchObject({ dataType: 'String', stringValue: 'link.clicked' });
    const receives = sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.MaxNumberOfMessages);
    expect(receives.slice(0, 3)).toEqual([10, 10, 5]);
    // Deleted in chunks of at most 10 entries.
    expect(sqs.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 5]);
  });

  it('deletes only the records not reported as failures', async () => {
    queue(5);
    const poller = new SqsPoller({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'http://q',
      batchSize: 5,
      windowMs: 60_000,
      handler: async () => ({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm3' }] }),
    });
    await poller.start();
    await new Promise((r) => setTimeout(r, 300));
    await poller.stop();
    expect(deletedHandles().sort()).toEqual(['rh0', 'rh2', 'rh4']);
    expect(poller.stats).toMatchObject({ failed: 2, deleted: 3 });
  });

  it('deletes nothing when the handler throws or reports an unknown identifier (Lambda fails the whole batch)', async () => {
    for (const handler of [
      async () => {
        throw new Error('boom');
      },
      async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }),
    ]) {
      sqs.reset();
      queue(3);
      const poller = new SqsPoller({
        client: new SQSClient({ region: 'us-east-1' }),
        queueUrl: 'http://q',
        batchSize: 3,
        windowMs: 60_000,
        handler,
        drainMs: 0,
      });
      await poller.start();
      await new Promise((r) => setTimeout(r, 300));
      await poller.stop();
      expect(deletedHandles()).toEqual([]);
    }
  });

  it('invokes when the window elapses even if the batch is not full', async () => {
    queue(3);
    const sizes: number[] = [];
    const poller = new SqsPoller({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'http://q',
      batchSize: 10_000,
      windowMs: 200,
      handler: async (e) => {
        sizes.push(e.Records.length);
        return { batchItemFailures: [] };
      },
    });
    await poller.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(sizes).toEqual([3]);
    await poller.stop();
  });

  it('stop() flushes the batch being gathered instead of waiting out the window', async () => {
    queue(4);
    const sizes: number[] = [];
    const poller = new SqsPoller({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'http://q',
      batchSize: 10_000,
      windowMs: 60_000,
      handler: async (e) => {
        sizes.push(e.Records.length);
        return { batchItemFailures: [] };
      },
    });
    await poller.start();
    await new Promise((r) => setTimeout(r, 150));
    const started = Date.now();
    await poller.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(sizes).toEqual([4]);
    expect(deletedHandles()).toHaveLength(4);
  });

  it('stop() makes the records the consumer failed visible again, by their latest receipt handle', async () => {
    queue(0);
    // m0..m2 first; m1 comes round again (its visibility ran out) with a new receipt handle.
    const deliveries: Message[][] = [msgs(3), [{ ...msgs(1, 1)[0], ReceiptHandle: 'rh1-again' }]];
    sqs.on(ReceiveMessageCommand).callsFake(() => ({ Messages: deliveries.shift() ?? [] }));
    let calls = 0;
    const poller = new SqsPoller({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'http://q',
      batchSize: 3,
      windowMs: 100,
      handler: async (e) => {
        calls++;
        return { batchItemFailures: e.Records.filter((r) => r.messageId !== 'm0').map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });
    await poller.start();
    while (calls < 2) await new Promise((r) => setTimeout(r, 20));
    expect(poller.outstanding).toBe(2);
    await poller.stop();
    expect(deletedHandles()).toEqual(['rh0']);
    expect(
      releasedEntries()
        .map((e) => [e.ReceiptHandle, e.VisibilityTimeout])
        .sort(),
    ).toEqual([
      ['rh1-again', 0],
      ['rh2', 0],
    ]);
    expect(poller.stats.released).toBe(2);
    expect(poller.outstanding).toBe(0);
  });

  it('stops draining at a batch the consumer fails whole, and releases what it received', async () => {
    queue(25);
    const poller = new SqsPoller({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'http://q',
      batchSize: 10,
      windowMs: 60_000,
      handler: async () => {
        throw new Error('database down');
      },
    });
    await poller.start();
    await poller.stop();
    // The batch being gathered, then one drain batch; the last 5 stay waiting on the queue.
    expect(poller.stats.invocations).toBe(2);
    expect(deletedHandles()).toEqual([]);
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10]);
    expect(poller.stats.released).toBe(20);
  });

  it('names how many records it could not make visible again', async () => {
    queue(2);
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({
      Successful: [{ Id: '0' }],
      Failed: [{ Id: '1', Code: 'ReceiptHandleIsInvalid', SenderFault: true }],
    });
    const lines: string[] = [];
    const poller = new SqsPoller({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'http://q',
      batchSize: 2,
      windowMs: 60_000,
      handler: async () => {
        throw new Error('database down');
      },
      log: (line) => lines.push(line),
    });
    await poller.start();
    await poller.stop();
    expect(poller.stats.released).toBe(1);
    expect(lines.join('\n')).toMatch(/1 record\(s\) were not made visible again/);
  });
});
