import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { chunk, PublishError, SqsEventPublisher } from '../../../lambdas/adapters/sqs-event-publisher.ts';
import { newEvent, type QueueEvent } from '../../../lambdas/core/events.ts';

const sqs = mockClient(SQSClient);
const sleeps: number[] = [];
const clock = { now: () => Date.now(), sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };
const publisher = (maxAttempts = 4) =>
  new SqsEventPublisher({
    client: new SQSClient({ region: 'us-east-1' }),
    queueUrl: 'https://sqs.test/q',
    clock,
    retry: { maxAttempts },
  });
const events = (n: number, type = 'link.clicked'): QueueEvent[] => Array.from({ length: n }, (_, i) => newEvent(type, { i }));
const transient = () =>
  Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

beforeEach(() => {
  sqs.reset();
  sleeps.length = 0;
});

describe('SqsEventPublisher.publish', () => {
  it('sends the event as JSON with its type as the `type` attribute', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: '1' });
    const e = newEvent('profile.viewed', { username: 'a' });
    await publisher().publish(e);
    const input = sqs.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(input.QueueUrl).toBe('https://sqs.test/q');
    expect(JSON.parse(input.MessageBody as string)).toEqual(e);
    expect(input.MessageAttributes).toEqual({ type: { DataType: 'String', StringValue: 'profile.viewed' } });
  });

  it('retries transient errors with backoff, then rejects', async () => {
    sqs.on(SendMessageCommand).rejects(transient());
    await expect(publisher(3).publish(newEvent('x', {}))).rejects.toBeInstanceOf(PublishError);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
  });

  it('does not retry a client error', async () => {
    sqs
      .on(SendMessageCommand)
      .rejects(
        Object.assign(new Error('nope'), { name: 'QueueDoesNotExist', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
      );
    await expect(publisher().publish(newEvent('x', {}))).rejects.toThrow(/QueueDoesNotExist/);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });
});

describe('SqsEventPublisher.publishBatch', () => {
  it('sends chunks of at most 10 entries', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .callsFake((input) => ({ Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] }));
    await publisher().publishBatch(events(25));
    const sizes = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 5]);
    const entry = sqs.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries?.[0];
    expect(entry?.MessageAttributes?.type.StringValue).toBe('link.clicked');
  });

  it('splits by bytes too: a batch stays under 1 MiB', () => {
    const big = Array.from({ length: 5 }, () => newEvent('x', { pad: 'p'.repeat(300_000) }));
    expect(chunk(big).map((c) => c.length)).toEqual([3, 2]);
  });

  it('retries only the failed entries of a partial failure', async () => {
    const evs = events(3);
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [
          { Id: '0', MessageId: 'a', MD5OfMessageBody: '' },
          { Id: '2', MessageId: 'c', MD5OfMessageBody: '' },
        ],
        Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
      })
      .resolves({ Successful: [{ Id: '1', MessageId: 'b', MD5OfMessageBody: '' }], Failed: [] });
    await publisher().publishBatch(evs);
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    const retried = calls[1].args[0].input.Entries ?? [];
    expect(retried.map((e) => JSON.parse(e.MessageBody as string).id)).toEqual([evs[1].id]);
  });

  it('rejects naming the events that never landed when retries run out', async () => {
    const evs = events(2);
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: '' }],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    const err = await publisher(3)
      .publishBatch(evs)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).failedIds).toEqual([evs[1].id]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });

  it('does not retry entries the queue refused as sender faults', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InvalidMessageContents', SenderFault: true }] });
    await expect(publisher().publishBatch(events(1))).rejects.toThrow(/InvalidMessageContents/);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it('retries a transient error of the whole batch call', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .rejectsOnce(transient())
      .callsFake((input) => ({ Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] }));
    await publisher().publishBatch(events(4));
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });

  it('sends nothing for an empty batch', async () => {
    await publisher().publishBatch([]);
    expect(sqs.calls()).toHaveLength(0);
  });
});
