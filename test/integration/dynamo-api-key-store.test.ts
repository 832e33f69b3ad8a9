// The DynamoDB key store against dynalite (DynamoDB's API, in memory), through the key service.
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite.ts';
import { DynamoApiKeyStore } from '../../lambdas/adapters/dynamo-api-key-store.ts';
import { ApiKeys, hashKey } from '../../lambdas/core/api-keys.ts';
import { ensureApiKeysTable } from '../../local/api-keys-part.ts';

let dynamo: LocalDynamo;
let client: DynamoDBClient;
let n = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = dynamo.client;
});
afterAll(() => dynamo?.close());

/** A fresh table per test, so listings hold only that test's keys. */
const fresh = async (now: () => number = Date.now, scanPageSize?: number) => {
  const table = `api-keys-test-${++n}`;
  await ensureApiKeysTable(client, table);
  await ensureApiKeysTable(client, table); // idempotent
  const store = new DynamoApiKeyStore({ client, table, scanPageSize });
  return { table, store, keys: new ApiKeys({ store, cacheTtlMs: 0, cacheMax: 10, now }) };
};

describe('DynamoApiKeyStore against dynalite', () => {
  it('create → authenticate → list → revoke → refused', async () => {
    const { keys, table } = await fresh();
    const made = await keys.create({ scopes: ['analytics:read', 'links:write'], profiles: ['Demo', 'alice'] });
    expect(await keys.authenticate(made.key)).toEqual({
      keyId: made.id,
      root: false,
      scopes: ['analytics:read', 'links:write'],
      profiles: ['alice', 'demo'],
    });
    // Stored by hash, never the key.
    const item = await client.send(new GetItemCommand({ TableName: table, Key: { hash: { S: hashKey(made.key) } } }));
    expect(item.Item?.id?.S).toBe(made.id);
    expect(JSON.stringify(item.Item)).not.toContain(made.key);

    const other = await keys.create({ scopes: ['cache:invalidate'] });
    const list = await keys.list();
    expect(list.map((k) => [k.id, k.revoked, k.profiles])).toEqual(
      expect.arrayContaining([
        [made.id, false, ['alice', 'demo']],
        [other.id, false, null],
      ]),
    );
    expect(list).toHaveLength(2);

    expect(await keys.revoke(made.id)).toBe(true);
    expect(await keys.revoke(made.id)).toBe(true); // again: still revoked, first time kept
    expect(await keys.authenticate(made.key)).toBeUndefined();
    expect(await keys.authenticate(other.key)).toBeDefined();
    const after = await keys.list();
    const revoked = after.find((k) => k.id === made.id);
    expect(revoked?.revoked).toBe(true);
    expect(revoked?.revokedAt).toMatch(/^\d{4}-/);
    expect(after.find((k) => k.id === other.id)?.revoked).toBe(false);
    expect(await keys.revoke('key_000000000000000000000000')).toBe(false);
  });

  it('an expired key is refused, and listed with its expiry', async () => {
    let now = Date.now();
    const { keys } = await fresh(() => now);
    const made = await keys.create({ scopes: ['analytics:read'], expiresAt: new Date(now + 60_000).toISOString() });
    expect(await keys.authenticate(made.key)).toBeDefined();
    now += 60_000;
    expect(await keys.authenticate(made.key)).toBeUndefined();
    expect((await keys.list())[0].expiresAt).toBe(made.expiresAt);
  });

  it('an unknown key is refused; a put never overwrites an existing hash', async () => {
    const { keys, store } = await fresh();
    expect(await keys.authenticate(`lck_${'Q'.repeat(43)}`)).toBeUndefined();
    const made = await keys.create({ scopes: ['analytics:read'] });
    const record = await store.byHash(hashKey(made.key));
    expect(record).toBeDefined();
    await expect(store.put({ ...(record as NonNullable<typeof record>), id: 'key_ffffffffffffffffffffffff' })).rejects.toThrow();
    expect((await store.byHash(hashKey(made.key)))?.id).toBe(made.id);
  });

  it('lists and revokes across scan pages', async () => {
    const { keys } = await fresh(Date.now, 7);
    const made = [];
    for (let i = 0; i < 30; i++) made.push(await keys.create({ scopes: ['analytics:read'], profiles: [`user${i}`] }));
    expect(await keys.list()).toHaveLength(30);
    expect(await keys.revoke(made[17].id)).toBe(true);
    expect(await keys.authenticate(made[17].key)).toBeUndefined();
    expect(await keys.authenticate(made[16].key)).toBeDefined();
  });
});
