import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsEmulatorParts } from '../../../local/aws-emulators.ts';
import { type QueueSpool, readSpool, receiveAll, sendAll, toSpooled, writeSpool } from '../../../local/queue-spool.ts';
import type { StandIns } from '../../../local/standins-process.ts';

const sqs = mockClient(SQSClient);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lc-spool-unit-'));
});
afterEach(async () => {
  sqs.reset();
  await rm(dir, { recursive: true, force: true });
});

const client = () => new SQSClient({ region: 'us-east-1' });
const spool = (n: number, dlq = 0): QueueSpool => ({
  version: 1,
  savedAt: '2026-01-01T00:00:00.000Z',
  queue: Array.from({ length: n }, (_, i) => ({
    body: JSON.stringify({ id: `e${i}` }),
    attributes: { type: { DataType: 'String', StringValue: 'link.clicked' } },
  })),
  dlq: Array.from({ length: dlq }, (_, i) => ({ body: JSON.stringify({ id: `d${i}` }) })),
});

const EVENTS = 'http://q/linkcache-events';
const DLQ = 'http://q/linkcache-events-dlq';

/**
 * Queues by URL, each handing out its messages at most 10 per receive (and then holding them in
 * flight); `inFlight` more are in flight elsewhere on each.
 */
const fakeQueues = (byUrl: Record<string, Message[]>, inFlight = 0) => {
  const left = new Map(Object.entries(byUrl).map(([url, ms]) => [url, [...ms]]));
  const taken = new Map<string, number>();
  sqs.on(ReceiveMessageCommand).callsFake((input: { QueueUrl: string }) => {
    const out = (left.get(input.QueueUrl) ?? []).splice(0, 10);
    taken.set(input.QueueUrl, (taken.get(input.QueueUrl) ?? 0) + out.length);
    return { Messages: out };
  });
  sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({
    Attributes: {
      ApproximateNumberOfMessages: String(left.get(input.QueueUrl)?.length ?? 0),
      ApproximateNumberOfMessagesNotVisible: String(inFlight + (taken.get(input.QueueUrl) ?? 0)),
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${input.QueueUrl.split('/').pop()}`,
    },
  }));
};

describe('the queue spool file', () => {
  it('round-trips through an atomic write and leaves no temporary file', async () => {
    const file = path.join(dir, 'nested', 'queue-spool.json');
    await writeSpool(file, spool(3, 1));
    expect(await readSpool(file)).toEqual(spool(3, 1));
    expect(await readdir(path.dirname(file))).toEqual(['queue-spool.json']);
  });

  it('is absent when there is no file, and refuses one it cannot read, naming it', async () => {
    expect(await readSpool(path.join(dir, 'none.json'))).toBeUndefined();
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"version":1,"queue":[');
    await expect(readSpool(bad)).rejects.toThrow(`the queue spool ${bad} is not JSON`);
    await writeFile(bad, JSON.stringify({ version: 2, queue: [], dlq: [] }));
    await expect(readSpool(bad)).rejects.toThrow(/is not a version 1 spool/);
    await writeFile(bad, JSON.stringify({ version: 1, queue: [{ nobody: 1 }], dlq: [] }));
    await expect(readSpool(bad)).rejects.toThrow(/is not a version 1 spool/);
  });

  it('keeps string and binary message attributes', async () => {
    const m = toSpooled({
      Body: 'b',
      MessageAttributes: {
        type: { DataType: 'String', StringValue: 'link.clicked' },
        raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 255]) },
      },
    });
    expect(m).toEqual({
      body: 'b',
      attributes: { type: { DataType: 'String', StringValue: 'link.clicked' }, raw: { DataType: 'Binary', BinaryValue: 'AQL/' } },
    });
    expect(toSpooled({ Body: 'plain' })).toEqual({ body: 'plain' });

    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await sendAll(client(), 'http://q', [m]);
    const sent = sqs.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries?.[0];
    expect(sent?.MessageBody).toBe('b');
    expect(Buffer.from(sent?.MessageAttributes?.raw.BinaryValue as Uint8Array)).toEqual(Buffer.from([1, 2, 255]));
  });
});

describe('sending a spool back and receiving a queue empty', () => {
  it('sends in batches of 10 and retries the entries a batch refused', async () => {
    let refuseOnce = true;
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => {
      if (refuseOnce) {
        refuseOnce = false;
        return {
          Successful: input.Entries.slice(1).map((e) => ({ Id: e.Id })),
          Failed: [{ Id: '0', Code: 'x', SenderFault: false }],
        };
      }
      return { Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
    });
    await sendAll(client(), 'http://q', spool(23).queue);
    const sizes = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 1, 10, 3]);
    const bodies = sqs
      .commandCalls(SendMessageBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => JSON.parse(e.MessageBody ?? '').id as string);
    expect(new Set(bodies).size).toBe(23);
  });

  it('throws when an entry is still refused after its attempts', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    await expect(sendAll(client(), 'http://q', spool(1).queue)).rejects.toThrow(/1 message\(s\) refused by http:\/\/q/);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });

  it('receives every message, hidden so none comes round twice, and counts those in flight elsewhere', async () => {
    const messages = Array.from({ length: 25 }, (_, i) => ({ MessageId: `m${i}`, Body: `b${i}` }));
    fakeQueues({ [EVENTS]: messages }, 2);
    const got = await receiveAll(client(), EVENTS);
    expect(got.messages.map((m) => m.Body)).toEqual(messages.map((m) => m.Body));
    expect(got.inFlight).toBe(2);
    const receive = sqs.commandCalls(ReceiveMessageCommand)[0].args[0].input;
    expect(receive.VisibilityTimeout).toBeGreaterThanOrEqual(60);
    expect(receive.MessageAttributeNames).toEqual(['All']);
  });
});

describe('the queue part', () => {
  const standins = { endpoint: () => 'http://127.0.0.1:1' } as unknown as StandIns;
  const setUpQueues = () => {
    sqs.on(CreateQueueCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: `http://q/${input.QueueName}` }));
    sqs.on(SetQueueAttributesCommand).resolves({});
  };

  it('re-sends the spool at start (events and DLQ apart), then deletes it', async () => {
    const file = path.join(dir, 'queue-spool.json');
    await writeSpool(file, spool(12, 2));
    setUpQueues();
    fakeQueues({});
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id })),
      Failed: [],
    }));
    const [queuePart] = awsEmulatorParts(standins);
    const lines: string[] = [];
    await queuePart.start?.({ QUEUE_SPOOL_FILE: file }, (l) => lines.push(l));
    const byQueue = sqs
      .commandCalls(SendMessageBatchCommand)
      .map((c) => [c.args[0].input.QueueUrl, c.args[0].input.Entries?.length]);
    expect(byQueue).toEqual([
      [EVENTS, 10],
      [EVENTS, 2],
      [DLQ, 2],
    ]);
    expect(lines).toContain('queue: re-sent 14 event(s) kept at the last shutdown (2 to the DLQ)');
    expect(await readSpool(file)).toBeUndefined();
  });

  it('refuses to start when the spool could not be written at shutdown', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    await writeFile(blocker, '');
    setUpQueues();
    fakeQueues({});
    const [queuePart] = awsEmulatorParts(standins);
    await expect(queuePart.start?.({ QUEUE_SPOOL_FILE: path.join(blocker, 'sub', 'spool.json') }, () => {})).rejects.toThrow(
      /QUEUE_SPOOL_FILE/,
    );
  });

  it('leaves a user endpoint alone: nothing re-sent, nothing kept', async () => {
    const file = path.join(dir, 'queue-spool.json');
    await writeSpool(file, spool(1));
    setUpQueues();
    fakeQueues({ [EVENTS]: [{ MessageId: 'm', Body: '{"id":"x"}' }] });
    const [queuePart] = awsEmulatorParts(standins);
    const lines: string[] = [];
    await queuePart.start?.({ QUEUE_SPOOL_FILE: file, AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }, (l) => lines.push(l));
    await queuePart.stop?.();
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
    expect(lines.join('\n')).toMatch(/holds 1 event\(s\) kept by an earlier shutdown/);
    expect(await readSpool(file)).toEqual(spool(1));
  });

  it('fails the stop, naming every event by id, when the spool cannot be written', async () => {
    const spoolDir = path.join(dir, 'spool');
    const file = path.join(spoolDir, 'queue-spool.json');
    setUpQueues();
    const [queuePart] = awsEmulatorParts(standins);
    fakeQueues({});
    await queuePart.start?.({ QUEUE_SPOOL_FILE: file }, () => {});
    // Its directory replaced by a regular file: nothing can be written there (even as root).
    await rm(spoolDir, { recursive: true });
    await writeFile(spoolDir, '');
    sqs.reset();
    fakeQueues({
      [EVENTS]: [
        { MessageId: 'm1', Body: '{"id":"ev-1"}' },
        { MessageId: 'm2', Body: '{"id":"ev-2"}' },
      ],
      [DLQ]: [{ MessageId: 'm3', Body: 'not json' }],
    });
    const stopped = queuePart.stop?.();
    await expect(stopped).rejects.toThrow(`could not keep 3 event(s) in ${file}`);
    const message = await (stopped as Promise<void>).catch((err: Error) => err.message);
    expect(message).toMatch(/they are lost: ev-1, ev-2, \(no id: "not json"\)\n/);
    expect(message).toContain('queue: lost event: {"id":"ev-1"}');
    expect(queuePart.pending?.()).toMatch(/not yet kept in .* are lost/);
  });

  it('adds to a spool another stack wrote meanwhile instead of overwriting it', async () => {
    const file = path.join(dir, 'queue-spool.json');
    setUpQueues();
    fakeQueues({});
    const [queuePart] = awsEmulatorParts(standins);
    await queuePart.start?.({ QUEUE_SPOOL_FILE: file }, () => {});
    await writeSpool(file, spool(2, 1));
    sqs.reset();
    fakeQueues({ [EVENTS]: [{ MessageId: 'm1', Body: '{"id":"mine"}' }] });
    await queuePart.stop?.();
    const kept = (await readSpool(file)) as QueueSpool;
    expect(kept.queue.map((m) => JSON.parse(m.body).id)).toEqual(['e0', 'e1', 'mine']);
    expect(kept.dlq).toHaveLength(1);
  });

  it('writes the spool at stop and says how many it kept', async () => {
    const file = path.join(dir, 'queue-spool.json');
    setUpQueues();
    fakeQueues({});
    const [queuePart] = awsEmulatorParts(standins);
    const lines: string[] = [];
    await queuePart.start?.({ QUEUE_SPOOL_FILE: file }, (l) => lines.push(l));
    sqs.reset();
    fakeQueues({
      [EVENTS]: [
        { MessageId: 'm1', Body: '{"id":"ev-1"}', MessageAttributes: { type: { DataType: 'String', StringValue: 't' } } },
      ],
    });
    await queuePart.stop?.();
    const kept = JSON.parse(await readFile(file, 'utf8')) as QueueSpool;
    expect(kept.queue).toEqual([{ body: '{"id":"ev-1"}', attributes: { type: { DataType: 'String', StringValue: 't' } } }]);
    expect(lines).toContain(`queue: kept 1 event(s) (0 in the DLQ) for the next start in ${file}`);
    expect(queuePart.pending?.()).toBeUndefined();
  });
});
