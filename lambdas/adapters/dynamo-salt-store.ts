// The visitors' daily salts in a small DynamoDB table of their own (SALTS_TABLE, partition key
// `day`, TTL attribute `expiration`). The first container to need a day's salt makes it with a
// conditional put (`attribute_not_exists`); any other that raced it reads the winner's. Salts are
// gone 48 h after they were made at the latest: the item's TTL (DynamoDB deletes lazily, so reads
// check it too) and an explicit delete of the older days whenever a new day's salt is made.
import { randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DAY_MS, dayStart, SALT_BYTES, SALT_MAX_AGE_MS, type SaltStore, type StoredSalt, utcDay } from '../core/visitors.ts';

export interface DynamoSaltStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  table: string;
  now?: () => number;
}

/** When a day's salt must be gone: the end of the day after it, and never later than 48 h after it was made. */
export const saltExpiry = (day: string, createdAt: number): number =>
  Math.min(dayStart(day) + 2 * DAY_MS, createdAt + SALT_MAX_AGE_MS);

export class SaltExpiredError extends Error {
  constructor(day: string) {
    super(`the salt of ${day} is past its 48 h`);
    this.name = 'SaltExpiredError';
  }
}

const fromItem = (item: Record<string, AttributeValue>): StoredSalt & { expiresAt: number } => ({
  salt: Buffer.from(item.salt?.B ?? new Uint8Array()),
  createdAt: Number(item.createdAt?.N ?? 0),
  expiresAt: Number(item.expiration?.N ?? 0) * 1000,
});

export class DynamoSaltStore implements SaltStore {
  readonly #client: Pick<DynamoDBClient, 'send'>;
  readonly #table: string;
  readonly #now: () => number;

  constructor(options: DynamoSaltStoreOptions) {
    this.#client = options.client;
    this.#table = options.table;
    this.#now = options.now ?? Date.now;
  }

  async saltFor(day: string): Promise<StoredSalt> {
    const existing = await this.#get(day);
    if (existing) return this.#check(day, existing);
    const now = this.#now();
    const salt = randomBytes(SALT_BYTES);
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            day: { S: day },
            salt: { B: salt },
            createdAt: { N: String(now) },
            expiration: { N: String(Math.ceil(saltExpiry(day, now) / 1000)) },
          },
          ConditionExpression: 'attribute_not_exists(#day)',
          ExpressionAttributeNames: { '#day': 'day' },
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      // Another container made it first: theirs is the day's salt.
      const winner = await this.#get(day);
      if (!winner) throw new Error(`the salt of ${day} vanished while being made`);
      return this.#check(day, winner);
    }
    // TTL deletes them too: a failed clean-up must not cost the day its salt.
    await this.deleteOlderThanYesterday(now).catch(() => {});
    return { salt, createdAt: now };
  }

  /** Deletes every salt of a day before yesterday (the table holds a handful of items). */
  async deleteOlderThanYesterday(now = this.#now()): Promise<string[]> {
    const yesterday = utcDay(now - DAY_MS);
    const old: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#client.send(
        new ScanCommand({
          TableName: this.#table,
          ProjectionExpression: '#day',
          ExpressionAttributeNames: { '#day': 'day' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const d = item.day?.S;
        if (d && d < yesterday) old.push(d);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    for (const d of old) {
      await this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: { day: { S: d } } }));
    }
    return old;
  }

  #check(day: string, s: StoredSalt & { expiresAt: number }): StoredSalt {
    const now = this.#now();
    if (now >= s.expiresAt || now - s.createdAt > SALT_MAX_AGE_MS || s.salt.length !== SALT_BYTES)
      throw new SaltExpiredError(day);
    return { salt: s.salt, createdAt: s.createdAt };
  }

  async #get(day: string): Promise<(StoredSalt & { expiresAt: number }) | undefined> {
    const res = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: { day: { S: day } }, ConsistentRead: true }),
    );
    return res.Item ? fromItem(res.Item) : undefined;
  }
}
