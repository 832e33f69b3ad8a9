// The DynamoDB idempotency store against dynalite (DynamoDB's API, in memory).
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite.ts';
import { DynamoIdempotencyStore } from '../../lambdas/adapters/dynamo-idempotency-store.ts';
import { ensureIdempotencyTable } from '../../local/aws-emulators.ts';

let dynamo: LocalDynamo;
let client: DynamoDBClient;
const TABLE = 'idempotency-test';

beforeAll(async () => {
  dynamo = await startDynalite();
  client = dynamo.client;
  await ensureIdempotencyTable(client, TABLE);
  await ensureIdempotencyTable(client, TABLE); // idempotent
});
afterAll(() => dynamo?.close());

const store = (now: () => number = Date.now, ttlS = 3600) => new DynamoIdempotencyStore({ client, table: TABLE, ttlS, now });
let n = 0;
const key = () => `k-${Date.now()}-${++n}`;

describe('DynamoIdempotencyStore against dynalite', () => {
  it('claim → completed: a second claim sees it done', async () => {
    const k = key();
    const c = await store().claim(k, 30_000);
    expect(c.state).toBe('claimed');
    await store().complete(k, c.state === 'claimed' ? c.token : '');
    expect(await store().claim(k, 30_000)).toEqual({ state: 'completed' });
    const item = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: k } } }))).Item;
    expect(item?.status.S).toBe('COMPLETED');
    expect(Number(item?.expiration.N)).toBeGreaterThan(Date.now() / 1000 + 3500);
  });

  it('a concurrent claim of the same key sees it in progress; only one wins', async () => {
    const k = key();
    const results = await Promise.all([store().claim(k, 30_000), store().claim(k, 30_000), store().claim(k, 30_000)]);
    expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.state === 'in_progress')).toHaveLength(2);
  });

  it('release frees the key for the retry; a stale token releases nothing', async () => {
    const k = key();
    const first = await store().claim(k, 30_000);
    await store().release(k, 'not-the-token');
    expect((await store().claim(k, 30_000)).state).toBe('in_progress');
    await store().release(k, first.state === 'claimed' ? first.token : '');
    expect((await store().claim(k, 30_000)).state).toBe('claimed');
  });

  it('an expired lease (crashed holder) can be claimed again; the old holder can no longer complete', async () => {
    const k = key();
    let now = Date.now();
    const old = await store(() => now).claim(k, 1_000);
    now += 2_000;
    const fresh = await store(() => now).claim(k, 1_000);
    expect(fresh.state).toBe('claimed');
    await store(() => now).complete(k, old.state === 'claimed' ? old.token : '');
    const item = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: k } } }))).Item;
    expect(item?.status.S).toBe('INPROGRESS');
  });

  it('a completed record past its TTL counts as absent even before DynamoDB deletes it', async () => {
    const k = key();
    let now = Date.now();
    const c = await store(() => now, 60).claim(k, 1_000);
    await store(() => now, 60).complete(k, c.state === 'claimed' ? c.token : '');
    now += 61_000;
    expect((await store(() => now, 60).claim(k, 1_000)).state).toBe('claimed');
  });
});
