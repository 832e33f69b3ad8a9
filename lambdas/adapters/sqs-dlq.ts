// The dead-letter queue: list what sits in it (`npm run dlq`), move it back to the events queue
// (`npm run dlq -- redrive`, and the consumer once the database answers again), and the consumer's
// visibility backoff while the database is down. The move prefers SQS's own StartMessageMoveTask
// (server-side, keeps the message and its attributes); where the endpoint lacks it (fauxqs, older emulators) it falls back
// to receive → send → delete, deleting a message only once the events queue accepted its copy.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { QueueControl } from '../core/outage.ts';

export interface DlqMessage {
  messageId: string;
  receiveCount: number;
  sentAt: string | undefined;
  type: string | undefined;
  body: string;
}

type Client = Pick<SQSClient, 'send'>;

export const queueDepth = async (
  client: Client,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number; arn: string }> => {
  const res = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'QueueArn'],
    }),
  );
  const a = res.Attributes ?? {};
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    arn: a.QueueArn ?? '',
  };
};

const toDlqMessage = (m: Message): DlqMessage => ({
  messageId: m.MessageId ?? '',
  receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
  sentAt: m.Attributes?.SentTimestamp ? new Date(Number(m.Attributes.SentTimestamp)).toISOString() : undefined,
  type: m.MessageAttributes?.type?.StringValue,
  body: m.Body ?? '',
});

/**
 * Up to `max` messages of the DLQ without consuming them: received with a zero visibility
 * timeout, so they stay available (SQS has no true peek; each listing bumps their receive count).
 */
export const listDlq = async (client: Client, dlqUrl: string, max = 50): Promise<DlqMessage[]> => {
  const seen = new Map<string, DlqMessage>();
  for (let round = 0; round < Math.ceil(max / 10) + 2 && seen.size < max; round++) {
    const res = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = res.Messages ?? [];
    const fresh = messages.filter((m) => !seen.has(m.MessageId ?? ''));
    if (!fresh.length) break;
    for (const m of fresh) seen.set(m.MessageId ?? '', toDlqMessage(m));
  }
  return [...seen.values()];
};

export interface RedriveResult {
  method: 'move-task' | 'receive-send-delete';
  moved: number;
  taskHandle?: string;
}

/** Moves DLQ messages back to the events queue; `manual` skips StartMessageMoveTask. */
export const redriveDlq = async (
  client: Client,
  opts: { dlqUrl: string; queueUrl: string; max?: number; manual?: boolean },
): Promise<RedriveResult> => {
  if (!opts.manual) {
    try {
      const { arn: sourceArn } = await queueDepth(client, opts.dlqUrl);
      const { arn: destinationArn } = await queueDepth(client, opts.queueUrl);
      const res = await client.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }));
      return { method: 'move-task', moved: 0, ...(res.TaskHandle ? { taskHandle: res.TaskHandle } : {}) };
    } catch (err) {
      if (!isUnsupported(err)) throw err;
    }
  }
  return {
    method: 'receive-send-delete',
    moved: await moveByHand(client, opts.dlqUrl, opts.queueUrl, opts.max ?? Number.POSITIVE_INFINITY),
  };
};

/** The endpoint does not implement the action (emulators answer 400/404/501 with various codes). */
const isUnsupported = (err: unknown): boolean => {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const text = `${e.name ?? ''} ${e.message ?? ''}`;
  return (
    /unknown|unsupported|not ?implemented|invalidaction|not supported|InvalidOperation/i.test(text) ||
    e.$metadata?.httpStatusCode === 501 ||
    e.$metadata?.httpStatusCode === 404
  );
};

const moveByHand = async (client: Client, dlqUrl: string, queueUrl: string, max: number): Promise<number> => {
  let moved = 0;
  while (moved < max) {
    const res = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - moved),
        // Long enough to copy and delete; on a crash they reappear in the DLQ, never lost.
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = res.Messages ?? [];
    if (!messages.length) break;
    const sent = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length ? { MessageAttributes: m.MessageAttributes } : {}),
        })),
      }),
    );
    const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
    const toDelete = messages.flatMap((m, i) =>
      ok.has(String(i)) ? [{ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' }] : [],
    );
    if (toDelete.length) await client.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: toDelete }));
    moved += toDelete.length;
    // A message the events queue refused stays in the DLQ (visible again after the timeout).
    if (toDelete.length < messages.length) break;
  }
  return moved;
};

/** The consumer's control of the events queue and its DLQ (core/outage.ts `QueueControl`). */
export class SqsQueueControl implements QueueControl {
  readonly #client: Client;
  readonly #queueUrl: string;
  readonly #dlqUrl: string | undefined;

  constructor(opts: { client: Client; queueUrl: string; dlqUrl: string | undefined }) {
    this.#client = opts.client;
    this.#queueUrl = opts.queueUrl;
    this.#dlqUrl = opts.dlqUrl;
  }

  async delay(records: { receiptHandle: string; seconds: number }[]): Promise<void> {
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      const res = await this.#client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle, VisibilityTimeout: r.seconds })),
        }),
      );
      // A record whose visibility could not be changed comes back at the queue's own time-out:
      // one receive spent sooner, nothing lost.
      if (res.Failed?.length) throw new Error(`${res.Failed.length} visibility change(s) refused: ${res.Failed[0]?.Code}`);
    }
  }

  async deadLettered(): Promise<number> {
    if (!this.#dlqUrl) return 0;
    return (await queueDepth(this.#client, this.#dlqUrl)).visible;
  }

  async redrive(): Promise<void> {
    if (!this.#dlqUrl) return;
    await redriveDlq(this.#client, { dlqUrl: this.#dlqUrl, queueUrl: this.#queueUrl });
  }
}
