// The visitors' salt store against dynalite (DynamoDB's API, in memory): one salt per day across
// concurrent creators, older days deleted when a new day's salt is made, expired salts refused.
import { type DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite.ts';
import { DynamoSaltStore, SaltExpiredError } from '../../lambdas/adapters/dynamo-salt-store.ts';
import { DAY_MS } from '../../lambdas/core/visitors.ts';
import { ensureSaltsTable } from '../../local/aws-emulators.ts';

let dynamo: LocalDynamo;
let client: DynamoDBClient;
let n = 0;
const table = () => `salts-test-${++n}`;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = dynamo.client;
});
afterAll(() => dynamo?.close());

const T0 = Date.parse('2026-03-01T12:00:00Z');
const days = async (t: string) =>
  ((await client.send(new ScanCommand({ TableName: t }))).Items ?? []).map((i) => i.day?.S).sort();

describe('DynamoSaltStore against dynalite', () => {
  it('concurrent creators of a day agree on one 32-byte salt', async () => {
    const t = table();
    await ensureSaltsTable(client, t);
    const stores = Array.from({ length: 6 }, () => new DynamoSaltStore({ client, table: t, now: () => T0 }));
    const salts = await Promise.all(stores.map((s) => s.saltFor('2026-03-01')));
    const hex = new Set(salts.map((s) => s.salt.toString('hex')));
    expect(hex.size).toBe(1);
    expect(salts[0].salt).toHaveLength(32);
    expect(await days(t)).toEqual(['2026-03-01']);
    // Stored with a TTL no later than 48 h after it was made.
    const item = (await client.send(new GetItemCommand({ TableName: t, Key: { day: { S: '2026-03-01' } } }))).Item;
    expect(Number(item?.expiration?.N) * 1000).toBeLessThanOrEqual(Number(item?.createdAt?.N) + 48 * 3_600_000);
  });

  it("making a new day's salt deletes the salts older than yesterday", async () => {
    const t = table();
    await ensureSaltsTable(client, t);
    let now = Date.parse('2026-02-26T08:00:00Z');
    const store = new DynamoSaltStore({ client, table: t, now: () => now });
    for (const d of ['2026-02-26', '2026-02-27', '2026-02-28', '2026-03-01']) {
      now = Date.parse(`${d}T08:00:00Z`);
      await store.saltFor(d);
    }
    expect(await days(t)).toEqual(['2026-02-28', '2026-03-01']);
  });

  it('a salt past its 48 h is refused even while the item lingers (TTL deletes lazily)', async () => {
    const t = table();
    await ensureSaltsTable(client, t);
    await client.send(
      new PutItemCommand({
        TableName: t,
        Item: {
          day: { S: '2026-03-01' },
          salt: { B: new Uint8Array(32) },
          createdAt: { N: String(T0 - 49 * 3_600_000) },
          expiration: { N: String(Math.ceil((T0 + DAY_MS) / 1000)) },
        },
      }),
    );
    const store = new DynamoSaltStore({ client, table: t, now: () => T0 });
    await expect(store.saltFor('2026-03-01')).rejects.toBeInstanceOf(SaltExpiredError);
  });

  it('a missing table rejects (the hasher then counts events without visitor)', async () => {
    const store = new DynamoSaltStore({ client, table: 'no-such-table', now: () => T0 });
    await expect(store.saltFor('2026-03-01')).rejects.toThrow();
  });
});
