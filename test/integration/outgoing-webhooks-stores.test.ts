// The outgoing-webhook adapters against DynamoDB's and SQS's wire protocols (dynalite, fauxqs):
// the endpoint store, the delivery log (newest first, TTL, claims), the delivery queue with its
// delays, and the consumer's fan-out landing on it; and the local spool's fauxqs inspection.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryLog } from '../../lambdas/adapters/dynamo-webhook-deliveries.ts';
import { DynamoEndpointStore } from '../../lambdas/adapters/dynamo-webhook-endpoints.ts';
import { SqsDeliveryQueue } from '../../lambdas/adapters/sqs-delivery-queue.ts';
import { makeConsumer } from '../../lambdas/consumer/handler.ts';
import { newEvent } from '../../lambdas/core/events.ts';
import { type DeliveryJob, webhookIdFor } from '../../lambdas/core/outgoing-webhooks.ts';
import { ensureQueues } from '../../local/aws-emulators.ts';
import { ensureTable } from '../../local/aws-emulators.ts';
import { inspectFauxqs } from '../../local/webhooks-out-parts.ts';
import { sqsEvent } from '../helpers/sqs.ts';
import { makeEndpoint } from '../helpers/outgoing-webhooks.ts';

let server: Server;
let dynamo: DynamoDBClient;
let fauxqs: { address: string; stop(): Promise<void> };
let sqs: SQSClient;
let queueUrl = '';
const ENDPOINTS = 'wh-endpoints-test';
const DELIVERIES = 'wh-deliveries-test';

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  dynamo = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await ensureTable(dynamo, ENDPOINTS, 'id');
  await ensureTable(dynamo, DELIVERIES, 'pk', 'sk');
  await ensureTable(dynamo, DELIVERIES, 'pk', 'sk'); // idempotent
  const { startFauxqs } = await import('fauxqs');
  fauxqs = await startFauxqs({ port: 0, logger: false, defaultRegion: 'us-east-1' });
  sqs = new SQSClient({ region: 'us-east-1', endpoint: fauxqs.address, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  queueUrl = (
    await ensureQueues(sqs, {
      maxReceiveCount: 5,
      visibilityTimeoutS: 30,
      queueName: 'deliveries-test',
      dlqName: 'deliveries-test-dlq',
    })
  ).queueUrl;
});
afterAll(async () => {
  dynamo?.destroy();
  sqs?.destroy();
  await fauxqs?.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const receiveAll = async (): Promise<DeliveryJob[]> => {
  const out: DeliveryJob[] = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!r.Messages?.length) return out;
    out.push(...r.Messages.map((m) => JSON.parse(m.Body ?? '') as DeliveryJob));
  }
};

describe('DynamoEndpointStore', () => {
  it('puts, gets, lists, disables, tracks failure runs and deletes', async () => {
    const store = new DynamoEndpointStore({ client: dynamo, table: ENDPOINTS });
    const a = makeEndpoint({ id: 'ep_a', profiles: ['demo'], createdAt: '2026-01-01T00:00:00.000Z' });
    const b = makeEndpoint({ id: 'ep_b', profiles: null, createdAt: '2026-01-02T00:00:00.000Z' });
    await store.put(a);
    await store.put(b);
    await expect(store.put(a)).rejects.toThrow(); // never overwritten
    expect(await store.get('ep_a')).toEqual(a);
    expect((await store.list()).map((e) => e.id)).toEqual(['ep_a', 'ep_b']);
    // Listing never reads the signing secrets.
    expect((await store.list()).map((e) => e.secret)).toEqual(['', '']);
    await store.setFailingSince('ep_a', '2026-01-03T00:00:00.000Z');
    await store.disable('ep_a', 'the endpoint answered 410 Gone');
    expect(await store.get('ep_a')).toMatchObject({
      enabled: false,
      disabledReason: 'the endpoint answered 410 Gone',
      failingSince: '2026-01-03T00:00:00.000Z',
    });
    expect(await store.delete('ep_a')).toBe(true);
    expect(await store.delete('ep_a')).toBe(false);
    // Updating a deleted endpoint does not bring it back.
    await store.disable('ep_a', 'late');
    expect(await store.get('ep_a')).toBeUndefined();
  });
});

describe('DynamoDeliveryLog', () => {
  it('lists an endpoint’s attempts newest first, others apart, expired ones left out', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const log = new DynamoDeliveryLog({ client: dynamo, table: DELIVERIES, ttlS: 60, now: () => now });
    const entry = (attempt: number, at: string, endpointId = 'ep_log') => ({
      endpointId,
      webhookId: 'msg_1',
      type: 'links.updated' as const,
      attempt,
      at,
      responseCode: attempt === 1 ? null : 200,
      durationMs: 7,
    });
    await log.append(entry(1, '2026-01-01T00:00:00.000Z'));
    await log.append(entry(2, '2026-01-01T00:00:05.000Z'));
    await log.append(entry(1, '2026-01-01T00:00:09.000Z', 'ep_other'));
    expect((await log.list('ep_log', 10)).map((e) => [e.attempt, e.responseCode])).toEqual([
      [2, 200],
      [1, null],
    ]);
    expect(await log.list('ep_log', 1)).toHaveLength(1);
    now += 120_000;
    expect(await log.list('ep_log', 10)).toEqual([]);
  });

  it('claims an attempt once; a released or lapsed claim can be taken again', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const log = new DynamoDeliveryLog({ client: dynamo, table: DELIVERIES, now: () => now });
    expect(await log.claim('msg_c', 1, 1_000)).toBe('claimed');
    expect(await log.claim('msg_c', 1, 1_000)).toBe('in_progress');
    expect(await log.claim('msg_c', 2, 1_000)).toBe('claimed');
    await log.release('msg_c', 2);
    expect(await log.claim('msg_c', 2, 1_000)).toBe('claimed');
    now += 2_000; // the holder of attempt 1 ran out of time
    expect(await log.claim('msg_c', 1, 1_000)).toBe('claimed');
    await log.complete('msg_c', 1);
    now += 60_000;
    expect(await log.claim('msg_c', 1, 1_000)).toBe('done');
  });
});

describe('the delivery queue and the fan-out', () => {
  it('the consumer fans a change out onto the queue, one job per matching endpoint; the same event again makes the same jobs', async () => {
    const store = new DynamoEndpointStore({ client: dynamo, table: ENDPOINTS });
    await store.put(makeEndpoint({ id: 'ep_fan_demo', profiles: ['demo'] }));
    await store.put(makeEndpoint({ id: 'ep_fan_alice', profiles: ['alice'] }));
    const queue = new SqsDeliveryQueue({ client: sqs, queueUrl });
    const consume = makeConsumer({
      store: () => ({
        apply: async () => ({ applied: 0, duplicates: 0, rows: 0 }),
        setAside: async (r) => r.length,
        report: async () => ({}) as never,
      }),
      webhooks: { endpoints: store, queue },
    });
    const event = newEvent('profile.updated', { profileId: 'prof_demo', username: 'demo' });
    const body = JSON.stringify(event);
    expect((await consume(sqsEvent([body]))).batchItemFailures).toEqual([]);
    expect((await consume(sqsEvent([body]))).batchItemFailures).toEqual([]);
    const jobs = (await receiveAll()).filter((j) => j.eventId === event.id && j.endpointId.startsWith('ep_fan_'));
    expect(jobs.map((j) => j.endpointId).sort()).toEqual(['ep_fan_demo', 'ep_fan_demo']);
    expect(new Set(jobs.map((j) => j.webhookId))).toEqual(new Set([webhookIdFor(event.id, 'ep_fan_demo')]));
    expect(JSON.parse(jobs[0]?.payload ?? '{}')).toMatchObject({ type: 'profile.updated', data: { username: 'demo' } });
  });

  it('a delayed job is not received before its delay, and the spool inspection still sees it', async () => {
    const queue = new SqsDeliveryQueue({ client: sqs, queueUrl });
    const job: DeliveryJob = {
      webhookId: 'msg_delayed',
      endpointId: 'ep_x',
      eventId: 'evt_delayed',
      type: 'links.updated',
      attempt: 2,
      payload: '{}',
      notBefore: Date.now() + 600_000,
    };
    await queue.send([{ job, delayS: 900 }]);
    expect((await receiveAll()).some((j) => j.webhookId === 'msg_delayed')).toBe(false);
    const held = await inspectFauxqs(fauxqs.address, 'deliveries-test');
    expect(held.map((m) => JSON.parse(m.body) as DeliveryJob).find((j) => j.webhookId === 'msg_delayed')).toEqual(job);
  });
});
