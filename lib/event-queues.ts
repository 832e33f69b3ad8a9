// Click and view events: the events queue the API and webhook Lambdas send to, and its DLQ.
// Both SSE (SQS-managed keys) and TLS-only; the DLQ keeps messages for the 14-day maximum.

import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface EventQueuesProps {
  maxReceiveCount: number;
  /** The consumer's timeout: the visibility timeout is derived from it. */
  consumerTimeout: Duration;
  batchWindow: Duration;
  removalPolicy: RemovalPolicy;
}

/**
 * Lambda's SQS event source needs a visibility timeout of at least 6 × the function timeout
 * (plus the batching window, during which the poller already holds messages).
 */
export const visibilityTimeoutFor = (consumerTimeout: Duration, batchWindow: Duration): Duration =>
  Duration.seconds(6 * consumerTimeout.toSeconds() + batchWindow.toSeconds());

export const assertVisibilityTimeout = (visibility: Duration, consumerTimeout: Duration): void => {
  if (visibility.toSeconds() < 6 * consumerTimeout.toSeconds()) {
    throw new Error(
      `events queue visibility timeout ${visibility.toSeconds()} s is below 6 × the consumer timeout (${consumerTimeout.toSeconds()} s)`,
    );
  }
};

export class EventQueues extends Construct {
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
  readonly visibilityTimeout: Duration;

  constructor(scope: Construct, id: string, props: EventQueuesProps) {
    super(scope, id);
    this.visibilityTimeout = visibilityTimeoutFor(props.consumerTimeout, props.batchWindow);
    assertVisibilityTimeout(this.visibilityTimeout, props.consumerTimeout);

    this.dlq = new sqs.Queue(this, 'Dlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Events', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: this.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: props.maxReceiveCount },
      removalPolicy: props.removalPolicy,
    });
  }
}
