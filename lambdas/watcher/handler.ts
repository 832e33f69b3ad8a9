// The change watcher's Lambda (EventBridge Scheduler invokes it every WATCH_INTERVAL_S rounded up
// to whole minutes, at least one: Scheduler's rates are whole minutes). An interval under 60 s is
// covered by looping inside the invocation: a run every WATCH_INTERVAL_S until the next is due.
// Each run stops starting checks at its period's end (or the invocation's, minus what a check in
// flight may still take), so runs never overlap one another or the next invocation.
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type ChangeWatcher, type WatchRun, watchSchedulePeriodS } from '../core/change-watcher.ts';
import { metrics, metricsOn } from '../shared/telemetry.ts';

export interface WatcherHandlerDeps {
  watcher: Pick<ChangeWatcher, 'run'>;
  /** WATCH_INTERVAL_S (> 0 wherever this function is deployed). */
  intervalS: number;
  /** The watcher's share of the origin budget, per minute (for the log line). */
  budgetPerMin: number;
  /** Kept before the invocation's end: what a check started last may still take. */
  reserveMs: number;
  /** Waits (bounded) for the shared cache's connection at cold start. */
  ready?: () => Promise<void>;
  log: (line: string, extra?: Record<string, unknown>) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WatcherResult {
  runs: number;
  checked: number;
  changed: number;
  failures: number;
  budgetUsed: number;
}

/** The one line a run logs (the local stack prints the same). */
export const runLine = (r: WatchRun, budgetPerMin: number): string =>
  `watcher: checked ${r.checked}, changed ${r.changed + r.deleted}, budget ${r.budgetUsed} (of ${round(budgetPerMin)}/min), ` +
  `${r.failures} failures, ${r.listed} hot listed, ${r.skipped} not cached, stopped: ${r.stoppedBy}, ${r.durationMs} ms`;

const round = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export const makeWatch = (deps: WatcherHandlerDeps) => {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const periodMs = deps.intervalS * 1000;
  return async (context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<WatcherResult> => {
    const started = now();
    const scheduleMs = watchSchedulePeriodS(deps.intervalS) * 1000;
    const remainingMs = context?.getRemainingTimeInMillis?.() ?? scheduleMs;
    // No run starts checks past the next invocation's time, nor past this one's end.
    const end = started + Math.min(scheduleMs, remainingMs) - deps.reserveMs;
    await deps.ready?.();
    const total: WatcherResult = { runs: 0, checked: 0, changed: 0, failures: 0, budgetUsed: 0 };
    for (let runAt = started; runAt < end; runAt += periodMs) {
      if (now() < runAt) await sleep(runAt - now());
      const r = await deps.watcher.run(Math.min(runAt + periodMs, end));
      deps.log(runLine(r, deps.budgetPerMin), { ...r });
      total.runs++;
      total.checked += r.checked;
      total.changed += r.changed + r.deleted;
      total.failures += r.failures;
      total.budgetUsed += r.budgetUsed;
      if (periodMs <= 0) break;
    }
    return total;
  };
};

export const makeHandler = (deps: WatcherHandlerDeps) => {
  const base = middy<unknown, WatcherResult>();
  if (metricsOn) base.use(logMetrics(metrics));
  const watch = makeWatch(deps);
  return base.handler((_event, context) => watch(context));
};
