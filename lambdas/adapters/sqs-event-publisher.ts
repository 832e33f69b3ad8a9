// EventPublisher over SQS: one SendMessage per event, SendMessageBatch in chunks of at most
// 10 entries and 1 MiB for batches. Failed entries of a partial batch failure and transient SDK
// errors are retried with exponential backoff and full jitter within a total time budget; it
// rejects only when an event is finally refused, so no caller acknowledges an unsent event.
import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MetricNames } from '../contracts/metrics.ts';
import { noTelemetry, type Telemetry } from '../core/ports.ts';
import { type Clock, fullJitter, realClock, type RetryPolicy } from '../core/retry.ts';
import { isTransientAwsError } from './aws-client.ts';
import type { EventPublisher, QueueEvent } from '../core/events.ts';

export const MAX_BATCH_ENTRIES = 10;
/** SQS's payload limit for one message and for one batch (raised from 256 KiB in 2025). */
export const MAX_BATCH_BYTES = 1024 * 1024;

export interface SqsPublisherOptions {
  client: Pick<SQSClient, 'send'>;
  queueUrl: string;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  telemetry?: Telemetry;
}

export const DEFAULT_PUBLISH_RETRY: RetryPolicy = { maxAttempts: 5, baseMs: 50, capMs: 1_000, budgetMs: 3_000 };

/** Thrown when events could not be published; `failedIds` are the event ids never accepted. */
export class PublishError extends Error {
  readonly failedIds: string[];
  constructor(message: string, failedIds: string[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishError';
    this.failedIds = failedIds;
  }
}

const attributes = (event: QueueEvent): Record<string, MessageAttributeValue> => ({
  type: { DataType: 'String', StringValue: event.type },
});

/** Bytes SQS counts for a message: body plus attribute names, types and values. */
const messageBytes = (body: string, event: QueueEvent): number =>
  Buffer.byteLength(body) + 'type'.length + 'String'.length + Buffer.byteLength(event.type);

export class SqsEventPublisher implements EventPublisher {
  readonly #client: Pick<SQSClient, 'send'>;
  readonly #queueUrl: string;
  readonly #policy: RetryPolicy;
  readonly #clock: Clock;
  readonly #telemetry: Telemetry;

  constructor(options: SqsPublisherOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#policy = { ...DEFAULT_PUBLISH_RETRY, ...options.retry };
    this.#clock = options.clock ?? realClock;
    this.#telemetry = options.telemetry ?? noTelemetry;
  }

  async publish(event: QueueEvent): Promise<void> {
    const body = JSON.stringify(event);
    const deadline = this.#clock.now() + this.#policy.budgetMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#client.send(
          new SendMessageCommand({ QueueUrl: this.#queueUrl, MessageBody: body, MessageAttributes: attributes(event) }),
        );
        this.#telemetry.count(MetricNames.EventsPublished);
        return;
      } catch (err) {
        if (!isTransientAwsError(err) || !(await this.#backoff(attempt, deadline))) {
          this.#telemetry.count(MetricNames.EventsPublishFailed);
          throw new PublishError(
            `event ${event.id} (${event.type}) was not accepted by the queue: ${describe(err)}`,
            [event.id],
            {
              cause: err,
            },
          );
        }
      }
    }
  }

  async publishBatch(events: QueueEvent[]): Promise<void> {
    if (events.length === 0) return;
    const chunks = chunk(events);
    // Chunks go out concurrently; each retries on its own. All must land for this to resolve.
    const results = await Promise.allSettled(chunks.map((c) => this.#sendChunk(c)));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failed.length) {
      const ids = failed.flatMap((e) => (e instanceof PublishError ? e.failedIds : []));
      throw new PublishError(
        `${ids.length} of ${events.length} event(s) were not accepted by the queue: ${describe(failed[0])}`,
        ids,
        {
          cause: failed[0],
        },
      );
    }
  }

  async #sendChunk(chunkEvents: Array<{ event: QueueEvent; body: string }>): Promise<void> {
    // Entry ids are the positions in the chunk: unique per batch and within SQS's charset.
    let pending = new Map<string, { event: QueueEvent; body: string }>(chunkEvents.map((e, i) => [String(i), e]));
    const deadline = this.#clock.now() + this.#policy.budgetMs;
    for (let attempt = 0; ; attempt++) {
      let lastError: unknown;
      try {
        const entries: SendMessageBatchRequestEntry[] = [...pending].map(([id, { event, body }]) => ({
          Id: id,
          MessageBody: body,
          MessageAttributes: attributes(event),
        }));
        const res = await this.#client.send(new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: entries }));
        this.#telemetry.count(MetricNames.EventsPublished, res.Successful?.length ?? 0);
        const failed = res.Failed ?? [];
        const permanent = failed.filter((f) => f.SenderFault);
        if (permanent.length) {
          // The message itself is refused (too large, bad attribute): retrying cannot help.
          const ids = failed.map((f) => pending.get(f.Id ?? '')?.event.id ?? '?');
          this.#telemetry.count(MetricNames.EventsPublishFailed, ids.length);
          throw new PublishError(`the queue refused event(s): ${permanent[0].Code}: ${permanent[0].Message ?? ''}`, ids);
        }
        if (!failed.length) return;
        pending = new Map(failed.map((f) => [f.Id ?? '', pending.get(f.Id ?? '') as { event: QueueEvent; body: string }]));
        this.#telemetry.count(MetricNames.EventsPublishRetried, failed.length);
        lastError = new Error(`${failed.length} entr${failed.length === 1 ? 'y' : 'ies'} failed: ${failed[0].Code}`);
      } catch (err) {
        if (err instanceof PublishError) throw err;
        if (!isTransientAwsError(err)) {
          throw this.#give(pending, err);
        }
        lastError = err;
      }
      if (!(await this.#backoff(attempt, deadline))) throw this.#give(pending, lastError);
    }
  }

  #give(pending: Map<string, { event: QueueEvent }>, err: unknown): PublishError {
    const ids = [...pending.values()].map((p) => p.event.id);
    this.#telemetry.count(MetricNames.EventsPublishFailed, ids.length);
    return new PublishError(`the queue did not accept ${ids.length} event(s): ${describe(err)}`, ids, { cause: err });
  }

  /** Sleeps before attempt `n + 1`; false when attempts or the time budget are used up. */
  async #backoff(attempt: number, deadline: number): Promise<boolean> {
    if (attempt + 1 >= this.#policy.maxAttempts) return false;
    const delay = fullJitter(attempt, this.#policy, this.#clock.random);
    if (this.#clock.now() + delay >= deadline) return false;
    await this.#clock.sleep(delay);
    return true;
  }
}

/** Splits into batches of at most 10 entries and 1 MiB (an event alone over the limit is sent alone and refused). */
export const chunk = (events: QueueEvent[]): Array<Array<{ event: QueueEvent; body: string }>> => {
  const out: Array<Array<{ event: QueueEvent; body: string }>> = [];
  let current: Array<{ event: QueueEvent; body: string }> = [];
  let bytes = 0;
  for (const event of events) {
    const body = JSON.stringify(event);
    const size = messageBytes(body, event);
    if (current.length && (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ event, body });
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
};

const describe = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));
