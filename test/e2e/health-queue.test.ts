// `/health` reports the queue's depth: the events waiting, those in flight (received and not yet
// deleted: a batch being gathered, or failed and hidden), and what sits in the DLQ.
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newEvent } from '../../lambdas/core/events.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

let stack: SpawnedStack;
let client: SQSClient | undefined;

// A long batching window: the poller holds what it received (in flight) for its whole length.
beforeAll(async () => {
  stack = await spawnStack({ BATCH_WINDOW_S: '20', DATABASE_URL: '', AWS_ENDPOINT_URL: '' });
});
afterAll(async () => {
  client?.destroy();
  await stack?.stop();
});

const queueDetail = async (): Promise<string | undefined> => {
  const body = (await (await fetch(`${stack.url}/health`)).json()) as {
    dependencies: Record<string, { status: string; detail?: string }>;
  };
  expect(body.dependencies.queue?.status).toBe('up');
  return body.dependencies.queue?.detail;
};

it('counts the events waiting, in flight and in the DLQ', async () => {
  expect(await queueDetail()).toBe('0 waiting, 0 in flight, 0 in the DLQ');

  const m = /queue: fauxqs at (\S+); events \S+ dlq (\S+) /.exec(stack.output());
  expect(m, stack.output()).not.toBeNull();
  client = new SQSClient({
    region: 'us-east-1',
    endpoint: m?.[1],
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const dead = [0, 1].map(() => newEvent('profile.viewed', { profileId: 'prof_alice' }));
  await client.send(
    new SendMessageBatchCommand({
      QueueUrl: m?.[2],
      Entries: dead.map((e, i) => ({ Id: String(i), MessageBody: JSON.stringify(e) })),
    }),
  );

  const res = await fetch(`${stack.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': CHROME },
    body: JSON.stringify({ events: [0, 1, 2].map(() => ({ type: 'profile.viewed', username: 'demo' })) }),
  });
  expect(res.status).toBe(202);

  // The poller long-polls: the three are received at once and held for the window.
  let detail: string | undefined;
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    detail = await queueDetail();
    if (detail === '0 waiting, 3 in flight, 2 in the DLQ') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(detail).toBe('0 waiting, 3 in flight, 2 in the DLQ');
});
