import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AnalyticsEvent, AnalyticsStore } from '../../../lambdas/core/analytics.ts';
import type { Rejection, RejectedEventStore } from '../../../lambdas/core/batch-apply.ts';
import type { InvalidationNotice } from '../../../lambdas/core/cdn-invalidation.ts';
import {
  type ConsumerDeps,
  makeConsumer,
  makeHandler,
  ROLLUP_BUDGET_MS,
  TIMEOUT_RESERVE_MS,
} from '../../../lambdas/consumer/handler.ts';
import { logger } from '../../../lambdas/shared/telemetry.ts';
import { lambdaContext } from '../../helpers/events.ts';
import { sqsEvent, sqsRecord } from '../../helpers/sqs.ts';

const NOW = Date.parse('2026-03-01T12:05:00Z');

const msg = (id: string, type = 'link.clicked', data: Record<string, unknown> = { profileId: 'p1', linkId: 'l1' }) =>
  JSON.stringify({ id, type, occurredAt: '2026-03-01T12:00:03Z', data });

/** A Postgres-like refusal of a whole statement because of one row. */
const invalidByteSequence = () =>
  Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021', severity: 'ERROR' });

class FakeStore implements AnalyticsStore, RejectedEventStore {
  batches: AnalyticsEvent[][] = [];
  fail: Error | undefined;
  /** Any batch with one of these event ids fails as a whole. */
  poison = new Set<string>();
  pruned: Date[] = [];
  rejected: Rejection[] = [];
  setAsideFail: Error | undefined;
  calls = 0;
  onApply: () => void = () => {};
  async apply(events: AnalyticsEvent[]) {
    this.calls++;
    this.onApply();
    if (this.fail) throw this.fail;
    if (events.some((e) => this.poison.has(e.id))) throw invalidByteSequence();
    this.batches.push(events);
    return { applied: events.length, duplicates: 0, rows: events.length };
  }
  async setAside(rejections: Rejection[]) {
    if (this.setAsideFail) throw this.setAsideFail;
    this.rejected.push(...rejections);
    return rejections.length;
  }
  async report(): Promise<never> {
    throw new Error('unused');
  }
  async prune(olderThan: Date) {
    this.pruned.push(olderThan);
    return 0;
  }
  maintained = 0;
  maintainFail: Error | undefined;
  async maintain() {
    this.maintained++;
    if (this.maintainFail) throw this.maintainFail;
    return { created: 0, dropped: [] };
  }
  /** How many batches had been applied at each rollup run. */
  rollups: number[] = [];
  rollupFail: Error | undefined;
  /** Runs that still answer `more` (a backlog), and what each run costs on the test's clock. */
  backlog = 0;
  onRollup: (() => void) | undefined;
  async rollup() {
    this.rollups.push(this.batches.length);
    if (this.rollupFail) throw this.rollupFail;
    this.onRollup?.();
    const more = this.backlog > 0;
    if (more) this.backlog--;
    return { batches: 1, rows: 3, more };
  }
}

const consumer = (store: FakeStore, over: Partial<ConsumerDeps> = {}) => {
  const counts: Record<string, number> = {};
  const consume = makeConsumer({
    store: () => store,
    now: () => NOW,
    count: (m, v) => {
      counts[m] = (counts[m] ?? 0) + v;
    },
    ...over,
  });
  return { consume, counts };
};

const ids = (res: { batchItemFailures: Array<{ itemIdentifier: string }> }) =>
  res.batchItemFailures.map((f) => f.itemIdentifier).sort();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('consumer', () => {
  it('applies the whole batch in one store call and reports no failures', async () => {
    const store = new FakeStore();
    const { consume } = consumer(store);
    const res = await consume(sqsEvent([msg('a'), msg('b', 'profile.viewed', { profileId: 'p1' }), msg('c')]));
    expect(res).toEqual({ batchItemFailures: [] });
    expect(store.calls).toBe(1);
    expect(store.batches[0].map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(store.rejected).toEqual([]);
  });

  it('sets malformed messages aside and acknowledges them; the rest is counted', async () => {
    const store = new FakeStore();
    const bad1 = sqsRecord('{not json');
    const bad2 = sqsRecord(msg('x', 'link.clicked', { profileId: 'p1' })); // click without linkId
    const { consume, counts } = consumer(store);
    const res = await consume(sqsEvent([msg('a'), bad1, bad2, msg('b')]));
    expect(res.batchItemFailures).toEqual([]);
    expect(store.batches[0].map((e) => e.id)).toEqual(['a', 'b']);
    expect(store.rejected.map((r) => [r.messageId, r.reason, r.body])).toEqual([
      [bad1.messageId, 'malformed: body is not JSON', '{not json'],
      [bad2.messageId, 'malformed: data.linkId: required for link.clicked', bad2.body],
    ]);
    expect(counts).toMatchObject({ EventsApplied: 2, EventsMalformed: 2, EventsRejected: 2 });
  });

  it('isolates a poison event: set aside alone, logged once, every other event applied once', async () => {
    const store = new FakeStore();
    store.poison.add('p');
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const { consume, counts } = consumer(store);
    const records = sqsEvent(['a', 'b', 'c', 'p', 'd', 'e', 'f', 'g'].map((id) => msg(id)));
    const res = await consume(records);
    expect(res.batchItemFailures).toEqual([]);
    const applied = store.batches.flat().map((e) => e.id);
    expect(applied.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(store.rejected).toHaveLength(1);
    expect(store.rejected[0]).toMatchObject({
      messageId: records.Records[3].messageId,
      eventId: 'p',
      reason: 'poison: 22021: invalid byte sequence for encoding "UTF8": 0x00',
      body: msg('p'),
    });
    expect(counts).toMatchObject({ EventsApplied: 7, EventsRejected: 1 });
    expect(counts.ConsumerBatchFailed).toBeUndefined();
    const lines = warn.mock.calls.filter(([m]) => String(m).includes('set aside'));
    expect(lines).toHaveLength(1);
    expect(lines[0][1]).toMatchObject({ rejected: 1, reasons: [store.rejected[0].reason] });
  });

  it('sets events older than the ledger horizon aside, never counting them blind', async () => {
    const store = new FakeStore();
    const { consume } = consumer(store, { now: () => Date.parse('2026-03-06T12:00:04Z'), retentionMs: 120 * 3_600_000 });
    const old = sqsRecord(msg('old'));
    const fresh = sqsRecord(JSON.stringify({ ...JSON.parse(msg('new')), occurredAt: '2026-03-06T12:00:00Z' }));
    const other = sqsRecord(msg('u', 'profile.updated', { profileId: 'p1' }));
    const res = await consume(sqsEvent([old, fresh, other]));
    expect(res.batchItemFailures).toEqual([]);
    expect(store.batches.flat().map((e) => e.id)).toEqual(['new']);
    expect(store.rejected).toEqual([
      { messageId: old.messageId, eventId: 'old', reason: 'older than the exactly-once ledger horizon (120 h)', body: old.body },
    ]);
  });

  it('acknowledges other event types without counting them', async () => {
    const store = new FakeStore();
    const { consume } = consumer(store);
    const res = await consume(sqsEvent([msg('u', 'profile.updated', { profileId: 'p1' })]));
    expect(res.batchItemFailures).toEqual([]);
    expect(store.batches).toEqual([]);
    expect(store.calls).toBe(0);
  });

  it('fails every record when the database is down, so SQS keeps them', async () => {
    const store = new FakeStore();
    store.fail = new Error('ECONNREFUSED');
    const { consume, counts } = consumer(store);
    const records = sqsEvent([msg('a'), msg('b'), 'poison']);
    const res = await consume(records);
    expect(ids(res)).toEqual(records.Records.map((r) => r.messageId).sort());
    expect(store.calls).toBe(1);
    expect(store.rejected).toEqual([]);
    expect(counts.ConsumerBatchFailed).toBe(1);
  });

  it('reports poison as failures when it cannot be set aside (database unreachable): nothing is lost', async () => {
    const store = new FakeStore();
    store.poison.add('p');
    store.setAsideFail = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { consume } = consumer(store);
    const records = sqsEvent([msg('a'), msg('p'), '{bad']);
    const res = await consume(records);
    expect(ids(res)).toEqual([records.Records[1].messageId, records.Records[2].messageId].sort());
    expect(store.batches.flat().map((e) => e.id)).toEqual(['a']);
  });

  it('budget spent: the parts not applied are failures, they come back', async () => {
    const store = new FakeStore();
    store.poison.add('h');
    let t = NOW;
    store.onApply = () => {
      t += 100;
    };
    const { consume, counts } = consumer(store, { now: () => t, splitBudgetMs: 150 });
    const records = sqsEvent(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => msg(id)));
    const res = await consume(records);
    // Whole batch (fails), [a-d] (applied), [e, f] (applied), then the budget is spent.
    expect(store.batches.flat().map((e) => e.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(ids(res)).toEqual([records.Records[6].messageId, records.Records[7].messageId].sort());
    expect(store.rejected).toEqual([]);
    expect(counts.ConsumerBatchFailed).toBe(1);
  });

  it('stops splitting before the function times out', async () => {
    const store = new FakeStore();
    store.poison.add('p');
    const handler = makeHandler({ store: () => store, now: () => NOW, splitBudgetMs: 60_000 });
    const records = sqsEvent([msg('a'), msg('p')]);
    const res = await handler(records, { ...lambdaContext('consumer'), getRemainingTimeInMillis: () => TIMEOUT_RESERVE_MS });
    expect(store.calls).toBe(1);
    expect(ids(res)).toEqual(records.Records.map((r) => r.messageId).sort());
  });

  it("prunes on a fraction of batches, past the retention and the visitor keys' extra day", async () => {
    const store = new FakeStore();
    const rolls = [0.5, 0.01];
    const { consume } = consumer(store, {
      pruneProbability: 0.02,
      retentionMs: 120 * 3_600_000,
      random: () => rolls.shift() ?? 1,
    });
    await consume(sqsEvent([msg('a')]));
    expect(store.pruned).toEqual([]);
    await consume(sqsEvent([msg('b')]));
    expect(store.pruned).toEqual([new Date('2026-02-23T11:05:00Z')]);
  });

  it('maintains the analytics partitions with the prune, and a failed maintenance fails nothing', async () => {
    const store = new FakeStore();
    const { consume } = consumer(store, { pruneProbability: 0.02, random: () => 0.01 });
    await consume(sqsEvent([msg('a')]));
    expect(store.maintained).toBe(1);
    store.maintainFail = new Error('lock timeout');
    expect((await consume(sqsEvent([msg('b')]))).batchItemFailures).toEqual([]);
    expect(store.maintained).toBe(2);
    const quiet = new FakeStore();
    await consumer(quiet, { pruneProbability: 0.02, random: () => 0.5 }).consume(sqsEvent([msg('c')]));
    expect(quiet.maintained).toBe(0);
  });
});

describe('database unreachable for long: visibility backoff, then the DLQ moved back', () => {
  const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
  const record = (id: string, receives: number) =>
    sqsRecord(msg(id), {
      messageId: `m-${id}`,
      receiptHandle: `rh-${id}`,
      attributes: {
        ApproximateReceiveCount: String(receives),
        SentTimestamp: String(NOW),
        SenderId: 'AIDATEST',
        ApproximateFirstReceiveTimestamp: String(NOW),
      },
    });

  const setup = () => {
    const store = new FakeStore();
    const delayed: { receiptHandle: string; seconds: number }[] = [];
    let recoveries = 0;
    const { consume } = consumer(store, {
      queue: {
        delay: async (records) => {
          delayed.push(...records);
        },
      },
      backoff: { baseS: 30, capS: 43_200 },
      recovery: {
        afterHealthyBatch: async () => {
          recoveries++;
          return 0;
        },
      },
    });
    return { store, delayed, consume, recoveries: () => recoveries };
  };

  it('hides each failed record for base × 3^(receives − 1), and reports it failed', async () => {
    const t = setup();
    t.store.fail = unreachable();
    const r = await t.consume(sqsEvent([record('a', 1), record('b', 3), record('c', 9)]));
    expect(r.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-a', 'm-b', 'm-c']);
    expect(t.delayed.sort((x, y) => x.seconds - y.seconds)).toEqual([
      { receiptHandle: 'rh-a', seconds: 30 },
      { receiptHandle: 'rh-b', seconds: 270 },
      { receiptHandle: 'rh-c', seconds: 43_200 },
    ]);
    expect(t.recoveries()).toBe(0);
  });

  it('does not delay poison or budget failures, and looks at the DLQ after a batch the database accepted', async () => {
    const t = setup();
    t.store.poison.add('bad');
    const r = await t.consume(sqsEvent([record('ok', 1), record('bad', 1)]));
    expect(r.batchItemFailures).toEqual([]);
    expect(t.delayed).toEqual([]);
    expect(t.recoveries()).toBe(1);
  });

  it('still answers when the visibility change itself fails', async () => {
    const t = setup();
    t.store.fail = unreachable();
    const { consume } = consumer(t.store, {
      queue: {
        delay: async () => {
          throw new Error('SQS unavailable');
        },
      },
    });
    const r = await consume(sqsEvent([record('a', 2)]));
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: 'm-a' }]);
  });
});

describe('CloudFront invalidation notices (cdn)', () => {
  const change = (id: string, username: string | undefined, type = 'profile.updated', sentAt = NOW - 2_000) =>
    sqsRecord(msg(id, type, { profileId: `p-${id}`, ...(username ? { username } : {}) }), {
      messageId: `m-${id}`,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(sentAt),
        SenderId: 'AIDATEST',
        ApproximateFirstReceiveTimestamp: String(sentAt),
      },
    });
  const notifier = (fail?: Error) => {
    const notices: InvalidationNotice[] = [];
    return {
      notices,
      notify: async (n: InvalidationNotice) => {
        if (fail) throw fail;
        notices.push(n);
      },
    };
  };

  it('publishes one notice per batch with every changed username, alongside counting the rest', async () => {
    const store = new FakeStore();
    const cdn = notifier();
    const { consume } = consumer(store, { cdn });
    const res = await consume(
      sqsEvent([
        msg('c1'),
        change('u1', 'alice', 'profile.updated', NOW - 9_000),
        change('u2', 'bob', 'links.updated', NOW - 3_000),
        change('u3', 'alice', 'profile.deleted', NOW - 5_000),
        msg('c2'),
      ]),
    );
    expect(res).toEqual({ batchItemFailures: [] });
    expect(cdn.notices).toEqual([{ usernames: ['alice', 'bob'], changedAt: NOW - 3_000 }]);
    expect(store.batches.flat().map((e) => e.id)).toEqual(['c1', 'c2']);
  });

  it('makes the change records batch failures when the publish fails, and only those', async () => {
    const store = new FakeStore();
    const { consume } = consumer(store, { cdn: notifier(new Error('SNS unavailable')) });
    const res = await consume(sqsEvent([msg('c1'), change('u1', 'alice'), change('u2', 'bob', 'links.updated')]));
    expect(ids(res)).toEqual(['m-u1', 'm-u2']);
    // The counted event was applied and acknowledged.
    expect(store.batches.flat().map((e) => e.id)).toEqual(['c1']);
  });

  it('reports a record once when it is both a database and a notice failure', async () => {
    const store = new FakeStore();
    store.fail = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { consume } = consumer(store, { cdn: notifier(new Error('SNS unavailable')) });
    // Malformed as an analytics event (no occurredAt), yet a change with a username: set aside
    // fails with the database down, and its notice fails too.
    const odd = sqsRecord(JSON.stringify({ id: 'x', type: 'profile.updated', data: { username: 'carol' } }), {
      messageId: 'm-x',
    });
    const res = await consume(sqsEvent([sqsRecord(msg('c1'), { messageId: 'm-c1' }), odd]));
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-c1', 'm-x']);
  });

  it('publishes nothing for a batch without changes, or for changes that name no username', async () => {
    const cdn = notifier();
    const { consume } = consumer(new FakeStore(), { cdn });
    expect(await consume(sqsEvent([msg('c1'), change('u1', undefined)]))).toEqual({ batchItemFailures: [] });
    expect(cdn.notices).toEqual([]);
  });

  it('without a topic (no cdn, and locally) publishes nothing and acknowledges the changes', async () => {
    const store = new FakeStore();
    const { consume } = consumer(store);
    expect(await consume(sqsEvent([msg('c1'), change('u1', 'alice')]))).toEqual({ batchItemFailures: [] });
  });
});

describe('the rollup cadence', () => {
  const clock = () => {
    let t = NOW;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };
  const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });

  it('runs after a batch that reached the database, once the batch is applied', async () => {
    const store = new FakeStore();
    const { consume } = consumer(store);
    expect((await consume(sqsEvent([msg('a')]))).batchItemFailures).toEqual([]);
    expect(store.rollups).toEqual([1]);
  });

  it('works a backlog off run after run, within ROLLUP_BUDGET_MS, then waits for the next turn', async () => {
    const store = new FakeStore();
    const c = clock();
    const { consume } = consumer(store, { now: c.now, rollupEveryMs: 60_000 });
    store.backlog = 3;
    await consume(sqsEvent([msg('a')]));
    // Three runs said more, the fourth did not.
    expect(store.rollups).toEqual([1, 1, 1, 1]);
    // A longer backlog of slow runs stops at the budget.
    store.rollups = [];
    store.backlog = 100;
    store.onRollup = () => c.advance(6_000);
    c.advance(60_000);
    await consume(sqsEvent([msg('b')]));
    expect(store.rollups).toHaveLength(Math.ceil(ROLLUP_BUDGET_MS / 6_000));
  });

  it("stops the runs before the function's own time is up", async () => {
    const store = new FakeStore();
    const c = clock();
    const { consume } = consumer(store, { now: c.now, rollupEveryMs: 0 });
    store.backlog = 100;
    store.onRollup = () => c.advance(1_000);
    await consume(sqsEvent([msg('a')]), { getRemainingTimeInMillis: () => TIMEOUT_RESERVE_MS + 3_000 });
    expect(store.rollups).toHaveLength(3);
  });

  it('never runs with rollup off (a scheduled function runs the job)', async () => {
    const store = new FakeStore();
    const { consume } = consumer(store, { rollup: false, rollupEveryMs: 0 });
    await consume(sqsEvent([msg('a')]));
    await consume(sqsEvent([msg('b')]));
    expect(store.rollups).toEqual([]);
  });

  it('runs again only once rollupEveryMs has passed', async () => {
    const store = new FakeStore();
    const c = clock();
    const { consume } = consumer(store, { now: c.now, rollupEveryMs: 30_000 });
    await consume(sqsEvent([msg('a')]));
    c.advance(29_999);
    await consume(sqsEvent([msg('b')]));
    expect(store.rollups).toEqual([1]);
    c.advance(1);
    await consume(sqsEvent([msg('c')]));
    expect(store.rollups).toEqual([1, 3]);
    c.advance(10_000);
    await consume(sqsEvent([msg('d')]));
    expect(store.rollups).toEqual([1, 3]);
  });

  it('defaults to once a minute, and to every batch with rollupEveryMs 0', async () => {
    const store = new FakeStore();
    const c = clock();
    const { consume } = consumer(store, { now: c.now });
    await consume(sqsEvent([msg('a')]));
    c.advance(59_999);
    await consume(sqsEvent([msg('b')]));
    expect(store.rollups).toHaveLength(1);
    c.advance(1);
    await consume(sqsEvent([msg('c')]));
    expect(store.rollups).toHaveLength(2);

    const eager = new FakeStore();
    const e = consumer(eager, { rollupEveryMs: 0 });
    for (const id of ['x', 'y', 'z']) await e.consume(sqsEvent([msg(id)]));
    expect(eager.rollups).toEqual([1, 2, 3]);
  });

  it('never runs after a batch where the database was unreachable, and runs on the next batch that reaches it', async () => {
    const store = new FakeStore();
    const c = clock();
    const { consume } = consumer(store, { now: c.now, rollupEveryMs: 30_000 });
    store.fail = unreachable();
    const records = sqsEvent([msg('a'), msg('b')]);
    expect(ids(await consume(records))).toEqual(records.Records.map((r) => r.messageId).sort());
    c.advance(60_000);
    await consume(sqsEvent([msg('c')]));
    expect(store.rollups).toEqual([]);
    // The unreachable batches did not start the interval: the first healthy batch rolls up at once.
    store.fail = undefined;
    await consume(sqsEvent([msg('d')]));
    expect(store.rollups).toEqual([1]);
  });

  it('logs a failed rollup without failing the batch, and tries again once it is due', async () => {
    const store = new FakeStore();
    const c = clock();
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const { consume, counts } = consumer(store, { now: c.now, rollupEveryMs: 30_000 });
    store.rollupFail = new Error('canceling statement due to lock timeout');
    expect(await consume(sqsEvent([msg('a'), msg('b')]))).toEqual({ batchItemFailures: [] });
    expect(store.batches.flat().map((e) => e.id)).toEqual(['a', 'b']);
    expect(counts.ConsumerBatchFailed).toBeUndefined();
    const lines = warn.mock.calls.filter(([m]) => String(m).includes('rollup'));
    expect(lines).toHaveLength(1);
    expect(lines[0][1]).toMatchObject({ error: store.rollupFail });

    store.rollupFail = undefined;
    c.advance(1_000);
    await consume(sqsEvent([msg('c')]));
    expect(store.rollups).toEqual([1]);
    c.advance(29_000);
    expect((await consume(sqsEvent([msg('d')]))).batchItemFailures).toEqual([]);
    expect(store.rollups).toEqual([1, 3]);
  });

  it('still prunes after a rollup that failed', async () => {
    const store = new FakeStore();
    store.rollupFail = new Error('boom');
    vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const { consume } = consumer(store, { pruneProbability: 0.02, random: () => 0.01 });
    await consume(sqsEvent([msg('a')]));
    expect(store.rollups).toEqual([1]);
    expect(store.pruned).toHaveLength(1);
    expect(store.maintained).toBe(1);
  });
});
