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
  registerHealthCheck('queue', async () => {
    if (!queueUrl) return { status: 'down', detail: 'EVENTS_QUEUE_URL is not set' };
    const res = await sqsClient().send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return { status: 'up', detail: `${res.Attributes?.ApproximateNumberOfMessages ?? '?'} message(s) waiting` };
  });
  return publisher;
};
