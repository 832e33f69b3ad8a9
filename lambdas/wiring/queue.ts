// The process-wide event publisher (webhook, admin, track, consumer all use it): one SQS client
// per container, reused across invocations. EVENTS_QUEUE_URL names the queue; AWS_ENDPOINT_URL
// points at an emulator (see aws.ts).
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsEventPublisher } from '../adapters/sqs-event-publisher.ts';
import { awsClientConfig } from '../adapters/aws-client.ts';
import { config } from '../config/config.ts';
import type { EventPublisher, QueueEvent } from '../core/events.ts';
import { registerHealthCheck } from '../shared/health.ts';
import { telemetry } from '../shared/telemetry.ts';

let client: SQSClient | undefined;
let publisher: EventPublisher | undefined;

/** The SQS client for this process (shared with the DLQ tooling and the local poller). */
export const sqsClient = (): SQSClient => {
  // maxAttempts 1: the publisher's own backoff bounds the total time of a publish.
  client ??= new SQSClient(awsClientConfig('SQS', config(), 1));
  return client;
};

/** Refuses every publish with a clear reason; used when EVENTS_QUEUE_URL is not configured. */
const unconfigured: EventPublisher = {
  publish: async (event: QueueEvent) => {
    throw new Error(`EVENTS_QUEUE_URL is not set: cannot publish ${event.type}`);
  },
  publishBatch: async (events: QueueEvent[]) => {
    if (events.length) throw new Error('EVENTS_QUEUE_URL is not set: cannot publish events');
  },
};

export const eventPublisher = (): EventPublisher => {
  if (publisher) return publisher;
  const queueUrl = config().EVENTS_QUEUE_URL;
  publisher = queueUrl ? new SqsEventPublisher({ client: sqsClient(), queueUrl, telemetry }) : unconfigured;
  const dlqUrl = config().DLQ_URL;
  registerHealthCheck('queue', async () => {
    if (!queueUrl) return { status: 'down', detail: 'EVENTS_QUEUE_URL is not set' };
    // In flight counts too: a batch being gathered, or failed and hidden until its next receive,
    // is on the queue but not among the waiting.
    const [queue, dlq] = await Promise.all([depth(queueUrl), dlqUrl ? depth(dlqUrl) : undefined]);
    const inDlq = dlq
      ? `, ${dlq.waiting === '?' || dlq.inFlight === '?' ? '?' : Number(dlq.waiting) + Number(dlq.inFlight)} in the DLQ`
      : '';
    return { status: 'up', detail: `${queue.waiting} waiting, ${queue.inFlight} in flight${inDlq}` };
  });
  return publisher;
};

const depth = async (queueUrl: string): Promise<{ waiting: string; inFlight: string }> => {
  const res = await sqsClient().send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    waiting: res.Attributes?.ApproximateNumberOfMessages ?? '?',
    inFlight: res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? '?',
  };
};
