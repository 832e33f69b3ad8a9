// The process-wide idempotency store: a DynamoDB table named by IDEMPOTENCY_TABLE (partition key
// `id`, TTL attribute `expiration`); AWS_ENDPOINT_URL points at an emulator (dynalite locally).
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoIdempotencyStore } from '../adapters/dynamo-idempotency-store.ts';
import type { IdempotencyStore } from '../core/ports.ts';
import { awsClientConfig } from '../adapters/aws-client.ts';
import { config } from '../config/config.ts';
import { registerHealthCheck } from '../shared/health.ts';

let store: IdempotencyStore | undefined;

export const idempotencyStore = (): IdempotencyStore => {
  if (store) return store;
  const c = config();
  const table = c.IDEMPOTENCY_TABLE;
  // The SDK's own retries (3 attempts, standard mode) are enough for single-item writes here.
  const client = new DynamoDBClient(awsClientConfig('DYNAMODB', c));
  store = table
    ? new DynamoIdempotencyStore({ client, table, ttlS: c.IDEMPOTENCY_TTL_S })
    : {
        claim: async () => {
          throw new Error('IDEMPOTENCY_TABLE is not set');
        },
        complete: async () => {},
        release: async () => {},
      };
  registerHealthCheck('idempotency', async () => {
    if (!table) return { status: 'down', detail: 'IDEMPOTENCY_TABLE is not set' };
    // A GetItem of a key that never exists: the only read the function's role is granted.
    await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: '__health__' } } }));
    return { status: 'up', detail: `table ${table}` };
  });
  return store;
};
