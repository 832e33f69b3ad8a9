// The analytics rollup job's own function (EventBridge Scheduler invokes it every minute; one at a
// time). Each invocation runs the job (adapters/pg-analytics-store.ts rollup: the pending batches
// of closed hours summed into the hourly, daily and monthly tables, exactly once) run after run
// while a backlog lasts, and stops starting runs before its own time is up. The consumers run the
// same job after their batches too (ANALYTICS_ROLLUP_S); runs never overlap, whoever starts them.
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type RollupRun, rollupBacklog } from '../core/analytics.ts';
import { logger, metrics, metricsOn } from '../shared/telemetry.ts';

export interface RollupDeps {
  store: () => { rollup(): Promise<RollupRun> };
  /** Kept before the invocation's end: what a run started last may still take. */
  reserveMs: number;
  /** When the invocation has no deadline (locally): how long it may go on. */
  budgetMs?: number;
  now?: () => number;
}

export type RollupResult = Awaited<ReturnType<typeof rollupBacklog>>;

export const makeRollup = (deps: RollupDeps) => {
  const now = deps.now ?? Date.now;
  return async (context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<RollupResult> => {
    const started = now();
    const end = started + (context?.getRemainingTimeInMillis?.() ?? deps.budgetMs ?? 60_000) - deps.reserveMs;
    const total = await rollupBacklog(deps.store(), end, now);
    if (total.batches) logger.info('analytics rolled up', { ...total, ms: now() - started });
    return total;
  };
};

export const makeHandler = (deps: RollupDeps) => {
  const base = middy<unknown, RollupResult>();
  if (metricsOn) base.use(logMetrics(metrics));
  const rollup = makeRollup(deps);
  return base.handler((_event, context) => rollup(context));
};
