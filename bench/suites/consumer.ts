// The analytics consumer on the real Postgres (127.0.0.1:5432 db `test`, or TEST_DATABASE_URL):
// events per second through the consumer handler logic (parse 10,000 SQS records, one
// transaction: ledger insert + unnest upserts, exactly-once on) vs the naive consumer (one
// UPSERT per event, autocommit, no dedupe), and rows written per 10,000 events.
// Runs in its own schema, dropped at the end.
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import type { SQSEvent } from 'aws-lambda';
import pg from 'pg';
import { PgAnalyticsStore } from '../../lambdas/adapters/pg-analytics-store.ts';
import { makeConsumer } from '../../lambdas/consumer/handler.ts';
import { loadMigrations, migrate } from '../../lambdas/migrate/runner.ts';
import { bench } from '../lib/config.ts';

export const description = 'Consumer events/s on the real Postgres, batched and exactly-once, vs one UPSERT per event.';

const URL = bench.TEST_DATABASE_URL;
const BATCH = 10_000;
const BATCHES = bench.BENCH_CONSUMER_BATCHES;
const NAIVE_EVENTS = bench.BENCH_CONSUMER_NAIVE;

const PROFILES = 200;
const LINKS = 6;
const REFERRERS = [
  'https://www.instagram.com/',
  'https://t.co/x',
  'https://www.tiktok.com/@a',
  'https://www.youtube.com/',
  'https://www.google.com/',
  'https://l.facebook.com/',
  '',
  '',
];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'BR', 'IN', 'JP', 'ES', 'IT', 'NL', ''];

/** Skewed popularity (a few hot profiles, like real traffic): index ~ floor(n * u^3). */
const skewed = (n: number) => Math.floor(n * Math.random() ** 3);

/** 10,000 SQS records as one 10-second window delivers them: occurredAt over the last ~20 s. */
const makeBatch = (baseMs: number): SQSEvent => ({
  Records: Array.from({ length: BATCH }, () => {
    const p = skewed(PROFILES);
    const view = Math.random() < 0.4;
    const body = JSON.stringify({
      id: randomUUID(),
      type: view ? 'profile.viewed' : 'link.clicked',
      occurredAt: new Date(baseMs + Math.floor(Math.random() * 20_000)).toISOString(),
      data: {
        profileId: `prof_${p}`,
        username: `user${p}`,
        ...(view ? {} : { linkId: `lnk_${p}_${skewed(LINKS)}` }),
        referrer: REFERRERS[skewed(REFERRERS.length)],
        country: COUNTRIES[skewed(COUNTRIES.length)],
      },
    });
    return {
      messageId: randomUUID(),
      receiptHandle: 'rh',
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'bench', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
      awsRegion: 'us-east-1',
    };
  }),
});

const withSchema = (schema: string, max: number): pg.Pool =>
  new pg.Pool({ connectionString: URL, max, options: `-c search_path=${schema}` });

export default async function run(): Promise<{
  name: string;
  rows: Array<Record<string, string | number>>;
  goals?: Array<{ goal: string; met: boolean }>;
  notes?: string[];
}> {
  const schema = `bench_consumer_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pool = withSchema(schema, 2);
  const load0 = loadavg()[0];
  try {
    await migrate(pool, await loadMigrations());
    const store = new PgAnalyticsStore(pool);
    const consumer = makeConsumer({ store: () => store, pruneProbability: 0 });

    // Build all input first: generating JSON is the producer's cost, not the consumer's.
    const base = Date.now() - 60_000;
    const batches = Array.from({ length: BATCHES + 1 }, (_, i) => makeBatch(base + i * 10_000));
    await consumer(batches[0]); // warm-up: connections, plans, JIT

    const rowsBefore = await countRows(pool);
    const times: number[] = [];
    for (const b of batches.slice(1)) {
      const t0 = performance.now();
      const res = await consumer(b);
      times.push(performance.now() - t0);
      if (res.batchItemFailures.length) throw new Error(`${res.batchItemFailures.length} failures in a bench batch`);
    }
    const rowsAfter = await countRows(pool);
    const totalMs = times.reduce((a, b) => a + b, 0);
    const batchedRate = (BATCHES * BATCH) / (totalMs / 1000);
    const sorted = [...times].sort((a, b) => a - b);

    // Redelivery of a whole batch: every id is already in the ledger, nothing is counted again.
    const t1 = performance.now();
    await consumer(batches[1]);
    const redeliveryMs = performance.now() - t1;
    const clicksAfterRedelivery = await countRows(pool);

    // Per-batch upsert rows (what the aggregation saves): distinct keys written per 10,000 events.
    const upsertRows = await aggregateRowsPerBatch(batches[1]);

    // The naive consumer: one UPSERT per event, each its own statement and commit.
    const naivePool = withSchema(schema, 1);
    const naiveEvents = batches[2].Records.slice(0, NAIVE_EVENTS).map(
      (r) => JSON.parse(r.body) as { type: string; occurredAt: string; data: { profileId: string; linkId?: string } },
    );
    await naivePool.query('SELECT 1');
    const t2 = performance.now();
    for (const e of naiveEvents) {
      const w = new Date(Math.floor(Date.parse(e.occurredAt) / 10_000) * 10_000);
      if (e.type === 'profile.viewed') {
        await naivePool.query(
          `INSERT INTO profile_views (profile_id, window_start, n) VALUES ($1, $2, 1)
           ON CONFLICT (profile_id, window_start) DO UPDATE SET n = profile_views.n + 1`,
          [e.data.profileId, w],
        );
      } else {
        await naivePool.query(
          `INSERT INTO link_clicks (profile_id, window_start, link_id, n) VALUES ($1, $2, $3, 1)
           ON CONFLICT (profile_id, window_start, link_id) DO UPDATE SET n = link_clicks.n + 1`,
          [e.data.profileId, w, e.data.linkId],
        );
      }
    }
    const naiveMs = performance.now() - t2;
    await naivePool.end();
    const naiveRate = NAIVE_EVENTS / (naiveMs / 1000);
    const ratio = batchedRate / naiveRate;
    const load1 = loadavg()[0];

    return {
      name: 'consumer',
      rows: [
        {
          consumer: 'batched (10,000/batch, 1 tx, exactly-once)',
          events: BATCHES * BATCH,
          'events/s': Math.round(batchedRate),
          'batch p50 ms': Math.round(sorted[Math.floor(sorted.length / 2)]),
          'batch max ms': Math.round(sorted[sorted.length - 1]),
          'vs naive': `${ratio.toFixed(1)}x`,
        },
        {
          consumer: 'naive (1 UPSERT per event, autocommit, no dedupe)',
          events: NAIVE_EVENTS,
          'events/s': Math.round(naiveRate),
          'batch p50 ms': '-',
          'batch max ms': '-',
          'vs naive': '1.0x',
        },
        {
          consumer: 'redelivered batch (all 10,000 already applied)',
          events: BATCH,
          'events/s': Math.round(BATCH / (redeliveryMs / 1000)),
          'batch p50 ms': Math.round(redeliveryMs),
          'batch max ms': Math.round(redeliveryMs),
          'vs naive': clicksAfterRedelivery.counted === rowsAfter.counted ? 'counted 0 (ok)' : 'DOUBLE COUNTED',
        },
      ],
      notes: [
        `aggregate rows upserted per 10,000 events: ${upsertRows.total} (link ${upsertRows.links}, views ${upsertRows.views}, referrer ${upsertRows.referrers}, country ${upsertRows.countries}) + 10,000 ledger ids; ` +
          `new rows stored over ${BATCHES} batches: ${rowsAfter.aggregates - rowsBefore.aggregates} aggregate rows (${((rowsAfter.aggregates - rowsBefore.aggregates) / BATCHES).toFixed(0)} per batch)`,
        `workload: ${PROFILES} profiles (skewed), ${LINKS} links each, 60% clicks / 40% views, occurredAt over ~20 s (2-3 windows); pool max 2 like a Lambda container`,
        `load average (1 min) ${load0.toFixed(2)} → ${load1.toFixed(2)} on a shared 2-core machine; Postgres runs on the same machine`,
      ],
      goals: [
        { goal: `batched ≥ 20× the naive consumer (got ${ratio.toFixed(1)}×)`, met: ratio >= 20 },
        {
          goal: `batched ≥ 50,000 events/s (got ${Math.round(batchedRate).toLocaleString('en-US')})`,
          met: batchedRate >= 50_000,
        },
        { goal: 'a redelivered batch counts nothing', met: clicksAfterRedelivery.counted === rowsAfter.counted },
      ],
    };
  } finally {
    await pool.end().catch(() => {});
    await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {});
    await admin.end().catch(() => {});
  }
}

const countRows = async (pool: pg.Pool): Promise<{ aggregates: number; counted: number }> => {
  const { rows } = await pool.query<{ a: string; c: string }>(
    `SELECT (SELECT count(*) FROM link_clicks) + (SELECT count(*) FROM profile_views)
          + (SELECT count(*) FROM referrer_clicks) + (SELECT count(*) FROM country_clicks) AS a,
            (SELECT coalesce(sum(n), 0) FROM link_clicks) + (SELECT coalesce(sum(n), 0) FROM profile_views) AS c`,
  );
  return { aggregates: Number(rows[0].a), counted: Number(rows[0].c) };
};

const aggregateRowsPerBatch = async (batch: SQSEvent) => {
  const { aggregate, parseMessage } = await import('../../lambdas/core/analytics.ts');
  const events = batch.Records.flatMap((r) => {
    const p = parseMessage(r.body);
    return p.kind === 'counted' ? [p.event] : [];
  });
  const a = aggregate(events);
  return {
    links: a.linkClicks.length,
    views: a.profileViews.length,
    referrers: a.referrers.length,
    countries: a.countries.length,
    total: a.linkClicks.length + a.profileViews.length + a.referrers.length + a.countries.length,
  };
};
