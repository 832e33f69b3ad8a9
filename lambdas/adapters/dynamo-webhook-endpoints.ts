// Outgoing-webhook endpoints in DynamoDB: one item per endpoint, partition key `id`. The signing
// secret is stored with it (it is needed to sign every delivery): the table is encrypted at rest,
// and only the admin function (which creates endpoints) and the deliver function (which signs)
// are granted reads of it; the consumer reads endpoints to fan out, never returning the secret.
// A deleted endpoint is a tombstone (`deletedAt`, its secret removed, `expiration` for the TTL to
// drop it later): no role needs DeleteItem, and a delivery still queued finds it gone.
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type EndpointStore, isOutgoingEventType, LISTED_ATTRIBUTES, type WebhookEndpoint } from '../core/outgoing-webhooks.ts';

export interface DynamoEndpointStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  table: string;
  now?: () => number;
}

/** How long a deleted endpoint's tombstone stays before the table's TTL removes it. */
const TOMBSTONE_TTL_S = 7 * 86_400;

const toItem = (e: WebhookEndpoint): Record<string, AttributeValue> => ({
  id: { S: e.id },
  url: { S: e.url },
  events: { S: JSON.stringify(e.events) },
  profiles: e.profiles === null ? { NULL: true } : { S: JSON.stringify(e.profiles) },
  secret: { S: e.secret },
  enabled: { BOOL: e.enabled },
  disabledReason: e.disabledReason === null ? { NULL: true } : { S: e.disabledReason },
  failingSince: e.failingSince === null ? { NULL: true } : { S: e.failingSince },
  createdAt: { S: e.createdAt },
  createdBy: { S: e.createdBy },
});

const fromItem = (i: Record<string, AttributeValue>): WebhookEndpoint => ({
  id: i.id?.S ?? '',
  url: i.url?.S ?? '',
  events: (JSON.parse(i.events?.S ?? '[]') as string[]).filter(isOutgoingEventType),
  profiles: i.profiles?.S ? (JSON.parse(i.profiles.S) as string[]) : null,
  secret: i.secret?.S ?? '',
  enabled: i.enabled?.BOOL ?? false,
  disabledReason: i.disabledReason?.S ?? null,
  failingSince: i.failingSince?.S ?? null,
  createdAt: i.createdAt?.S ?? '',
  createdBy: i.createdBy?.S ?? '',
});

export class DynamoEndpointStore implements EndpointStore {
  readonly #client: Pick<DynamoDBClient, 'send'>;
  readonly #table: string;
  readonly #now: () => number;

  constructor(o: DynamoEndpointStoreOptions) {
    this.#client = o.client;
    this.#table = o.table;
    this.#now = o.now ?? Date.now;
  }

  async put(e: WebhookEndpoint): Promise<void> {
    await this.#client.send(
      new PutItemCommand({ TableName: this.#table, Item: toItem(e), ConditionExpression: 'attribute_not_exists(id)' }),
    );
  }

  async get(id: string): Promise<WebhookEndpoint | undefined> {
    const res = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: { id: { S: id } }, ConsistentRead: true }),
    );
    return res.Item && !res.Item.deletedAt ? fromItem(res.Item) : undefined;
  }

  async list(): Promise<WebhookEndpoint[]> {
    const out: WebhookEndpoint[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      // Never the secrets: listing (the consumer's fan-out, the admin list) does not need them,
      // and the consumer's role may scan these attributes only.
      const res = await this.#client.send(
        new ScanCommand({
          TableName: this.#table,
          ExclusiveStartKey: start,
          ProjectionExpression: LISTED_ATTRIBUTES.map((_, k) => `#a${k}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(LISTED_ATTRIBUTES.map((a, k) => [`#a${k}`, a])),
        }),
      );
      for (const i of res.Items ?? []) if (!i.deletedAt) out.push(fromItem(i));
      start = res.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async delete(id: string): Promise<boolean> {
    const now = this.#now();
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { id: { S: id } },
          UpdateExpression: 'SET deletedAt = :at, enabled = :f, expiration = :exp REMOVE secret',
          ConditionExpression: 'attribute_exists(id) AND attribute_not_exists(deletedAt)',
          ExpressionAttributeValues: {
            ':at': { S: new Date(now).toISOString() },
            ':f': { BOOL: false },
            ':exp': { N: String(Math.floor(now / 1000) + TOMBSTONE_TTL_S) },
          },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async disable(id: string, reason: string): Promise<void> {
    await this.#update(id, 'SET enabled = :f, disabledReason = :r', { ':f': { BOOL: false }, ':r': { S: reason } });
  }

  async setFailingSince(id: string, since: string | null): Promise<void> {
    await this.#update(id, 'SET failingSince = :s', { ':s': since === null ? { NULL: true } : { S: since } });
  }

  async #update(id: string, expression: string, values: Record<string, AttributeValue>): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { id: { S: id } },
          UpdateExpression: expression,
          // Never recreate an endpoint deleted meanwhile.
          ConditionExpression: 'attribute_exists(id) AND attribute_not_exists(deletedAt)',
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }
}
