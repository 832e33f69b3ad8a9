// The outgoing-webhook parts of `npm start` (docs/webhooks-out.md):
//   webhooks-out  the endpoints and deliveries tables (dynalite, or the user's DynamoDB endpoint)
//                 and the delivery queue with its DLQ (fauxqs, or the user's SQS endpoint), made
//                 before the handlers load. fauxqs keeps them in memory: on stop (after the
//                 consumer and the deliver poller have drained) what the delivery queue and its DLQ
//                 still hold — delayed retries included, read with fauxqs' non-destructive
//                 inspection — is kept in `<QUEUE_SPOOL_FILE>` with `.deliveries` before its
//                 extension, and sent back at the next start. Each job carries its `notBefore`, so
//                 a retry sent back early still waits its turn.
//   deliver       the SQS poller invoking lambdas/deliver/handler.ts like the event source mapping
//                 (batches of 10, a half-second window), after the API listens.
// Ordered around the analytics parts by local/parts.ts: the queue part starts before the consumer
// (so it is kept after the consumer drained, with the jobs the drain fanned out), the poller after.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../lambdas/adapters/aws-client.ts';
import { type Environment, parseConfig } from '../lambdas/config/variables.ts';
import { ensureQueues, ensureTable } from './aws-emulators.ts';
import {
  checkSpoolWritable,
  type QueueSpool,
  readSpool,
  removeSpool,
  type SpooledMessage,
  sendAll,
  writeSpool,
} from './queue-spool.ts';
import { type SqsHandler, SqsPoller } from './sqs-poller.ts';
import type { LocalPart } from './stack.ts';
import type { StandIns } from './standins-process.ts';

export const ENDPOINTS_TABLE_NAME = 'linkcache-webhook-endpoints';
export const DELIVERIES_TABLE_NAME = 'linkcache-webhook-deliveries';
export const DELIVERY_QUEUE_NAME = 'linkcache-deliveries';
export const DELIVERY_DLQ_NAME = 'linkcache-deliveries-dlq';
/** Longer than the deliver function's time-out with a batch in flight (10 attempts at up to 30 s, concurrently). */
const DELIVERY_VISIBILITY_S = 120;

/** `.data/queue-spool.json` → `.data/queue-spool.deliveries.json`. */
export const deliverySpoolFile = (queueSpoolFile: string): string =>
  /\.json$/.test(queueSpoolFile) ? queueSpoolFile.replace(/\.json$/, '.deliveries.json') : `${queueSpoolFile}.deliveries`;

interface InspectedQueue {
  messages?: {
    ready?: { body: string }[];
    delayed?: { body: string }[];
    inflight?: { message: { body: string } }[];
  };
}

/** Every message fauxqs holds on a queue (ready, delayed, in flight), without receiving any. */
export const inspectFauxqs = async (endpoint: string, queueName: string): Promise<SpooledMessage[]> => {
  const res = await fetch(new URL(`/_fauxqs/queues/${encodeURIComponent(queueName)}`, endpoint), {
    signal: AbortSignal.timeout(5_000),
  });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`fauxqs inspection of ${queueName} answered ${res.status}`);
  const q = (await res.json()) as InspectedQueue;
  const m = q.messages ?? {};
  return [...(m.ready ?? []), ...(m.delayed ?? []), ...(m.inflight ?? []).map((i) => i.message)].map((x) => ({ body: x.body }));
};

export const webhooksOutStatePart = (standins: StandIns): LocalPart => {
  let keep: { env: Environment; log: (line: string) => void; file: string; endpoint: string } | undefined;
  let kept = false;
  return {
    name: 'webhooks-out',
    async start(env, log) {
      const c0 = parseConfig(env);
      env.WEBHOOK_ENDPOINTS_TABLE ||= ENDPOINTS_TABLE_NAME;
      env.WEBHOOK_DELIVERIES_TABLE ||= DELIVERIES_TABLE_NAME;
      const dynamo = new DynamoDBClient(awsClientConfig('DYNAMODB', c0));
      try {
        await ensureTable(dynamo, env.WEBHOOK_ENDPOINTS_TABLE, 'id');
        await ensureTable(dynamo, env.WEBHOOK_DELIVERIES_TABLE, 'pk', 'sk');
      } finally {
        dynamo.destroy();
      }
      // The queue part (before this one) has pointed AWS_ENDPOINT_URL at fauxqs unless the user set one.
      let fauxqs: string | undefined;
      try {
        fauxqs = standins.endpoint('fauxqs');
      } catch {
        fauxqs = undefined; // the user's own SQS endpoint: it keeps its own messages
      }
      const userEndpoint = !fauxqs || env.AWS_ENDPOINT_URL !== fauxqs || Boolean(env.AWS_ENDPOINT_URL_SQS);
      const c = parseConfig(env);
      const sqs = new SQSClient(awsClientConfig('SQS', c));
      try {
        const q = await ensureQueues(sqs, {
          // Each attempt is a message of its own, received about once: these receives count
          // failures of our own (a store down), never the retry schedule.
          maxReceiveCount: c.MAX_RECEIVE_COUNT,
          visibilityTimeoutS: DELIVERY_VISIBILITY_S,
          queueName: DELIVERY_QUEUE_NAME,
          dlqName: DELIVERY_DLQ_NAME,
        });
        env.DELIVERY_QUEUE_URL ||= q.queueUrl;
        env.DELIVERY_DLQ_URL ||= q.dlqUrl;
        log(
          `webhooks-out: tables ${env.WEBHOOK_ENDPOINTS_TABLE}, ${env.WEBHOOK_DELIVERIES_TABLE}; ` +
            `delivery queue ${env.DELIVERY_QUEUE_URL} (dlq ${env.DELIVERY_DLQ_URL})`,
        );
        if (userEndpoint) return;
        const file = deliverySpoolFile(c.QUEUE_SPOOL_FILE);
        await checkSpoolWritable(file);
        const spool = await readSpool(file);
        if (spool) {
          await sendAll(sqs, env.DELIVERY_QUEUE_URL, spool.queue);
          await sendAll(sqs, env.DELIVERY_DLQ_URL, spool.dlq);
          await removeSpool(file);
          log(`webhooks-out: re-sent ${spool.queue.length + spool.dlq.length} delivery job(s) kept at the last shutdown`);
        }
        keep = { env, log, file, endpoint: env.AWS_ENDPOINT_URL as string };
      } finally {
        sqs.destroy();
      }
    },
    pending: () => (keep && !kept ? `its delivery jobs, not yet kept in ${keep.file}, are lost` : undefined),
    async stop() {
      if (!keep) return;
      const { log, file, endpoint } = keep;
      const queue = await inspectFauxqs(endpoint, DELIVERY_QUEUE_NAME);
      const dlq = await inspectFauxqs(endpoint, DELIVERY_DLQ_NAME);
      const n = queue.length + dlq.length;
      if (n) {
        try {
          const there = await readSpool(file);
          const spool: QueueSpool = {
            version: 1,
            savedAt: new Date().toISOString(),
            queue: [...(there?.queue ?? []), ...queue],
            dlq: [...(there?.dlq ?? []), ...dlq],
          };
          await writeSpool(file, spool);
        } catch (err) {
          throw new Error(
            `could not keep ${n} delivery job(s) in ${file} (${err instanceof Error ? err.message : String(err)}); they are lost`,
          );
        }
        log(`webhooks-out: kept ${n} delivery job(s) (${dlq.length} in the DLQ) for the next start in ${file}`);
      }
      kept = true;
    },
  };
};

export const deliverPart = (): LocalPart => {
  let poller: SqsPoller | undefined;
  let client: SQSClient | undefined;
  return {
    name: 'deliver',
    async afterApi(env, log) {
      if (!env.DELIVERY_QUEUE_URL) {
        log('deliver: DELIVERY_QUEUE_URL is not set; outgoing webhooks are not delivered');
        return;
      }
      const { handler } = (await import('../lambdas/deliver/index.ts')) as { handler: SqsHandler };
      const aws = awsClientConfig('SQS', parseConfig(env));
      client = new SQSClient(aws);
      poller = new SqsPoller({
        client,
        queueUrl: env.DELIVERY_QUEUE_URL,
        handler,
        batchSize: 10,
        windowMs: 500,
        region: aws.region,
        log,
      });
      await poller.start();
      log(`deliver: polling ${env.DELIVERY_QUEUE_URL}`);
    },
    pending: () => (poller ? `draining, ${poller.outstanding} delivery job(s) received and not done` : undefined),
    async stop() {
      if (!poller) return;
      await poller.stop();
      poller = undefined;
      client?.destroy();
    },
  };
};
