import { describe, expect, it } from 'vitest';
import { backoffS, DlqRecovery, patienceS } from '../../../lambdas/core/outage.ts';

describe('visibility backoff while the database is unreachable', () => {
  it('triples per receive from the base, capped at SQS’s 12 h', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => backoffS(n, 30, 43_200))).toEqual([
      30, 90, 270, 810, 2_430, 7_290, 21_870, 43_200, 43_200,
    ]);
    expect(backoffS(0, 30, 43_200)).toBe(30);
    expect(backoffS(Number.NaN, 30, 43_200)).toBe(30);
  });

  it('with the default maxReceiveCount 8, an outage of 6 hours sends nothing to the DLQ', () => {
    expect(patienceS(8, 30, 43_200)).toBeGreaterThan(6 * 3_600);
    // The old fixed 370 s visibility × 5 receives dead-lettered after about half an hour.
    expect(patienceS(5, 30, 43_200)).toBeLessThan(6 * 3_600);
  });
});

describe('DlqRecovery', () => {
  const setup = (waiting: number[]) => {
    let now = 0;
    const calls: string[] = [];
    const recovery = new DlqRecovery({
      control: {
        deadLettered: async () => {
          calls.push('depth');
          return waiting.shift() ?? 0;
        },
        redrive: async () => {
          calls.push('redrive');
        },
      },
      intervalMs: 60_000,
      now: () => now,
    });
    return { recovery, calls, advance: (ms: number) => (now += ms) };
  };

  it('moves the DLQ back after a healthy batch, at most once per interval', async () => {
    const t = setup([3, 2]);
    expect(await t.recovery.afterHealthyBatch()).toBe(3);
    expect(await t.recovery.afterHealthyBatch()).toBe(0);
    expect(t.calls).toEqual(['depth', 'redrive']);
    t.advance(60_000);
    expect(await t.recovery.afterHealthyBatch()).toBe(2);
    expect(t.calls).toEqual(['depth', 'redrive', 'depth', 'redrive']);
  });

  it('does nothing when the DLQ is empty, and never rejects', async () => {
    const t = setup([0]);
    expect(await t.recovery.afterHealthyBatch()).toBe(0);
    expect(t.calls).toEqual(['depth']);
    const failing = new DlqRecovery({
      control: {
        deadLettered: async () => 5,
        redrive: async () => {
          throw new Error('AWS.SimpleQueueService.UnsupportedOperation: a move task is already running');
        },
      },
      intervalMs: 1,
    });
    await expect(failing.afterHealthyBatch()).resolves.toBe(0);
  });
});
