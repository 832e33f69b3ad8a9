// Idempotency records in DynamoDB (partition key `id`, TTL attribute `expiration`), written with
// conditional puts on the low-level client.
//
// Why not Powertools Idempotency: it implements the same in-progress → completed / delete-on-error
// protocol, but it wraps a whole function and keys it by a JMESPath over its payload, stores the
// response, and pulls jmespath and the DynamoDB document client into the bundle. Here the key is
// a header (`webhook-id`), nothing needs to be replayed but "already done", and the handler must
// decide per failure whether to release the key; three explicit conditional writes say exactly
// that, against the same table layout and the same IAM actions (Get/Put/Update/DeleteItem).
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { IdempotencyClaim, IdempotencyStore } from '../core/ports.ts';

export interface DynamoIdempotencyOptions {
  client: Pick<DynamoDBClient, 'send'>;
  table: string;
  /** How long a completed key is remembered (senders retry for ~3 days; default 7 days). */
  ttlS?: number;
  now?: () => number;
}

const IN_PROGRESS = 'INPROGRESS';
const COMPLETED = 'COMPLETED';

export class DynamoIdempotencyStore implements IdempotencyStore {
  readonly #client: Pick<DynamoDBClient, 'send'>;
  readonly #table: string;
  readonly #ttlS: number;
  readonly #now: () => number;

  constructor(options: DynamoIdempotencyOptions) {
    this.#client = options.client;
    this.#table = options.table;
    this.#ttlS = options.ttlS ?? 7 * 86_400;
    this.#now = options.now ?? Date.now;
  }

  async claim(key: string, leaseMs: number): Promise<IdempotencyClaim> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.#now();
      const token = randomUUID();
      try {
        await this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: {
              id: { S: key },
              status: { S: IN_PROGRESS },
              token: { S: token },
              expiration: { N: String(Math.floor(now / 1000) + this.#ttlS) },
              in_progress_expiration: { N: String(now + leaseMs) },
            },
            // Free when absent, past its TTL (DynamoDB deletes expired items lazily, up to days
            // later), or an in-progress lease that ran out (its holder crashed or timed out).
            ConditionExpression:
              'attribute_not_exists(id) OR expiration < :nowS OR (#status = :inProgress AND in_progress_expiration < :nowMs)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':nowS': { N: String(Math.floor(now / 1000)) },
              ':nowMs': { N: String(now) },
              ':inProgress': { S: IN_PROGRESS },
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { state: 'claimed', token };
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException) && (err as Error).name !== 'ConditionalCheckFailedException')
          throw err;
        // DynamoDB returns the existing item with the failure; emulators may not, so read it.
        const existing = (err as { Item?: Record<string, AttributeValue> }).Item ?? (await this.#get(key));
        if (!existing) continue; // released between our put and read: claim again
        if (existing.status?.S === COMPLETED) return { state: 'completed' };
        const leaseEnd = Number(existing.in_progress_expiration?.N ?? now);
        return { state: 'in_progress', retryAfterMs: Math.max(1_000, leaseEnd - now) };
      }
    }
    throw new Error(`idempotency key ${key} kept changing while being claimed`);
  }

  async complete(key: string, token: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { id: { S: key } },
          UpdateExpression: 'SET #status = :completed, expiration = :exp REMOVE in_progress_expiration',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
          ExpressionAttributeValues: {
            ':completed': { S: COMPLETED },
            ':exp': { N: String(Math.floor(this.#now() / 1000) + this.#ttlS) },
            ':token': { S: token },
          },
        }),
      );
    } catch (err) {
      // Our lease ran out and another invocation holds the key now: it will complete it.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  async release(key: string, token: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: { id: { S: key } },
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': { S: token } },
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  async #get(key: string): Promise<Record<string, AttributeValue> | undefined> {
    const res = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: { id: { S: key } }, ConsistentRead: true }),
    );
    return res.Item;
  }
}
