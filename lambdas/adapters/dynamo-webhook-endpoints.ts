// Outgoing-webhook endpoints in DynamoDB: one item per endpoint, partition key `id`. The signing
// secret is stored with it (it is needed to sign every delivery): the table is encrypted at rest,
// and only the admin function (which creates endpoints) and the deliver function (which signs)
// are granted reads of it; the consumer reads endpoints to fan out, never returning the secret.
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { isOutgoingEventType, type EndpointStore, type WebhookEndpoint } from '../core/outgoing-webhooks.ts';

export interface DynamoEndpointStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  table: string;
}

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

  constructor(o: DynamoEndpointStoreOptions) {
    this.#client = o.client;
    this.#table = o.table;
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
    return res.Item ? fromItem(res.Item) : undefined;
  }

  async list(): Promise<WebhookEndpoint[]> {
    const out: WebhookEndpoint[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.#client.send(new ScanCommand({ TableName: this.#table, ExclusiveStartKey: start }));
      for (const i of res.Items ?? []) out.push(fromItem(i));
      start = res.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.#client.send(
      new DeleteItemCommand({ TableName: this.#table, Key: { id: { S: id } }, ReturnValues: 'ALL_OLD' }),
    );
    return res.Attributes !== undefined;
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
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }
}
