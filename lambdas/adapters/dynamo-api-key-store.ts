// Scoped API key records in DynamoDB: partition key `hash` (SHA-256 of the key, so a request's key
// is found with one GetItem), the id and grants as attributes, TTL attribute `expiration` a while
// after a key expires (so listings still show recently expired keys). Listing and revoking by id
// scan the table: keys are few (tens), made by hand, and neither is on a request's path.
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ApiKeyRecord, ApiKeyStore } from '../core/api-keys.ts';
import { SCOPES, type Scope } from '../contracts/routes.ts';

export interface DynamoApiKeyStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  table: string;
  /** Items per Scan page (DynamoDB's 1 MB page by default); small in tests, to cross pages. */
  scanPageSize?: number;
}

/** Expired keys stay listed (as expired) this long before DynamoDB's TTL may delete them. */
const KEEP_EXPIRED_S = 30 * 86_400;

const toItem = (r: ApiKeyRecord): Record<string, AttributeValue> => ({
  hash: { S: r.hash },
  id: { S: r.id },
  scopes: { SS: r.scopes },
  ...(r.profiles ? { profiles: { SS: r.profiles } } : {}),
  ...(r.expiresAt
    ? {
        expiresAt: { S: r.expiresAt },
        expiration: { N: String(Math.floor(Date.parse(r.expiresAt) / 1000) + KEEP_EXPIRED_S) },
      }
    : {}),
  createdAt: { S: r.createdAt },
  ...(r.revokedAt ? { revokedAt: { S: r.revokedAt } } : {}),
});

const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

const fromItem = (item: Record<string, AttributeValue>): ApiKeyRecord => ({
  id: item.id?.S ?? '',
  hash: item.hash?.S ?? '',
  // A scope this code no longer knows grants nothing.
  scopes: (item.scopes?.SS ?? []).filter(isScope).sort(),
  profiles: item.profiles?.SS ? [...item.profiles.SS].sort() : null,
  expiresAt: item.expiresAt?.S ?? null,
  createdAt: item.createdAt?.S ?? '',
  revokedAt: item.revokedAt?.S ?? null,
});

export class DynamoApiKeyStore implements ApiKeyStore {
  readonly #client: Pick<DynamoDBClient, 'send'>;
  readonly #table: string;
  readonly #pageSize: number | undefined;

  constructor(options: DynamoApiKeyStoreOptions) {
    this.#client = options.client;
    this.#table = options.table;
    this.#pageSize = options.scanPageSize;
  }

  async put(record: ApiKeyRecord): Promise<void> {
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#table,
        Item: toItem(record),
        // 256 random bits never collide; the condition makes sure a put can never overwrite a key.
        ConditionExpression: 'attribute_not_exists(#hash)',
        ExpressionAttributeNames: { '#hash': 'hash' },
      }),
    );
  }

  async byHash(hash: string): Promise<ApiKeyRecord | undefined> {
    // Strongly consistent: a key just made works at once, a revocation is seen at once (before the cache).
    const res = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: { hash: { S: hash } }, ConsistentRead: true }),
    );
    return res.Item ? fromItem(res.Item) : undefined;
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.#scan()).map(fromItem);
  }

  async revoke(id: string, at: string): Promise<boolean> {
    const [item] = await this.#scan(id);
    if (!item?.hash?.S) return false;
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { hash: { S: item.hash.S } },
          UpdateExpression: 'SET revokedAt = :at',
          // Revoking twice keeps the first time.
          ConditionExpression: 'attribute_exists(#hash) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeNames: { '#hash': 'hash' },
          ExpressionAttributeValues: { ':at': { S: at } },
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
    return true;
  }

  /** Every item, or those with `id` (a filter is applied per page, so every page is read). */
  async #scan(id?: string): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.#client.send(
        new ScanCommand({
          TableName: this.#table,
          ConsistentRead: true,
          ExclusiveStartKey: start,
          Limit: this.#pageSize,
          ...(id ? { FilterExpression: 'id = :id', ExpressionAttributeValues: { ':id': { S: id } } } : {}),
        }),
      );
      out.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
