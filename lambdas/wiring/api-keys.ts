// The process-wide scoped API keys: records in the DynamoDB table API_KEYS_TABLE (partition key
// `hash`), lookups remembered for L1_TTL_S in at most API_KEY_CACHE_SIZE entries. Without the
// table, only the root key (ADMIN_TOKEN) is accepted and the key routes answer 503.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig } from '../adapters/aws-client.ts';
import { DynamoApiKeyStore } from '../adapters/dynamo-api-key-store.ts';
import type { KeyService } from '../admin/keys.ts';
import { config } from '../config/config.ts';
import { ApiKeys } from '../core/api-keys.ts';

let keys: KeyService | null | undefined;

export const apiKeys = (): KeyService | undefined => {
  if (keys !== undefined) return keys ?? undefined;
  const c = config();
  const table = c.API_KEYS_TABLE;
  if (!table) {
    keys = null;
    return undefined;
  }
  // The SDK's own retries (3 attempts, standard mode) are enough for single-item reads here.
  const client = new DynamoDBClient(awsClientConfig('DYNAMODB', c));
  keys = new ApiKeys({
    store: new DynamoApiKeyStore({ client, table }),
    cacheTtlMs: c.L1_TTL_S * 1000,
    cacheMax: c.API_KEY_CACHE_SIZE,
  });
  return keys;
};
