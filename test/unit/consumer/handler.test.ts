import { describe, expect, it } from 'vitest';
import type { AnalyticsEvent, AnalyticsStore } from '../../../lambdas/core/analytics.ts';
import { makeConsumer } from '../../../lambdas/consumer/handler.ts';
import { sqsEvent, sqsRecord } from '../../helpers/sqs.ts';

const msg = (id: string, type = 'link.clicked', data: Record<string, unknown> = { profileId: 'p1', linkId: 'l1' }) =>
  JSON.stringify({ id, type, occurredAt: '2026-03-01T12:00:03Z', data });

class FakeStore implements AnalyticsStore {
  batches: AnalyticsEvent[][] = [];
  fail: Error | undefined;
  pruned: Date[] = [];
  async apply(events: AnalyticsEvent[]) {
    if (this.fail) throw this.fail;
    this.batches.push(events);
    return { applied: events.length, duplicates: 0, rows: events.length };
  }
  async report(): Promise<never> {
    throw new Error('unused');
  }
  async prune(olderThan: Date) {
    this.pruned.push(olderThan);
    return 0;
  }
}

describe('consumer', () => {
  it('applies the whole batch in one store call and reports no failures', async () => {
    const store = new FakeStore();
    const res = await makeConsumer({ store: () => store })(
      sqsEvent([msg('a'), msg('b', 'profile.viewed', { profileId: 'p1' }), msg('c')]),
    );
    expect(res).toEqual({ batchItemFailures: [] });
    expect(store.batches).toHaveLength(1);
    expect(store.batches[0].map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });

  it('reports only the poison records as failures and counts the rest', async () => {
    const store = new FakeStore();
    const bad1 = sqsRecord('{not json');
    const bad2 = sqsRecord(msg('x', 'link.clicked', { profileId: 'p1' })); // click without linkId
    const res = await makeConsumer({ store: () => store })(sqsEvent([msg('a'), bad1, bad2, msg('b')]));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: bad1.messageId }, { itemIdentifier: bad2.messageId }]);
    expect(store.batches[0].map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('acknowledges other event types without counting them', async () => {
    const store = new FakeStore();
    const res = await makeConsumer({ store: () => store })(sqsEvent([msg('u', 'profile.updated', { profileId: 'p1' })]));
    expect(res.batchItemFailures).toEqual([]);
    expect(store.batches).toEqual([]);
  });

  it('fails every record when the database is down, so SQS keeps them', async () => {
    const store = new FakeStore();
    store.fail = new Error('ECONNREFUSED');
    const records = sqsEvent([msg('a'), msg('b'), 'poison']);
    const res = await makeConsumer({ store: () => store })(records);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(records.Records.map((r) => r.messageId).sort());
  });

  it('prunes on a fraction of batches, past the retention', async () => {
    const store = new FakeStore();
    const now = Date.parse('2026-03-10T00:00:00Z');
    const rolls = [0.5, 0.01];
    const consume = makeConsumer({
      store: () => store,
      pruneProbability: 0.02,
      retentionMs: 120 * 3_600_000,
      now: () => now,
      random: () => rolls.shift() ?? 1,
    });
    await consume(sqsEvent([msg('a')]));
    expect(store.pruned).toEqual([]);
    await consume(sqsEvent([msg('b')]));
    expect(store.pruned).toEqual([new Date('2026-03-05T00:00:00Z')]);
  });
});
