// The local stand-in for Lambda's SQS event source mapping: long-polls the events queue
// (ReceiveMessage returns at most 10 per call, so it loops), gathers a batch until the batching
// window elapses, the batch is full or the payload nears Lambda's 6 MB limit, invokes the
// consumer handler with a real SQS event, deletes only the records not reported in
// `batchItemFailures` (all of them stay if the handler throws), and leaves failures to come back
// after the visibility timeout; the queue's RedrivePolicy moves them to the DLQ after
// maxReceiveCount receives (SQS and fauxqs both do this on receive). stop() flushes the batch
// being gathered and drains what is still on the queue, then makes what the consumer could not
// take visible again, so whoever stops the queue finds every outstanding event waiting on it.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface PollerOptions {
  client: Pick<SQSClient, 'send'>;
  queueUrl: string;
  handler: SqsHandler;
  /** Records per invocation (Lambda: 1-10,000 with a window). */
  batchSize: number;
  /** Batching window in ms, counted from the first record of a batch. */
  windowMs: number;
  /** Longest single long poll, in s (short keeps stop() prompt). */
  maxWaitS?: number;
  /** Time stop() may spend draining what is left on the queue. */
  drainMs?: number;
  region?: string;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Lambda's invocation payload limit; the event source never builds a bigger event. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 - 64 * 1024;

const toLambdaAttributes = (attrs: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes =>
  Object.fromEntries(
    Object.entries(attrs ?? {}).map(([k, v]) => [
      k,
      {
        dataType: v.DataType ?? 'String',
        ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
        ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
        stringListValues: [],
        binaryListValues: [],
      },
    ]),
  );

export const toRecord = (m: Message, queueArn: string, region: string): SQSRecord => ({
  messageId: m.MessageId ?? '',
  receiptHandle: m.ReceiptHandle ?? '',
  body: m.Body ?? '',
  attributes: {
    ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId: m.Attributes?.SenderId ?? 'local',
    ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  },
  messageAttributes: toLambdaAttributes(m.MessageAttributes),
  md5OfBody: m.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: region,
});

const context = (timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'consumer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:consumer',
    memoryLimitInMB: '1024',
    awsRequestId: crypto.randomUUID(),
    logGroupName: '/aws/lambda/consumer',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
};

export class SqsPoller {
  readonly #o: Required<Omit<PollerOptions, 'log'>> & { log: (line: string) => void };
  #queueArn = '';
  #stopping = false;
  #loop: Promise<void> | undefined;
  /**
   * Records received and not deleted (the consumer failed them, or their delete did), by message
   * id, with their latest receipt handle: what stop() makes visible again.
   */
  readonly #outstanding = new Map<string, string>();
  /** Counters for logs and tests. */
  readonly stats = { invocations: 0, received: 0, deleted: 0, failed: 0, released: 0 };

  constructor(options: PollerOptions) {
    this.#o = {
      maxWaitS: 1,
      drainMs: 10_000,
      region: 'us-east-1',
      log: () => {},
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      now: Date.now,
      ...options,
    };
  }

  async start(): Promise<void> {
    const attrs = await this.#o.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.#o.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    this.#queueArn = attrs.Attributes?.QueueArn ?? `arn:aws:sqs:${this.#o.region}:000000000000:events`;
    this.#loop = this.#run();
  }

  /** Received and not deleted: hidden by their visibility time-out, not yet back on the queue. */
  get outstanding(): number {
    return this.#outstanding.size;
  }

  /**
   * Stops polling, invokes the consumer with the batch being gathered, drains the queue, then
   * makes the records the consumer failed visible again (instead of hidden for their visibility
   * time-out), so they are on the queue for whoever keeps it.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loop;
    const deadline = this.#o.now() + this.#o.drainMs;
    try {
      while (this.#o.now() < deadline) {
        const batch = await this.#gather(0, deadline);
        if (!batch.length) break;
        // A consumer that failed a whole batch fails the rest too (its database is down): stop
        // spending receives on them.
        if ((await this.#invoke(batch)) === batch.length) break;
      }
    } catch (err) {
      this.#o.log(`poller: drain stopped (${err instanceof Error ? err.message : String(err)})`);
    }
    await this.#release();
  }

  /** ChangeMessageVisibility 0 on every outstanding record, in batches of 10. */
  async #release(): Promise<void> {
    const entries = [...this.#outstanding];
    let refused = 0;
    for (let i = 0; i < entries.length; i += 10) {
      const chunk = entries.slice(i, i + 10);
      try {
        const res = await this.#o.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.#o.queueUrl,
            Entries: chunk.map(([, receiptHandle], j) => ({ Id: String(j), ReceiptHandle: receiptHandle, VisibilityTimeout: 0 })),
          }),
        );
        const failed = new Set((res.Failed ?? []).map((f) => f.Id));
        chunk.forEach(([messageId], j) => {
          // Refused: moved to the DLQ meanwhile (its handle is stale), or deleted.
          if (failed.has(String(j))) refused++;
          else this.stats.released++;
          this.#outstanding.delete(messageId);
        });
      } catch (err) {
        refused += chunk.length;
        this.#o.log(
          `poller: could not make ${chunk.length} record(s) visible again: ${err instanceof Error ? err.message : err}`,
        );
      }
    }
    if (refused) this.#o.log(`poller: ${refused} record(s) were not made visible again (in the DLQ, deleted, or unreachable)`);
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        const batch = await this.#gather(this.#o.windowMs, undefined);
        if (batch.length) await this.#invoke(batch);
      } catch (err) {
        this.#o.log(`poller: ${err instanceof Error ? err.message : String(err)}; retrying in 1 s`);
        await this.#o.sleep(1_000);
      }
    }
  }

  /**
   * Receives until the window (from the first record) elapses, the batch is full or near the
   * payload limit. `windowMs` 0: one pass of short polls until the queue answers empty.
   */
  async #gather(windowMs: number, hardDeadline: number | undefined): Promise<Message[]> {
    const batch: Message[] = [];
    let bytes = 0;
    let firstAt: number | undefined;
    for (;;) {
      const now = this.#o.now();
      if (hardDeadline !== undefined && now >= hardDeadline) return batch;
      const left = firstAt === undefined ? undefined : windowMs - (now - firstAt);
      if (left !== undefined && left <= 0) return batch;
      if (batch.length >= this.#o.batchSize || bytes >= MAX_PAYLOAD_BYTES) return batch;
      // While stopping, flush what was gathered instead of waiting out the window.
      if (this.#stopping && windowMs > 0) return batch;
      const waitS =
        windowMs === 0 ? 0 : Math.max(0, Math.min(this.#o.maxWaitS, Math.floor((left ?? this.#o.maxWaitS * 1000) / 1000)));
      const askedAt = this.#o.now();
      const res = await this.#o.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#o.queueUrl,
          MaxNumberOfMessages: Math.min(10, this.#o.batchSize - batch.length),
          WaitTimeSeconds: waitS,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      const got = res.Messages ?? [];
      if (got.length) {
        firstAt ??= this.#o.now();
        for (const m of got) bytes += Buffer.byteLength(m.Body ?? '') + 512;
        batch.push(...got);
        this.stats.received += got.length;
      } else if (windowMs === 0) {
        return batch;
      } else if (waitS === 0 || this.#o.now() - askedAt < waitS * 1000) {
        // Short polls (under a second of window left), or an endpoint that answered an empty
        // long poll early: space the next call out instead of spinning.
        await this.#o.sleep(Math.min(100, Math.max(1, left ?? 100)));
      }
    }
  }

  /** Invokes the consumer and deletes what it took; answers how many records it failed. */
  async #invoke(batch: Message[]): Promise<number> {
    const records = batch.map((m) => toRecord(m, this.#queueArn, this.#o.region));
    const ids = new Set(records.map((r) => r.messageId));
    // Outstanding until deleted; a redelivery brings a new receipt handle.
    for (const r of records) this.#outstanding.set(r.messageId, r.receiptHandle);
    let failed: Set<string>;
    this.stats.invocations++;
    try {
      const res = await this.#o.handler({ Records: records }, context(900_000));
      const reported = res?.batchItemFailures ?? [];
      // Lambda's rule: an identifier that is empty or not in the batch fails the whole batch.
      const bogus = reported.some((f) => !f.itemIdentifier || !ids.has(f.itemIdentifier));
      failed = bogus ? new Set(ids) : new Set(reported.map((f) => f.itemIdentifier));
    } catch (err) {
      this.#o.log(
        `poller: consumer threw (${err instanceof Error ? err.message : String(err)}); the whole batch stays on the queue`,
      );
      failed = new Set(ids);
    }
    this.stats.failed += failed.size;
    const done = records.filter((r) => !failed.has(r.messageId));
    for (let i = 0; i < done.length; i += 10) {
      const chunk = done.slice(i, i + 10);
      const res = await this.#o.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#o.queueUrl,
          Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
        }),
      );
      this.stats.deleted += res.Successful?.length ?? 0;
      for (const ok of res.Successful ?? []) {
        const r = chunk[Number(ok.Id)];
        if (r && this.#outstanding.get(r.messageId) === r.receiptHandle) this.#outstanding.delete(r.messageId);
      }
      // A failed delete means a redelivery later: the consumer's exactly-once ledger absorbs it.
      if (res.Failed?.length) this.#o.log(`poller: ${res.Failed.length} delete(s) failed; those messages will be redelivered`);
    }
    return failed.size;
  }
}
