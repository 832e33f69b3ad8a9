// The rollup function: runs the job run after run while a backlog lasts, and no run starts once
// the invocation's time, less its reserve, is up.
import { describe, expect, it } from 'vitest';
import { makeRollup } from '../../../lambdas/rollup/handler.ts';

const fakeStore = (backlog: number, costMs: number, clock: { t: number }) => {
  const runs: number[] = [];
  return {
    runs,
    store: {
      rollup: async () => {
        runs.push(clock.t);
        clock.t += costMs;
        const more = backlog > 0;
        if (more) backlog--;
        return { batches: more ? 20 : 3, rows: 100, more };
      },
    },
  };
};

describe('the rollup function', () => {
  it('takes the whole backlog run after run, and sums what the runs took', async () => {
    const clock = { t: 0 };
    const f = fakeStore(4, 1_000, clock);
    const rollup = makeRollup({ store: () => f.store, reserveMs: 35_000, now: () => clock.t });
    expect(await rollup({ getRemainingTimeInMillis: () => 300_000 })).toEqual({ runs: 5, batches: 83, rows: 500 });
  });

  it('runs once when nothing more waits', async () => {
    const clock = { t: 0 };
    const f = fakeStore(0, 1_000, clock);
    const rollup = makeRollup({ store: () => f.store, reserveMs: 35_000, now: () => clock.t });
    expect(await rollup({ getRemainingTimeInMillis: () => 300_000 })).toMatchObject({ runs: 1 });
  });

  it('starts no run past the invocation end less the reserve', async () => {
    const clock = { t: 0 };
    const f = fakeStore(1_000, 10_000, clock);
    const rollup = makeRollup({ store: () => f.store, reserveMs: 35_000, now: () => clock.t });
    const r = await rollup({ getRemainingTimeInMillis: () => 100_000 });
    // Runs start at 0, 10, ..., 60 s; the one ending at 70 s ≥ 65 s stops the loop.
    expect(r.runs).toBe(7);
    expect(Math.max(...f.runs)).toBeLessThan(100_000 - 35_000);
  });

  it('without a deadline (locally) stops after its budget', async () => {
    const clock = { t: 0 };
    const f = fakeStore(1_000, 1_000, clock);
    const rollup = makeRollup({ store: () => f.store, reserveMs: 0, budgetMs: 5_000, now: () => clock.t });
    expect((await rollup()).runs).toBe(5);
  });

  it('lets a failing run reject: nothing was taken, the next invocation tries again', async () => {
    const rollup = makeRollup({
      store: () => ({ rollup: async () => Promise.reject(new Error('canceling statement due to statement timeout')) }),
      reserveMs: 0,
    });
    await expect(rollup()).rejects.toThrow(/statement timeout/);
  });
});
