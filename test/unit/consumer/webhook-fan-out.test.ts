// The consumer's fan-out of change events to outgoing webhooks, beside its analytics.
import { describe, expect, it } from 'vitest';
import type { AnalyticsEvent, AnalyticsStore } from '../../../lambdas/core/analytics.ts';
import type { Rejection, RejectedEventStore } from '../../../lambdas/core/batch-apply.ts';
import { webhookIdFor } from '../../../lambdas/core/outgoing-webhooks.ts';
import { makeConsumer } from '../../../lambdas/consumer/handler.ts';
import { sqsEvent, sqsRecord } from '../../helpers/sqs.ts';
import { MemoryDeliveryQueue, MemoryEndpointStore, makeEndpoint } from '../../helpers/outgoing-webhooks.ts';

const NOW = Date.parse('2026-03-01T12:05:00Z');
const msg = (id: string, type: string, data: Record<string, unknown>) =>
  JSON.stringify({ id, type, occurredAt: '2026-03-01T12:00:03Z', data });

class Store implements AnalyticsStore, RejectedEventStore {
  applied: AnalyticsEvent[] = [];
  async apply(events: AnalyticsEvent[]) {
    this.applied.push(...events);
    return { applied: events.length, duplicates: 0, rows: events.length };
  }
  async setAside(r: Rejection[]) {
    return r.length;
  }
  async report(): Promise<never> {
    throw new Error('unused');
  }
}

const setup = () => {
  const endpoints = new MemoryEndpointStore([
    makeEndpoint({ id: 'ep_demo', profiles: ['demo'] }),
    makeEndpoint({ id: 'ep_alice', profiles: ['alice'] }),
    makeEndpoint({ id: 'ep_all', profiles: null, events: ['profile.deleted'] }),
  ]);
  const queue = new MemoryDeliveryQueue();
  const store = new Store();
  const counts: Record<string, number> = {};
  const consume = makeConsumer({
    store: () => store,
    now: () => NOW,
    webhooks: { endpoints, queue },
    count: (m, v) => {
      counts[m] = (counts[m] ?? 0) + v;
    },
  });
  return { consume, endpoints, queue, store, counts };
};

describe('consumer fan-out', () => {
  it('one job per matching endpoint; clicks are counted and fan out nothing', async () => {
    const { consume, queue, store, counts } = setup();
    const res = await consume(
      sqsEvent([
        msg('e1', 'links.updated', { profileId: 'prof_demo', username: 'demo' }),
        msg('e2', 'link.clicked', { profileId: 'prof_demo', linkId: 'l1' }),
        msg('e3', 'profile.deleted', { profileId: 'prof_alice', username: 'alice' }),
      ]),
    );
    expect(res.batchItemFailures).toEqual([]);
    expect(queue.sent.map((s) => [s.job.eventId, s.job.endpointId])).toEqual([
      ['e1', 'ep_demo'],
      ['e3', 'ep_alice'],
      ['e3', 'ep_all'],
    ]);
    expect(queue.sent[0]?.job.webhookId).toBe(webhookIdFor('e1', 'ep_demo'));
    expect(store.applied.map((e) => e.id)).toEqual(['e2']);
    expect(counts.WebhookDeliveriesEnqueued).toBe(3);
  });

  it('a redelivered change event makes the same jobs (same webhook-ids)', async () => {
    const { consume, queue } = setup();
    const body = msg('e1', 'links.updated', { profileId: 'prof_demo', username: 'demo' });
    await consume(sqsEvent([body]));
    await consume(sqsEvent([body]));
    expect(queue.sent).toHaveLength(2);
    expect(queue.sent[1]?.job).toEqual(queue.sent[0]?.job);
  });

  it('jobs not enqueued fail their change records only; the clicks stay counted', async () => {
    const { consume, queue, store } = setup();
    queue.fail = true;
    const change = sqsRecord(msg('e1', 'links.updated', { profileId: 'prof_demo', username: 'demo' }));
    const click = sqsRecord(msg('e2', 'link.clicked', { profileId: 'prof_demo', linkId: 'l1' }));
    const res = await consume({ Records: [change, click] });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: change.messageId }]);
    expect(store.applied.map((e) => e.id)).toEqual(['e2']);
  });

  it('the endpoints table unreachable fails the change records', async () => {
    const { consume, endpoints } = setup();
    endpoints.failList = true;
    const change = sqsRecord(msg('e1', 'profile.updated', { profileId: 'prof_demo', username: 'demo' }));
    const res = await consume({ Records: [change] });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: change.messageId }]);
  });
});
