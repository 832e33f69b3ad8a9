// The analytics parts of `npm start`:
//   database  DATABASE_URL when set; else PGlite under PGLITE_DIR (default .data/pglite) behind
//             pglite-socket on a free port, in the stand-ins child process (the `standins` part).
//             Migrations run at start from here, over the wire; DATABASE_URL is set for the
//             handlers, which reach it through the same `pg` pool code as in AWS.
//   consumer  the SQS poller invoking lambdas/consumer/handler.ts like the event source mapping:
//             BATCH_SIZE (default 10000), BATCH_WINDOW_S (default 10). Needs the queue part.
//             On stop it drains, then puts what the consumer failed back on the queue, where the
//             queue part (stopped next) finds it to keep for the next start.
// Shared modules are imported lazily: they read the environment the stack sets up at start.
import { SQSClient } from '@aws-sdk/client-sqs';
import pg from 'pg';
import { awsClientConfig } from '../lambdas/adapters/aws-client.ts';
import { parseConfig } from '../lambdas/config/variables.ts';
import { loadMigrations, migrate } from '../lambdas/migrate/runner.ts';
import { type SqsHandler, SqsPoller } from './sqs-poller.ts';
import type { LocalPart } from './stack.ts';
import type { StandIns } from './standins-process.ts';

const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

export const databasePart = (standins: StandIns): LocalPart => {
  return {
    name: 'database',
    async start(env, log) {
      if (!env.DATABASE_URL) {
        const dir = parseConfig(env).PGLITE_DIR;
        const url = standins.endpoint('pglite');
        env.DATABASE_URL = url;
        // PGlite is a single session: one pooled connection per process.
        env.PG_POOL_MAX ||= '1';
        log(`database: embedded PGlite in ${dir} at ${url} (psql "${url}")`);
      } else {
        log(`database: ${redact(env.DATABASE_URL)}`);
      }
      const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 1 });
      try {
        const r = await migrate(pool, await loadMigrations());
        log(`database: schema version ${r.version}${r.applied.length ? ` (applied ${r.applied.join(', ')})` : ''}`);
      } finally {
        await pool.end();
      }
    },
    async stop() {
      const { closeDatabase } = await import('../lambdas/wiring/database.ts');
      await closeDatabase();
    },
  };
};

export const consumerPart = (): LocalPart => {
  let poller: SqsPoller | undefined;
  let client: SQSClient | undefined;
  return {
    name: 'consumer',
    async afterApi(env, log) {
      if (!env.EVENTS_QUEUE_URL) {
        log('consumer: EVENTS_QUEUE_URL is not set; events are not consumed');
        return;
      }
      const { handler } = (await import('../lambdas/consumer/index.ts')) as { handler: SqsHandler };
      const c = parseConfig(env);
      const aws = awsClientConfig('SQS', c);
      const region = aws.region;
      client = new SQSClient(aws);
      const batchSize = c.BATCH_SIZE;
      const windowS = c.BATCH_WINDOW_S;
      poller = new SqsPoller({
        client,
        queueUrl: env.EVENTS_QUEUE_URL,
        handler,
        batchSize,
        windowMs: windowS * 1000,
        region,
        log,
      });
      await poller.start();
      log(`consumer: polling ${env.EVENTS_QUEUE_URL} (batch size ${batchSize}, window ${windowS} s)`);
    },
    pending: () => (poller ? `draining, ${poller.outstanding} event(s) received and not consumed` : undefined),
    async stop() {
      if (!poller) return;
      await poller.stop();
      const s = poller.stats;
      console.log(
        `consumer: drained (${s.invocations} batch(es), ${s.deleted} event(s) consumed, ${s.failed} failed` +
          `${s.released ? `; ${s.released} put back on the queue` : ''})`,
      );
      poller = undefined;
      client?.destroy();
    },
  };
};

/** In order: the database before the handlers load, the consumer after the API listens. */
export const analyticsParts = (standins: StandIns): LocalPart[] => [databasePart(standins), consumerPart()];
