// Local stand-ins for the AWS services the write path uses, as LocalParts of `npm start`:
//   queue        fauxqs (SQS over the real wire protocol) with the events queue and its DLQ
//   idempotency  dynalite (DynamoDB, in memory) with the idempotency table
// The emulators run in the stand-ins child process (local/standins.ts, started by the
// `standins` part); these parts create the queues and table on them over the wire. When the user
// sets AWS_ENDPOINT_URL (LocalStack, a shared fauxqs, ...), no emulator starts: the queues and
// table are created there if missing. Either way the handlers run the same SDK code as in AWS,
// pointed at the endpoint by lambdas/adapters/aws-client.ts.
// fauxqs keeps its queues in memory: on stop (after the poller has drained) the queue part keeps
// what is left on the events queue and the DLQ in QUEUE_SPOOL_FILE and sends it back at the next
// start (local/queue-spool.ts). A user's endpoint keeps its own messages.
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../lambdas/adapters/aws-client.ts';
import { type Environment, parseConfig } from '../lambdas/config/variables.ts';
import {
  checkSpoolWritable,
  eventId,
  type QueueSpool,
  readSpool,
  receiveAll,
  removeSpool,
  type SpooledMessage,
  sendAll,
  toSpooled,
  writeSpool,
} from './queue-spool.ts';
import type { LocalPart } from './stack.ts';
import type { StandIns } from './standins-process.ts';

export const EVENTS_QUEUE_NAME = 'linkcache-events';
export const DLQ_NAME = 'linkcache-events-dlq';
export const IDEMPOTENCY_TABLE_NAME = 'linkcache-idempotency';
export const SALTS_TABLE_NAME = 'linkcache-salts';

const FAKE_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

const setFakeCredentials = (env: Environment): void => {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return;
  env.AWS_ACCESS_KEY_ID = FAKE_CREDENTIALS.AWS_ACCESS_KEY_ID;
  env.AWS_SECRET_ACCESS_KEY = FAKE_CREDENTIALS.AWS_SECRET_ACCESS_KEY;
};

export interface QueueSetup {
  queueUrl: string;
  dlqUrl: string;
  dlqArn: string;
}

/**
 * Creates (or finds: CreateQueue is idempotent for equal attributes) the events queue and its DLQ,
 * both with SSE, and sets the redrive policy on the events queue.
 */
export const ensureQueues = async (
  client: SQSClient,
  opts: { maxReceiveCount: number; visibilityTimeoutS: number; queueName?: string; dlqName?: string },
): Promise<QueueSetup> => {
  const dlq = await client.send(
    new CreateQueueCommand({
      QueueName: opts.dlqName ?? DLQ_NAME,
      Attributes: { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600' },
    }),
  );
  const dlqUrl = dlq.QueueUrl as string;
  const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const dlqArn = attrs.Attributes?.QueueArn as string;
  const redrive = JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(opts.maxReceiveCount) });
  const queue = await client.send(
    new CreateQueueCommand({ QueueName: opts.queueName ?? EVENTS_QUEUE_NAME, Attributes: { SqsManagedSseEnabled: 'true' } }),
  );
  const queueUrl = queue.QueueUrl as string;
  // Set separately so an existing queue (user endpoint) gets the configured policy too.
  await client.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: { RedrivePolicy: redrive, VisibilityTimeout: String(opts.visibilityTimeoutS), SqsManagedSseEnabled: 'true' },
    }),
  );
  return { queueUrl, dlqUrl, dlqArn };
};

/** Creates the idempotency table (partition key `id`, TTL on `expiration`) unless it exists. */
export const ensureIdempotencyTable = (client: DynamoDBClient, table: string): Promise<void> => ensureTable(client, table, 'id');

/**
 * A pay-per-request table keyed by string attributes (`hash`, and `range` when given), TTL on
 * `expiration`, unless it exists. dynalite has no TTL API; every store checks `expiration` (or its
 * own expiry) itself, so TTL only saves space.
 */
export const ensureTable = async (client: DynamoDBClient, table: string, hash: string, range?: string): Promise<void> => {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [
          { AttributeName: hash, KeyType: 'HASH' },
          ...(range ? [{ AttributeName: range, KeyType: 'RANGE' as const }] : []),
        ],
        AttributeDefinitions: [
          { AttributeName: hash, AttributeType: 'S' },
          ...(range ? [{ AttributeName: range, AttributeType: 'S' as const }] : []),
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException) && (err as Error).name !== 'ResourceInUseException') throw err;
  }
  for (let i = 0; i < 50; i++) {
    const d = await client.send(new DescribeTableCommand({ TableName: table }));
    if (d.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await client
    .send(
      new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true } }),
    )
    .catch(() => {});
};

/** Creates the visitors' salts table (partition key `day`, TTL on `expiration`) unless it exists. */
export const ensureSaltsTable = (client: DynamoDBClient, table: string): Promise<void> => ensureTable(client, table, 'day');

/** Sends a spool back: events to the events queue, DLQ entries to the DLQ. */
export const resendSpool = async (
  client: Pick<SQSClient, 'send'>,
  spool: QueueSpool,
  urls: { queueUrl: string; dlqUrl: string },
): Promise<void> => {
  await sendAll(client, urls.queueUrl, spool.queue);
  await sendAll(client, urls.dlqUrl, spool.dlq);
};

/**
 * Receives what is left on both queues into a spool. `lost` counts the messages it could not
 * take: in flight (received by someone and not made visible again).
 */
export const collectSpool = async (
  client: Pick<SQSClient, 'send'>,
  urls: { queueUrl: string; dlqUrl: string },
  now = new Date(),
): Promise<{ spool: QueueSpool; lost: number }> => {
  // The events queue first: a receive past maxReceiveCount moves a message to the DLQ.
  const queue = await receiveAll(client, urls.queueUrl);
  const dlq = await receiveAll(client, urls.dlqUrl);
  return {
    spool: { version: 1, savedAt: now.toISOString(), queue: queue.messages.map(toSpooled), dlq: dlq.messages.map(toSpooled) },
    lost: queue.inFlight + dlq.inFlight,
  };
};

/** Names lost events by id, then gives each body on its own line, so they can be sent again by hand. */
const nameLost = (messages: SpooledMessage[]): string =>
  [messages.map(eventId).join(', '), ...messages.map((m) => `queue: lost event: ${m.body}`)].join('\n');

/**
 * The two parts, sharing whether the user brought their own endpoint (read before either starts);
 * the emulators themselves are `standins`' (started before, stopped after these parts).
 */
export const awsEmulatorParts = (standins: StandIns): LocalPart[] => {
  let userEndpoint: string | undefined;
  /** Set once the in-memory queues are up and the last shutdown's spool is back on them. */
  let keep: { env: Environment; log: (line: string) => void; file: string } | undefined;
  let kept = false;

  const queuePart: LocalPart = {
    name: 'queue',
    async start(env, log) {
      userEndpoint = env.AWS_ENDPOINT_URL || undefined;
      setFakeCredentials(env);
      if (!userEndpoint) env.AWS_ENDPOINT_URL = standins.endpoint('fauxqs');
      const c = parseConfig(env);
      const client = new SQSClient(awsClientConfig('SQS', c));
      try {
        const q = await ensureQueues(client, {
          maxReceiveCount: c.MAX_RECEIVE_COUNT,
          visibilityTimeoutS: c.QUEUE_VISIBILITY_TIMEOUT_S,
        });
        env.EVENTS_QUEUE_URL ||= q.queueUrl;
        env.DLQ_URL ||= q.dlqUrl;
        log(
          `queue: ${userEndpoint ? `endpoint ${userEndpoint}` : `fauxqs at ${env.AWS_ENDPOINT_URL}`}; ` +
            `events ${env.EVENTS_QUEUE_URL} dlq ${env.DLQ_URL} (maxReceiveCount ${c.MAX_RECEIVE_COUNT}); ` +
            `inspect with: AWS_ENDPOINT_URL=${env.AWS_ENDPOINT_URL} EVENTS_QUEUE_URL=${env.EVENTS_QUEUE_URL} DLQ_URL=${env.DLQ_URL} npm run dlq -- list`,
        );
        const file = c.QUEUE_SPOOL_FILE;
        const spool = await readSpool(file);
        if (userEndpoint) {
          if (spool)
            log(
              `queue: ${file} holds ${spool.queue.length + spool.dlq.length} event(s) kept by an earlier shutdown of the ` +
                'in-memory queue; a start without AWS_ENDPOINT_URL sends them back',
            );
          return;
        }
        await checkSpoolWritable(file);
        if (spool) {
          // Deleted only once every message is back: a failure leaves the whole file for the next start.
          await resendSpool(client, spool, { queueUrl: env.EVENTS_QUEUE_URL, dlqUrl: env.DLQ_URL });
          await removeSpool(file);
          log(
            `queue: re-sent ${spool.queue.length + spool.dlq.length} event(s) kept at the last shutdown` +
              (spool.dlq.length ? ` (${spool.dlq.length} to the DLQ)` : ''),
          );
        }
        keep = { env, log, file };
      } finally {
        client.destroy();
      }
    },
    pending: () => (keep && !kept ? `its events and DLQ, not yet kept in ${keep.file}, are lost` : undefined),
    async stop() {
      if (!keep) return;
      const { env, log, file } = keep;
      const client = new SQSClient(awsClientConfig('SQS', parseConfig(env)));
      try {
        const { spool, lost } = await collectSpool(client, {
          queueUrl: env.EVENTS_QUEUE_URL as string,
          dlqUrl: env.DLQ_URL as string,
        });
        const n = spool.queue.length + spool.dlq.length;
        if (n) {
          try {
            // Another stack in the same directory (with its own DATABASE_URL) may have kept its
            // queue here since this one started: add to it, never overwrite it.
            const there = await readSpool(file);
            await writeSpool(
              file,
              there ? { ...spool, queue: [...there.queue, ...spool.queue], dlq: [...there.dlq, ...spool.dlq] } : spool,
            );
          } catch (err) {
            throw new Error(
              `could not keep ${n} event(s) in ${file} (${err instanceof Error ? err.message : String(err)}); ` +
                `they are lost: ${nameLost([...spool.queue, ...spool.dlq])}`,
            );
          }
          log(`queue: kept ${n} event(s) (${spool.dlq.length} in the DLQ) for the next start in ${file}`);
        }
        kept = true;
        if (lost)
          throw new Error(
            `${lost} event(s) were in flight (received and not made visible again) and could not be kept: they are lost with the in-memory queue`,
          );
      } finally {
        client.destroy();
      }
    },
  };

  const idempotencyPart: LocalPart = {
    name: 'idempotency',
    async start(env, log) {
      setFakeCredentials(env);
      const explicit = env.AWS_ENDPOINT_URL_DYNAMODB || userEndpoint;
      if (!explicit) env.AWS_ENDPOINT_URL_DYNAMODB = standins.endpoint('dynalite');
      env.IDEMPOTENCY_TABLE ||= IDEMPOTENCY_TABLE_NAME;
      env.SALTS_TABLE ||= SALTS_TABLE_NAME;
      const client = new DynamoDBClient(awsClientConfig('DYNAMODB', parseConfig(env)));
      try {
        await ensureIdempotencyTable(client, env.IDEMPOTENCY_TABLE);
        await ensureSaltsTable(client, env.SALTS_TABLE);
      } finally {
        client.destroy();
      }
      log(
        `idempotency: table ${env.IDEMPOTENCY_TABLE} on ${explicit ? `endpoint ${explicit}` : `dynalite (in memory) at ${env.AWS_ENDPOINT_URL_DYNAMODB}`}`,
      );
      log(`visitors: daily salts in table ${env.SALTS_TABLE}`);
    },
  };

  return [queuePart, idempotencyPart];
};
