// The analytics consumer on the real Postgres (127.0.0.1:5432 db `test`, or TEST_DATABASE_URL):
// events per second through the consumer handler and the real store (parse 10,000 SQS records,
// one transaction: ledger ids + visitor dedupe, then the raw rows and the pending row; exactly-
// once on), two consumers at once as the deployed event source runs them (consumerConcurrency 2),
// with the rollup job into the hourly and daily tiers run by the consumers as deployed
// (ANALYTICS_ROLLUP_S) and the last pending batches rolled up inside the timed span, so the rate
// is of events in every tier. Beside it: Postgres's own in-server insert ceiling for the same rows
// measured in the same run, and the naive consumer (one UPSERT per event, autocommit, no dedupe);
// where the time goes; rows written per 10,000 events. The workload: Zipf-skewed profiles, 80%
// views, real User-Agents, UUIDv7 event ids as the edge makes them. Runs in its own schema,
// dropped at the end.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SQSEvent } from 'aws-lambda';
import pg from 'pg';
import { PgAnalyticsStore } from '../../lambdas/adapters/pg-analytics-store.ts';
import { rollupBacklog } from '../../lambdas/core/analytics.ts';
import { uuidv7 } from '../../lambdas/core/events.ts';
import { makeConsumer } from '../../lambdas/consumer/handler.ts';
import { loadMigrations, migrate } from '../../lambdas/migrate/runner.ts';
import { bench } from '../lib/config.ts';
import type { WorkerReport } from '../lib/consumer-worker.ts';

export const description = 'Consumer events/s on the real Postgres, batched and exactly-once, vs one UPSERT per event.';

const URL = bench.TEST_DATABASE_URL;
const BATCH = 10_000;
const BATCHES = bench.BENCH_CONSUMER_BATCHES;
const NAIVE_EVENTS = bench.BENCH_CONSUMER_NAIVE;

const PROFILES = 20_000;
const VIEW_SHARE = 0.8;

/** Zipf(s) over n ranks, by inverse CDF on a precomputed table: a few hot profiles, a long tail. */
const zipf = (n: number, s: number) => {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + 1) ** s;
    cdf[i] = sum;
  }
  return () => {
    const u = Math.random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
};
const profileRank = zipf(PROFILES, 1.05);
const linkRank = zipf(12, 1.2);
const countryRank = zipf(40, 1.3);
const cityRank = zipf(12, 1.1);
const uaRank = zipf(14, 0.9);

// Real User-Agent strings with the families the edge computes for them (lambdas/core/user-agent.ts):
// the consumer receives the families, not the strings.
const USER_AGENTS: Array<[ua: string, device: string, browser: string, os: string]> = [
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    'mobile',
    'Safari',
    'iOS',
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
    'mobile',
    'Chrome',
    'Android',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.40.92',
    'mobile',
    'Instagram',
    'iOS',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'desktop',
    'Chrome',
    'Windows',
  ],
  [
    'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.118 Mobile Safari/537.36',
    'mobile',
    'Chrome',
    'Android',
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    'desktop',
    'Safari',
    'macOS',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.71 Mobile/15E148 Safari/604.1',
    'mobile',
    'Chrome',
    'iOS',
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
    'mobile',
    'Samsung Internet',
    'Android',
  ],
  [
    'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    'tablet',
    'Safari',
    'iOS',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
    'desktop',
    'Edge',
    'Windows',
  ],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0', 'desktop', 'Firefox', 'Windows'],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'desktop',
    'Chrome',
    'macOS',
  ],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'desktop',
    'Chrome',
    'Linux',
  ],
  [
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'desktop',
    'Chrome',
    'ChromeOS',
  ],
];
const REFERRERS = [
  '',
  'https://www.instagram.com/',
  'https://l.instagram.com/?u=x',
  'https://www.tiktok.com/@a',
  'https://t.co/x',
  'https://www.youtube.com/',
  'https://l.facebook.com/',
  'https://www.google.com/',
];
const referrerRank = zipf(REFERRERS.length, 1.0);
const COUNTRIES = Array.from({ length: 40 }, (_, i) => String.fromCharCode(65 + (i % 26), 65 + ((i * 7) % 26)));
const UTM_SOURCES = ['instagram', 'tiktok', 'newsletter', 'youtube', 'twitter'];

/** 10,000 SQS records as one 10-second window delivers them: occurredAt over the last ~20 s. */
const makeBatch = (baseMs: number): SQSEvent => ({
  Records: Array.from({ length: BATCH }, () => {
    const p = profileRank();
    const view = Math.random() < VIEW_SHARE;
    const c = countryRank();
    const [, device, browser, os] = USER_AGENTS[uaRank()];
    const utm =
      Math.random() < 0.15 ? { source: UTM_SOURCES[p % UTM_SOURCES.length], medium: 'social', campaign: `c${p % 7}` } : undefined;
    const at = baseMs + Math.floor(Math.random() * 20_000);
    const body = JSON.stringify({
      id: uuidv7(at),
      type: view ? 'profile.viewed' : 'link.clicked',
      occurredAt: new Date(at).toISOString(),
      data: {
        profileId: `prof_${p}`,
        username: `user${p}`,
        ...(view ? {} : { linkId: `lnk_${p}_${linkRank()}` }),
        referrer: REFERRERS[referrerRank()],
        country: COUNTRIES[c],
        region: `${COUNTRIES[c]}-${c % 5}`,
        city: `City ${c}-${cityRank()}`,
        device,
        browser,
        os,
        // A visitor comes back within the window now and then: hot profiles see the same few again.
        visitor: createHash('md5')
          .update(`${p}:${Math.floor(Math.random() * (50 + 5_000 / (p + 1)))}`)
          .digest('hex'),
        day: new Date(baseMs).toISOString().slice(0, 10),
        ...(utm ? { utm } : {}),
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
  const pools = [withSchema(schema, 2), withSchema(schema, 2)];
  const pool = pools[0];
  const load0 = loadavg()[0];
  try {
    await migrate(pool, await loadMigrations());
    // The timed consumers run in worker threads, one per consumer (bench/lib/consumer-worker.ts);
    // this thread keeps a store of its own for the warm-up rollup, the redelivery and the job.
    const store = new PgAnalyticsStore(pool);
    const main = makeConsumer({ store: () => store, pruneProbability: 0, rollupEveryMs: 60_000 });
    const workers = [0, 1].map(
      () => new Worker(new globalThis.URL('../lib/consumer-worker.ts', import.meta.url), { workerData: { url: URL, schema } }),
    );
    const ask = <T>(w: Worker, msg: unknown, want: string): Promise<T> =>
      new Promise((resolve, reject) => {
        const on = (m: { type: string; message?: string } & T) => {
          if (m.type === 'error') reject(new Error(m.message));
          else if (m.type === want) resolve(m);
          else return;
          w.off('message', on);
        };
        w.on('message', on);
        w.postMessage(msg);
      });

    // Build all input first: generating JSON is the producer's cost, not the consumer's.
    const base = Date.now() - 60_000;
    const batches = Array.from({ length: BATCHES + 2 }, (_, i) => makeBatch(base + i * 10_000));
    // Warm-up: connections, plans, partitions, each consumer.
    for (const [i, w] of workers.entries()) {
      await ask(w, { type: 'load', batches: [batches[i]] }, 'loaded');
      await ask(w, { type: 'go' }, 'done');
    }
    await store.rollup({ upTo: Number.POSITIVE_INFINITY });

    const rowsBefore = await countRows(pool);
    const work = batches.slice(2);
    // Each its half, handed over (and cloned) before the clock starts.
    await Promise.all(workers.map((w, i) => ask(w, { type: 'load', batches: work.filter((_, j) => j % 2 === i) }, 'loaded')));
    const busy0 = machineBusyMs();
    const js0 = process.cpuUsage();
    const tw = performance.now();
    const reports = await Promise.all(workers.map((w) => ask<{ report: WorkerReport }>(w, { type: 'go' }, 'done')));
    const wallMs = performance.now() - tw;
    const jsCpu = process.cpuUsage(js0);
    const jsMs = (jsCpu.user + jsCpu.system) / 1000;
    const pgMs = machineBusyMs() - busy0 - jsMs;
    // The job as it runs once an hour has closed, here over the run's batches at once (forced:
    // their hour is still open). Its cost follows the distinct signatures of an hour, not the
    // events: an hour of a busy service sums many events into each row; this run has few.
    const td = performance.now();
    const everything = { rollup: () => store.rollup({ upTo: Number.POSITIVE_INFINITY }) };
    const rolled = (await rollupBacklog(everything, Number.POSITIVE_INFINITY)).rows;
    const drainMs = performance.now() - td;
    const rowsAfter = await countRows(pool);
    const batchedRate = (BATCHES * BATCH) / (wallMs / 1000);
    await Promise.all(workers.map((w) => ask(w, { type: 'end' }, 'ended')));
    await Promise.all(workers.map((w) => w.terminate()));
    const times = reports.flatMap((r) => r.report.times);
    const sorted = [...times].sort((a, b) => a - b);
    const phases = new Map<string, number>();
    for (const { report } of reports) for (const [k, v] of Object.entries(report.phases)) phases.set(k, (phases.get(k) ?? 0) + v);
    const phaseMs = Object.fromEntries([...phases].map(([k, v]) => [k, v / BATCHES]));
    const rollupMs = reports.reduce((n, r) => n + r.report.rollupMs, 0);
    const rollups = reports.reduce((n, r) => n + r.report.rollups, 0);

    // What the handler spends before the store: JSON parse and validation of 10,000 bodies.
    const { parseMessage } = await import('../../lambdas/core/analytics.ts');
    const tp = performance.now();
    for (const r of batches[2].Records) parseMessage(r.body);
    const parseMs = performance.now() - tp;

    // Redelivery of a whole batch: every id is already in the ledger, nothing is counted again.
    const t1 = performance.now();
    await main(batches[2]);
    const redeliveryMs = performance.now() - t1;
    await store.rollup({ upTo: Number.POSITIVE_INFINITY });
    const afterRedelivery = await countRows(pool);

    const perBatch = await rowsPerBatch(batches[2]);

    // Postgres's own ceiling on this machine, in the same run: the rows a batch writes (ledger
    // ids, visitor keys, raw rows) generated in the server and inserted into logged tables
    // shaped like ours (same keys and indexes), no client, no parsing, no conflicts.
    const CEILING_ROWS = 100_000;
    // Each measured alone, then with two backends at once into the same table (as the two
    // consumers write); `like` gives the same keys and indexes.
    const inServer = async (table: string, like: string, insert: (n: number) => string): Promise<[number, number]> => {
      await pool.query(`CREATE TABLE ${table} (LIKE ${like} INCLUDING ALL)`);
      await pool.query(`INSERT INTO ${table} ${insert(CEILING_ROWS / 10)}`);
      let t = performance.now();
      await pool.query(`INSERT INTO ${table} ${insert(CEILING_ROWS)}`);
      const one = CEILING_ROWS / ((performance.now() - t) / 1000);
      const both = pools.map(() => insert(CEILING_ROWS));
      t = performance.now();
      await Promise.all(pools.map((p, i) => p.query(`INSERT INTO ${table} ${both[i]}`)));
      return [one, (2 * CEILING_ROWS) / ((performance.now() - t) / 1000)];
    };
    // Time-ordered ids (a counter in the leading 48 bits, as UUIDv7's milliseconds), each insert
    // from a later start so they never collide.
    let idBase = Date.now() * 100;
    const ledgerRate = await inServer('ceiling_ledger', 'applied_events', (n) => {
      const b = idBase;
      idBase += n;
      return `(id) SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7000-8000-000000000000')::uuid
                FROM (SELECT lpad(to_hex(${b}::int8 + i), 12, '0') AS h FROM generate_series(1, ${n}) i) x`;
    });
    // Visitor keys share the ledger's index, but are random (a hash), not time-ordered.
    const visitorRate = await inServer(
      'ceiling_visitors',
      'applied_events',
      (n) => `(id) SELECT gen_random_uuid() FROM generate_series(1, ${n}) i`,
    );
    const rawRate = await inServer(
      'ceiling_raw',
      'analytics_raw_default',
      (n) => `SELECT 'prof_' || (i % 20000), to_timestamp((i / 5000) * 10), 'lnk_' || (i % 5000) || '_' || (i % 7),
              'DE', 'mobile', 'www.instagram.com', 'DE-3', 'City ' || (i % 500), 'Chrome', 'Android', '', '', '', 1, 0, 1, 0, i / 10000
         FROM generate_series(1, ${n}) i`,
    );
    const perEvent = {
      ledger: perBatch.ledger / BATCH,
      visitors: perBatch.visitors / BATCH,
      raw: perBatch.raw / BATCH,
    };
    const ceilingAt = (k: 0 | 1) =>
      1 / (perEvent.ledger / ledgerRate[k] + perEvent.visitors / visitorRate[k] + perEvent.raw / rawRate[k]);
    const ceilingEvents = ceilingAt(0);
    const ceiling2Events = ceilingAt(1);
    const rowsPerEvent = perEvent.ledger + perEvent.visitors + perEvent.raw;

    // The naive consumer: one UPSERT per event into the daily signatures, each its own statement and commit.
    const naivePool = withSchema(schema, 1);
    const naiveEvents = batches[3].Records.slice(0, NAIVE_EVENTS).map(
      (r) =>
        JSON.parse(r.body) as {
          type: string;
          occurredAt: string;
          data: { profileId: string; linkId?: string; country: string; device: string };
        },
    );
    await naivePool.query('SELECT 1');
    const t2 = performance.now();
    for (const e of naiveEvents) {
      const w = new Date(Math.floor(Date.parse(e.occurredAt) / 10_000) * 10_000);
      const view = e.type === 'profile.viewed' ? 1 : 0;
      await naivePool.query(
        `INSERT INTO analytics_dsig AS t (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
                                          utm_source, utm_medium, utm_campaign, covered, views, clicks, visitors, uniques)
         VALUES ($1, $2, $3, $4, $5, '', '', '', '', '', '', '', '', false, $6, $7, 0, 0)
         ON CONFLICT (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
                      utm_source, utm_medium, utm_campaign, covered) DO UPDATE
           SET views = t.views + EXCLUDED.views, clicks = t.clicks + EXCLUDED.clicks`,
        [e.data.profileId, w, e.data.linkId ?? '', e.data.country, e.data.device, view, 1 - view],
      );
    }
    const naiveMs = performance.now() - t2;
    await naivePool.end();
    const naiveRate = NAIVE_EVENTS / (naiveMs / 1000);
    const ratio = batchedRate / naiveRate;
    const load1 = loadavg()[0];
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const exact = afterRedelivery.counted === rowsAfter.counted && afterRedelivery.visitors === rowsAfter.visitors;
    const complete = rowsAfter.counted - rowsBefore.counted === BATCHES * BATCH;

    return {
      name: 'consumer',
      rows: [
        {
          consumer: 'batched (2 consumers, 10,000/batch, 1 tx, exactly-once, visitors, rolled up to 1 h and 1 d)',
          events: BATCHES * BATCH,
          'events/s': Math.round(batchedRate),
          'batch p50 ms': Math.round(sorted[Math.floor(sorted.length / 2)]),
          'batch max ms': Math.round(sorted[sorted.length - 1]),
          'vs naive': `${ratio.toFixed(1)}x`,
        },
        {
          consumer: `Postgres in-server insert ceiling for the same rows (${rowsPerEvent.toFixed(2)} rows/event)`,
          events: CEILING_ROWS * 3,
          'events/s': Math.round(ceilingEvents),
          'batch p50 ms': '-',
          'batch max ms': '-',
          'vs naive': `${(ceilingEvents / naiveRate).toFixed(1)}x`,
        },
        {
          consumer: 'the same, two backends at once into the same tables (as the two consumers)',
          events: CEILING_ROWS * 6,
          'events/s': Math.round(ceiling2Events),
          'batch p50 ms': '-',
          'batch max ms': '-',
          'vs naive': `${(ceiling2Events / naiveRate).toFixed(1)}x`,
        },
        {
          consumer: 'naive (1 UPSERT per event, autocommit, no dedupe, one table)',
          events: NAIVE_EVENTS,
          'events/s': Math.round(naiveRate),
          'batch p50 ms': '-',
          'batch max ms': '-',
          'vs naive': '1.0x',
        },
        {
          consumer: `rollup job over the run's batches (${fmt(rolled)} hourly + daily rows upserted)`,
          events: BATCHES * BATCH,
          'events/s': Math.round((BATCHES * BATCH) / (drainMs / 1000)),
          'batch p50 ms': Math.round(drainMs),
          'batch max ms': '-',
          'vs naive': `${fmt(rolled / (drainMs / 1000))} rows/s`,
        },
        {
          consumer: 'redelivered batch (all 10,000 already applied)',
          events: BATCH,
          'events/s': Math.round(BATCH / (redeliveryMs / 1000)),
          'batch p50 ms': Math.round(redeliveryMs),
          'batch max ms': Math.round(redeliveryMs),
          'vs naive': exact ? 'counted 0 (ok)' : 'DOUBLE COUNTED',
        },
      ],
      notes: [
        `per batch of 10,000 (summed over both consumers, per batch): parse ${parseMs.toFixed(0)} ms, ` +
          Object.entries(phaseMs)
            .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
            .join(', ') +
          ` (record = ledger ids + visitor keys; append = raw rows + pending row)`,
        `rollup job inside the timed run (as deployed: batches of closed hours, at most every ANALYTICS_ROLLUP_S): ${rollups} runs, ${fmt(rollupMs)} ms; ` +
          `hourly + daily rows stored after the forced run: ${fmt(rowsAfter.coarse - rowsBefore.coarse)} for ${fmt(BATCHES * BATCH)} events`,
        `rows per 10,000 events: ${perBatch.ledger} ledger ids, ${perBatch.visitors} visitor keys, ${perBatch.raw} raw rows; ` +
          `in-server rows/s (one backend; two): ledger ${fmt(ledgerRate[0])}; ${fmt(ledgerRate[1])}, visitor keys ${fmt(visitorRate[0])}; ${fmt(visitorRate[1])}, raw ${fmt(rawRate[0])}; ${fmt(rawRate[1])}`,
        `workload: ${PROFILES.toLocaleString('en-US')} profiles (Zipf 1.05), ${Math.round(VIEW_SHARE * 100)}% views, ${USER_AGENTS.length} real User-Agents (families from the edge), 40 countries with regions and cities, 15% with UTM, visitors hashed per profile, occurredAt over ~20 s; two consumers, each in its own thread with its own pool (max 2), like two Lambda containers`,
        `CPU in the timed ${(wallMs / 1000).toFixed(1)} s: the consumers' JavaScript ${(jsMs / 1000).toFixed(1)} core-s (${((1000 * jsMs) / (BATCHES * BATCH)).toFixed(1)} µs/event), ` +
          `the rest of the machine (Postgres, all but idle) ${(pgMs / 1000).toFixed(1)} core-s (${((1000 * pgMs) / (BATCHES * BATCH)).toFixed(1)} µs/event), on ${cpus().length} cores; ` +
          `Postgres alone would have these ${cpus().length} cores for about ${fmt((cpus().length * BATCHES * BATCH) / (pgMs / 1000))} events/s (a projection: in AWS the JavaScript runs in the Lambdas)`,
        `load average (1 min) ${load0.toFixed(2)} → ${load1.toFixed(2)} on a shared ${cpus().length}-core machine; Postgres runs on the same machine`,
      ],
      goals: [
        {
          goal: `batched ≥ 100,000 events/s (got ${fmt(batchedRate)}, ${((100 * batchedRate) / ceiling2Events).toFixed(0)}% of the two-backend ceiling ${fmt(ceiling2Events)}; aim 150,000)`,
          met: batchedRate >= 100_000,
        },
        { goal: `batched ≥ 20× the naive consumer (got ${ratio.toFixed(1)}×)`, met: ratio >= 20 },
        { goal: 'a redelivered batch counts nothing (visitors included)', met: exact },
        { goal: 'every event of the run is in the daily tier once the job has run', met: complete },
      ],
    };
  } finally {
    for (const p of pools) await p.end().catch(() => {});
    await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {});
    await admin.end().catch(() => {});
  }
}

/**
 * Busy CPU (ms, all cores) of the whole machine so far, from /proc/stat. Less this process's own,
 * it is what Postgres (and the little else running) used: summing Postgres's processes instead
 * would lose the time of any that exits meanwhile.
 */
const machineBusyMs = (): number => {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / 100;
};

const countRows = async (pool: pg.Pool): Promise<{ coarse: number; counted: number; visitors: number }> => {
  const { rows } = await pool.query<{ a: string; c: string; v: string }>(
    `SELECT (SELECT count(*) FROM analytics_hsig) + (SELECT count(*) FROM analytics_dsig)
          + (SELECT count(*) FROM analytics_hdims) + (SELECT count(*) FROM analytics_ddims) AS a,
            (SELECT coalesce(sum(views + clicks), 0) FROM analytics_dsig) AS c,
            (SELECT coalesce(sum(visitors + uniques), 0) FROM analytics_dsig) AS v`,
  );
  return { coarse: Number(rows[0].a), counted: Number(rows[0].c), visitors: Number(rows[0].v) };
};

const rowsPerBatch = async (batch: SQSEvent) => {
  const { aggregate, parseMessage } = await import('../../lambdas/core/analytics.ts');
  const events = batch.Records.flatMap((r) => {
    const p = parseMessage(r.body);
    return p.kind === 'counted' ? [p.event] : [];
  });
  const a = aggregate(events);
  return {
    ledger: events.length,
    visitors: a.visitors.length + a.linkVisitors.length,
    raw: a.rows.length,
  };
};
