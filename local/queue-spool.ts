// The local queue's spool: `npm start`'s queue (fauxqs) lives in memory, in the stand-ins
// process, so what it still holds at shutdown — events the consumer could not apply yet, and the
// DLQ — would die with it. At stop the queue part receives both queues empty and writes them here
// (QUEUE_SPOOL_FILE); at the next start it sends them back, then deletes the file. Sending back is
// safe: an event that was in fact counted is found in the consumer's exactly-once ledger.
import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** A message attribute as JSON can hold it (binary values in base64). */
export interface SpooledAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export interface SpooledMessage {
  body: string;
  attributes?: Record<string, SpooledAttribute>;
}

export interface QueueSpool {
  version: 1;
  savedAt: string;
  queue: SpooledMessage[];
  dlq: SpooledMessage[];
}

type Client = Pick<SQSClient, 'send'>;

export const toSpooled = (m: Message): SpooledMessage => {
  const attrs = Object.entries(m.MessageAttributes ?? {});
  return {
    body: m.Body ?? '',
    ...(attrs.length
      ? {
          attributes: Object.fromEntries(
            attrs.map(([name, v]) => [
              name,
              {
                DataType: v.DataType ?? 'String',
                ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
                ...(v.BinaryValue !== undefined ? { BinaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
              },
            ]),
          ),
        }
      : {}),
  };
};

const toSqsAttributes = (a: Record<string, SpooledAttribute> | undefined): Record<string, MessageAttributeValue> | undefined =>
  a
    ? Object.fromEntries(
        Object.entries(a).map(([name, v]) => [
          name,
          {
            DataType: v.DataType,
            ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
            ...(v.BinaryValue !== undefined ? { BinaryValue: Buffer.from(v.BinaryValue, 'base64') } : {}),
          },
        ]),
      )
    : undefined;

/** The event id of a spooled message (its body's `id`), for logs that must name what was lost. */
export const eventId = (m: SpooledMessage): string => {
  try {
    const id = (JSON.parse(m.body) as { id?: unknown }).id;
    if (typeof id === 'string' && id) return id;
  } catch {
    // not JSON: named by its body below
  }
  return `(no id: ${JSON.stringify(m.body.slice(0, 80))})`;
};

const isSpooledMessage = (m: unknown): m is SpooledMessage =>
  typeof m === 'object' &&
  m !== null &&
  typeof (m as SpooledMessage).body === 'string' &&
  ((m as SpooledMessage).attributes === undefined || typeof (m as SpooledMessage).attributes === 'object');

/** The spool at `file`, or undefined when there is none. Throws, naming the file, when it is unreadable. */
export const readSpool = async (file: string): Promise<QueueSpool | undefined> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the queue spool ${file} (QUEUE_SPOOL_FILE): ${(err as Error).message}`);
  }
  let spool: Partial<QueueSpool>;
  try {
    spool = JSON.parse(text) as Partial<QueueSpool>;
  } catch (err) {
    throw new Error(`the queue spool ${file} is not JSON (${(err as Error).message}); move it away to start without it`);
  }
  if (
    spool?.version !== 1 ||
    !Array.isArray(spool.queue) ||
    !Array.isArray(spool.dlq) ||
    !spool.queue.every(isSpooledMessage) ||
    !spool.dlq.every(isSpooledMessage)
  ) {
    throw new Error(
      `the queue spool ${file} is not a version 1 spool ({version: 1, savedAt, queue: [{body, attributes?}], dlq: [...]}); move it away to start without it`,
    );
  }
  return spool as QueueSpool;
};

/** Writes the spool atomically: a reader (the next start) sees the old file or the whole new one. */
export const writeSpool = async (file: string, spool: QueueSpool): Promise<void> => {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(spool, null, 1)}\n`, { flush: true });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
};

export const removeSpool = (file: string): Promise<void> => rm(file, { force: true });

/** At start, so a spool that could not be written at shutdown is known before events are accepted. */
export const checkSpoolWritable = async (file: string): Promise<void> => {
  const dir = path.dirname(path.resolve(file));
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new Error(`cannot keep the queue at shutdown in ${file} (QUEUE_SPOOL_FILE): ${(err as Error).message}`);
  }
};

const depth = async (client: Client, queueUrl: string): Promise<{ visible: number; inFlight: number }> => {
  const res = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(res.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
};

/**
 * Receives every visible message of a queue, hiding each for `hideS` so none comes round twice,
 * and counts the messages it could not take (in flight: received by someone and not released).
 * Nothing is deleted: the queue is about to go away with its process.
 */
export const receiveAll = async (
  client: Client,
  queueUrl: string,
  opts: { hideS?: number; deadline?: number } = {},
): Promise<{ messages: Message[]; inFlight: number }> => {
  const seen = new Map<string, Message>();
  let emptyAnswers = 0;
  // A short poll may answer empty while messages remain (SQS samples its servers): ask the depth.
  while (emptyAnswers < 3 && (opts.deadline === undefined || Date.now() < opts.deadline)) {
    const res = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: opts.hideS ?? 600,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const got = res.Messages ?? [];
    for (const m of got) seen.set(m.MessageId ?? `${seen.size}`, m);
    if (got.length) continue;
    if ((await depth(client, queueUrl)).visible === 0) break;
    emptyAnswers++;
  }
  // Counted after the receives: fauxqs counts a message whose visibility ran out as in flight until
  // a receive puts it back. Those received here are in flight now too.
  const after = await depth(client, queueUrl);
  return { messages: [...seen.values()], inFlight: Math.max(0, after.inFlight - seen.size) };
};

/** SendMessageBatch in chunks of 10, each failed entry retried; throws if any is still refused. */
export const sendAll = async (client: Client, queueUrl: string, messages: SpooledMessage[], attempts = 3): Promise<void> => {
  for (let i = 0; i < messages.length; i += 10) {
    let pending = messages.slice(i, i + 10).map((m, j) => ({ id: String(j), m }));
    for (let attempt = 1; pending.length; attempt++) {
      const res = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: pending.map(({ id, m }) => ({
            Id: id,
            MessageBody: m.body,
            ...(m.attributes ? { MessageAttributes: toSqsAttributes(m.attributes) } : {}),
          })),
        }),
      );
      const failed = new Set((res.Failed ?? []).map((f) => f.Id));
      pending = pending.filter((p) => failed.has(p.id));
      if (pending.length && attempt >= attempts) {
        const why = (res.Failed ?? []).map((f) => `${f.Code}: ${f.Message}`).join('; ');
        throw new Error(`${pending.length} message(s) refused by ${queueUrl} (${why})`);
      }
    }
  }
};
