// One analytics consumer in its own thread, as one Lambda container is: its own pool (max 2),
// store and handler, so two of them use two cores for their JavaScript as two containers would,
// instead of sharing the bench's one thread. Driven by bench/suites/consumer.ts: `load` hands it
// its batches (cloned before the clock starts), `go` runs them and answers with its timings.
import { parentPort, workerData } from 'node:worker_threads';
import type { SQSEvent } from 'aws-lambda';
import pg from 'pg';
import { PgAnalyticsStore } from '../../lambdas/adapters/pg-analytics-store.ts';
import { makeConsumer } from '../../lambdas/consumer/handler.ts';

export interface WorkerReport {
  times: number[];
  phases: Record<string, number>;
  rollupMs: number;
  rollups: number;
}

const { url, schema } = workerData as { url: string; schema: string };
const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
let phases: Record<string, number> = {};
let rollupMs = 0;
let rollups = 0;
const store = new PgAnalyticsStore(pool, {
  onPhase: (phase, ms) => {
    phases[phase] = (phases[phase] ?? 0) + ms;
  },
});
// As deployed: the container runs the rollup after a batch at most every ANALYTICS_ROLLUP_S.
const consumer = makeConsumer({
  store: () => ({
    apply: store.apply.bind(store),
    report: store.report.bind(store),
    setAside: store.setAside.bind(store),
    rollup: async () => {
      const t = performance.now();
      const r = await store.rollup();
      rollupMs += performance.now() - t;
      if (r.batches) rollups++;
      return r;
    },
  }),
  pruneProbability: 0,
  rollupEveryMs: 60_000,
});

let loaded: SQSEvent[] = [];
parentPort?.on('message', async (m: { type: 'load'; batches: SQSEvent[] } | { type: 'go' } | { type: 'end' }) => {
  try {
    if (m.type === 'load') {
      loaded = m.batches;
      phases = {};
      rollupMs = 0;
      rollups = 0;
      parentPort?.postMessage({ type: 'loaded' });
    } else if (m.type === 'go') {
      const times: number[] = [];
      // Each batch let go once consumed, as a container holds only the batch it is given.
      for (let b = loaded.shift(); b; b = loaded.shift()) {
        const t0 = performance.now();
        const res = await consumer(b);
        times.push(performance.now() - t0);
        if (res.batchItemFailures.length) throw new Error(`${res.batchItemFailures.length} failures in a bench batch`);
      }
      const report: WorkerReport = { times, phases, rollupMs, rollups };
      parentPort?.postMessage({ type: 'done', report });
    } else {
      await pool.end();
      parentPort?.postMessage({ type: 'ended' });
    }
  } catch (err) {
    parentPort?.postMessage({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
