// SQS event source events as Lambda delivers them to the consumer.
import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

export const sqsRecord = (body: string, over: Partial<SQSRecord> = {}): SQSRecord => ({
  messageId: randomUUID(),
  receiptHandle: `rh-${randomUUID()}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: String(Date.now()),
    SenderId: 'AIDATEST',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
  awsRegion: 'us-east-1',
  ...over,
});

export const sqsEvent = (bodies: Array<string | SQSRecord>): SQSEvent => ({
  Records: bodies.map((b) => (typeof b === 'string' ? sqsRecord(b) : b)),
});
