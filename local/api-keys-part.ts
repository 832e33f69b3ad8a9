// The scoped API keys' table for `npm start` (docs/api-keys.md): made on the DynamoDB endpoint the
// idempotency part chose (dynalite in memory, or the user's AWS_ENDPOINT_URL), before the handlers
// load. In memory like the rest of dynalite: keys made locally last until the stack stops.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig } from '../lambdas/adapters/aws-client.ts';
import { parseConfig } from '../lambdas/config/variables.ts';
import { ensureTable } from './aws-emulators.ts';
import type { LocalPart } from './stack.ts';

export const API_KEYS_TABLE_NAME = 'linkcache-api-keys';

/** Creates the keys table (partition key `hash`, TTL on `expiration`) unless it exists. */
export const ensureApiKeysTable = (client: DynamoDBClient, table: string): Promise<void> => ensureTable(client, table, 'hash');

/** After the AWS emulator parts, which set AWS_ENDPOINT_URL_DYNAMODB (and fake credentials). */
export const apiKeysPart = (): LocalPart => ({
  name: 'api-keys',
  async start(env, log) {
    env.API_KEYS_TABLE ||= API_KEYS_TABLE_NAME;
    const client = new DynamoDBClient(awsClientConfig('DYNAMODB', parseConfig(env)));
    try {
      await ensureApiKeysTable(client, env.API_KEYS_TABLE);
    } finally {
      client.destroy();
    }
    log(
      `api-keys: table ${env.API_KEYS_TABLE} on ${env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || 'the default DynamoDB endpoint'}`,
    );
  },
});
