import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore } from '../../../lambdas/adapters/dynamo-idempotency-store.ts';

const ddb = mockClient(DynamoDBClient);
const NOW = 1_800_000_000_000;
const store = () =>
  new DynamoIdempotencyStore({ client: new DynamoDBClient({ region: 'us-east-1' }), table: 'idem', ttlS: 3600, now: () => NOW });
const conditionFailed = (item?: Record<string, unknown>) =>
  Object.assign(new Error('The conditional request failed'), {
    name: 'ConditionalCheckFailedException',
    ...(item ? { Item: item } : {}),
  });

beforeEach(() => ddb.reset());

describe('DynamoIdempotencyStore', () => {
  it('claims with an in-progress record, a TTL and a lease', async () => {
    ddb.on(PutItemCommand).resolves({});
    const claim = await store().claim('k', 30_000);
    expect(claim.state).toBe('claimed');
    const input = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    expect(input.Item).toMatchObject({
      id: { S: 'k' },
      status: { S: 'INPROGRESS' },
      expiration: { N: String(NOW / 1000 + 3600) },
      in_progress_expiration: { N: String(NOW + 30_000) },
    });
    expect(input.ConditionExpression).toMatch(/attribute_not_exists\(id\) OR expiration < :nowS OR/);
  });

  it('reports a completed key as done', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed({ id: { S: 'k' }, status: { S: 'COMPLETED' } }));
    expect(await store().claim('k', 30_000)).toEqual({ state: 'completed' });
  });

  it('reports a live lease as in progress with the time left', async () => {
    ddb
      .on(PutItemCommand)
      .rejects(conditionFailed({ status: { S: 'INPROGRESS' }, in_progress_expiration: { N: String(NOW + 12_000) } }));
    expect(await store().claim('k', 30_000)).toEqual({ state: 'in_progress', retryAfterMs: 12_000 });
  });

  it('claims again when the record vanished between the put and the read', async () => {
    ddb.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});
    ddb.on(GetItemCommand).resolves({});
    expect((await store().claim('k', 30_000)).state).toBe('claimed');
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(2);
  });

  it('completes and releases only with the claim token', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    ddb.on(DeleteItemCommand).resolves({});
    await store().complete('k', 'tok');
    await store().release('k', 'tok');
    expect(ddb.commandCalls(UpdateItemCommand)[0].args[0].input).toMatchObject({
      ConditionExpression: '#token = :token',
      ExpressionAttributeValues: { ':token': { S: 'tok' }, ':completed': { S: 'COMPLETED' } },
    });
    expect(ddb.commandCalls(DeleteItemCommand)[0].args[0].input).toMatchObject({
      Key: { id: { S: 'k' } },
      ConditionExpression: '#token = :token',
    });
  });

  it('ignores a lost token on release (another invocation holds the key) but rethrows other errors', async () => {
    ddb.on(DeleteItemCommand).rejectsOnce(conditionFailed()).rejects(new Error('boom'));
    await expect(store().release('k', 'old')).resolves.toBeUndefined();
    await expect(store().release('k', 'old')).rejects.toThrow('boom');
  });
});
