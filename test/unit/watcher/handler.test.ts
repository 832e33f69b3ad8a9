import { describe, expect, it } from 'vitest';
import type { WatchRun } from '../../../lambdas/core/change-watcher.ts';
import { makeWatch, runLine } from '../../../lambdas/watcher/handler.ts';

const result = (over: Partial<WatchRun> = {}): WatchRun => ({
  listed: 3,
  checked: 2,
  changed: 1,
  deleted: 0,
  skipped: 1,
  failures: 0,
  budgetUsed: 2,
  stoppedBy: 'done',
  durationMs: 5,
  found: [],
  ...over,
});

const harness = (intervalS: number, reserveMs = 5_000) => {
  let t = 0;
  const runs: { at: number; deadline: number }[] = [];
  const lines: string[] = [];
  const watch = makeWatch({
    watcher: {
      run: async (deadline) => {
        runs.push({ at: t, deadline });
        t += 1_000; // each run takes a second
        return result();
      },
    },
    intervalS,
    budgetPerMin: 75,
    reserveMs,
    log: (line) => lines.push(line),
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
  });
  return { watch, runs, lines };
};

const context = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

describe('watcher handler', () => {
  it('an interval under a minute: runs every interval within the one-minute schedule, never past its end', async () => {
    const h = harness(20);
    const total = await h.watch(context(90_000));
    expect(h.runs.map((r) => r.at)).toEqual([0, 20_000, 40_000]);
    expect(h.runs.map((r) => r.deadline)).toEqual([20_000, 40_000, 55_000]);
    expect(total).toMatchObject({ runs: 3, checked: 6, changed: 3, budgetUsed: 6 });
    expect(h.lines).toHaveLength(3);
  });

  it('an interval of a minute or more: one run per invocation, bounded by the time the function has', async () => {
    const h = harness(300);
    await h.watch(context(120_000));
    expect(h.runs).toEqual([{ at: 0, deadline: 115_000 }]);
  });

  it('logs one line per run with checked, changed and budget', () => {
    expect(runLine(result({ checked: 7, changed: 2, deleted: 1, budgetUsed: 7 }), 75)).toMatch(
      /^watcher: checked 7, changed 3, budget 7 \(of 75\/min\)/,
    );
  });
});
