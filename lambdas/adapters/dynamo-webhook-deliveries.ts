// The outgoing-webhook delivery log in DynamoDB, and the claims that make each attempt happen
// once. Partition key `pk`, sort key `sk`, TTL attribute `expiration`:
//   log entry  pk = endpoint id,            sk = `<at ISO>#<webhook-id>#<attempt>` (newest first by a reverse query)
//   claim      pk = `claim#<webhook-id>`,   sk = `<attempt>`, with `state` and `leaseUntil`
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type ClaimState,
  type DeliveryLog,
  type DeliveryLogEntry,
  isOutgoingEventType,
  type OutgoingEventType,
} from '../core/outgoing-webhooks.ts';

export interface DynamoDeliveryLogOptions {
  client: Pick<DynamoDBClient, 'send'>;
  table: string;
  /** How long log entries and claims are kept (default 30 days). */
  ttlS?: number;
  now?: () => number;
}

const claimKey = (webhookId: string, attempt: number) => ({ pk: { S: `claim#${webhookId}` }, sk: { S: String(attempt) } });

export class DynamoDeliveryLog implements DeliveryLog {
  readonly #client: Pick<DynamoDBClient, 'send'>;
  readonly #table: string;
  readonly #ttlS: number;
  readonly #now: () => number;

  constructor(o: DynamoDeliveryLogOptions) {
    this.#client = o.client;
    this.#table = o.table;
    this.#ttlS = o.ttlS ?? 30 * 86_400;
    this.#now = o.now ?? Date.now;
  }

  #expiration(): AttributeValue {
    return { N: String(Math.floor(this.#now() / 1000) + this.#ttlS) };
  }

  async append(e: DeliveryLogEntry): Promise<void> {
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#table,
        Item: {
          pk: { S: e.endpointId },
          sk: { S: `${e.at}#${e.webhookId}#${String(e.attempt).padStart(3, '0')}` },
          webhookId: { S: e.webhookId },
          type: { S: e.type },
          attempt: { N: String(e.attempt) },
          at: { S: e.at },
          responseCode: e.responseCode === null ? { NULL: true } : { N: String(e.responseCode) },
          durationMs: { N: String(e.durationMs) },
          ...(e.error ? { error: { S: e.error } } : {}),
          expiration: this.#expiration(),
        },
      }),
    );
  }

  async list(endpointId: string, limit: number): Promise<DeliveryLogEntry[]> {
    const res = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: endpointId } },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    const nowS = Math.floor(this.#now() / 1000);
    return (res.Items ?? [])
      .filter((i) => Number(i.expiration?.N ?? Number.POSITIVE_INFINITY) >= nowS) // TTL deletes lazily
      .map((i) => ({
        endpointId,
        webhookId: i.webhookId?.S ?? '',
        type: (isOutgoingEventType(i.type?.S ?? '') ? i.type?.S : 'profile.updated') as OutgoingEventType,
        attempt: Number(i.attempt?.N ?? 0),
        at: i.at?.S ?? '',
        responseCode: i.responseCode?.N !== undefined ? Number(i.responseCode.N) : null,
        durationMs: Number(i.durationMs?.N ?? 0),
        ...(i.error?.S ? { error: i.error.S } : {}),
      }));
  }

  async claim(webhookId: string, attempt: number, leaseMs: number): Promise<ClaimState> {
    const now = this.#now();
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            ...claimKey(webhookId, attempt),
            state: { S: 'pending' },
            leaseUntil: { N: String(now + leaseMs) },
            expiration: this.#expiration(),
          },
          // Free when new, or a pending claim whose holder ran out of time (crashed, timed out).
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :pending AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pending': { S: 'pending' }, ':now': { N: String(now) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      // DynamoDB returns the existing item with the failure; emulators may not, so read it.
      const old =
        (err as { Item?: Record<string, AttributeValue> }).Item ??
        (
          await this.#client.send(
            new GetItemCommand({ TableName: this.#table, Key: claimKey(webhookId, attempt), ConsistentRead: true }),
          )
        ).Item;
      if (!old) return this.claim(webhookId, attempt, leaseMs); // released between our put and read
      return old.state?.S === 'pending' ? 'in_progress' : 'done';
    }
  }

  async complete(webhookId: string, attempt: number): Promise<void> {
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#table,
        Key: claimKey(webhookId, attempt),
        UpdateExpression: 'SET #state = :done REMOVE leaseUntil',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':done': { S: 'done' } },
      }),
    );
  }

  async release(webhookId: string, attempt: number): Promise<void> {
    await this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: claimKey(webhookId, attempt) }));
  }
}
