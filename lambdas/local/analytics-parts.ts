// Issue 4's parts of `npm start`:
//   database  DATABASE_URL when set; else PGlite under PGLITE_DIR (default .data/pglite) behind
//             pglite-socket on a free port, in the stand-ins child process (the `standins` part).
//             Migrations run at start from here, over the wire; DATABASE_URL is set for the
//             handlers, which reach it through the same `pg` pool code as in AWS.
//   consumer  the SQS poller invoking lambdas/consumer/handler.ts like the event source mapping:
//             BATCH_SIZE (default 10000), BATCH_WINDOW_S (default 10). Needs the queue part.
// Shared modules are imported lazily: they read the environment the stack sets up at start.
import { SQSClient } from '@aws-sdk/client-sqs';
import pg from 'pg';
import { loadMigrations, migrate } from '../migrate/runner.ts';
import { type SqsHandler, SqsPoller } from './sqs-poller.ts';
import type { LocalPart } from './stack.ts';
import type { StandIns } from './standins-process.ts';

const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

const positive = (raw: string | undefined, fallback: number, name: string, allowZero = false): number => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
};

export const databasePart = (standins: StandIns): LocalPart => {
  return {
    name: 'database',
    async start(env, log) {
      if (!env.DATABASE_URL) {
        const dir = env.PGLITE_DIR || '.data/pglite';
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
      const { closeDatabase } = await import('../shared/database.ts');
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
      const { handler } = (await import('../consumer/handler.ts')) as { handler: SqsHandler };
      const region = env.AWS_REGION || 'us-east-1';
      const endpoint = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL || undefined;
      client = new SQSClient({ region, ...(endpoint ? { endpoint } : {}) });
      const batchSize = Math.floor(positive(env.BATCH_SIZE, 10_000, 'BATCH_SIZE'));
      const windowS = positive(env.BATCH_WINDOW_S, 10, 'BATCH_WINDOW_S', true);
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
    async stop() {
      if (!poller) return;
      await poller.stop();
      const s = poller.stats;
      console.log(`consumer: drained (${s.invocations} batch(es), ${s.deleted} event(s) consumed, ${s.failed} failed)`);
      poller = undefined;
      client?.destroy();
    },
  };
};

/** In order: the database before the handlers load, the consumer after the API listens. */
export const analyticsParts = (standins: StandIns): LocalPart[] => [databasePart(standins), consumerPart()];
