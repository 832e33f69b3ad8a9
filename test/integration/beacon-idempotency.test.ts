// A beacon resent after a time-out counts once: the track handler derives the queue event id from
// the client's id, and the consumer's ledger on the real Postgres does the rest.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgAnalyticsStore } from '../../lambdas/adapters/pg-analytics-store.ts';
import { makeConsumer } from '../../lambdas/consumer/handler.ts';
import type { EventPublisher, QueueEvent } from '../../lambdas/core/events.ts';
import type { HttpResult } from '../../lambdas/shared/http.ts';
import { makeHandler } from '../../lambdas/track/handler.ts';
import { apiEvent, lambdaContext } from '../helpers/events.ts';
import { makeProfile } from '../helpers/fakes.ts';
import { openTestDb, type TestDb } from '../helpers/pg.ts';
import { sqsEvent } from '../helpers/sqs.ts';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

let db: TestDb;
beforeAll(async () => {
  db = await openTestDb('postgres', 'beacon');
  await db.migrate();
});
afterAll(async () => {
  await db?.close();
});

/** The queue: keeps every batch it is given; the first one's answer is lost (a time-out). */
class LossyAckQueue implements EventPublisher {
  queued: QueueEvent[] = [];
  lostAcks = 1;
  async publish(event: QueueEvent) {
    this.queued.push(event);
  }
  async publishBatch(events: QueueEvent[]) {
    this.queued.push(...events);
    if (this.lostAcks-- > 0) throw new Error('socket timed out after the queue accepted the batch');
  }
}

it('a beacon resent after a time-out is counted once; one without a client id twice', async () => {
  const queue = new LossyAckQueue();
  const profile = makeProfile('demo', { id: 'prof-demo' });
  const track = makeHandler({
    service: { profile: async () => ({ profile, outcome: 'HIT' as const }) },
    config: { cache: { linksTtlS: 120 } },
    clickPublisher: queue,
    publisher: queue,
    clickBudgetMs: 300,
    queueRetentionS: 4 * 86_400,
    telemetry: { count: () => {}, warn: () => {} },
    log: { error: () => {} },
  });
  const post = async (events: unknown[]) =>
    (await track(
      apiEvent({
        method: 'POST',
        route: '/api/events',
        headers: { 'user-agent': CHROME, 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      }),
      lambdaContext('track'),
    )) as HttpResult;

  const withId = [
    { type: 'link.clicked', username: 'demo', linkId: 'lnk_shop', id: '6f1c2f43-5d8e-4c7a-9b1e-0a2b3c4d5e6f' },
    { type: 'profile.viewed', username: 'demo', id: '6f1c2f43-5d8e-4c7a-9b1e-0a2b3c4d5e70', utm: { source: 'ig' } },
  ];
  expect((await post(withId)).statusCode).toBe(503);
  expect((await post(withId)).statusCode).toBe(202);
  // The same two events without client ids: a resend is two new events.
  const without = withId.map(({ id: _, ...e }) => e);
  expect((await post(without)).statusCode).toBe(202);
  expect((await post(without)).statusCode).toBe(202);
  expect(queue.queued).toHaveLength(8);

  const consume = makeConsumer({ store: () => new PgAnalyticsStore(db.pool()) });
  // The first delivery in one batch, the resend in another (and once more, a redelivery).
  const bodies = queue.queued.map((e) => JSON.stringify(e));
  expect((await consume(sqsEvent(bodies.slice(0, 2)))).batchItemFailures).toEqual([]);
  expect((await consume(sqsEvent(bodies.slice(2)))).batchItemFailures).toEqual([]);
  expect((await consume(sqsEvent(bodies))).batchItemFailures).toEqual([]);

  const counted = async () =>
    (
      await db.pool().query<{ clicks: string; views: string; ledger: string }>(
        // The daily tier plus the raw rows of batches not rolled up yet: each applied event once.
        `SELECT coalesce(sum(clicks), 0)::text AS clicks, coalesce(sum(views), 0)::text AS views,
                (SELECT count(*) FROM applied_events)::text AS ledger
           FROM (SELECT views, clicks FROM analytics_dsig WHERE profile_id = 'prof-demo'
                 UNION ALL
                 SELECT r.views, r.clicks FROM analytics_pending p
                   JOIN analytics_raw r ON r.batch = p.batch AND r.bucket >= p.lo AND r.bucket <= p.hi
                  WHERE r.profile_id = 'prof-demo') t`,
      )
    ).rows[0];
  expect(await counted()).toEqual({ clicks: '3', views: '3', ledger: '6' });
  // The same once the rollup job has taken every batch.
  expect((await new PgAnalyticsStore(db.pool()).rollup({ upTo: Number.POSITIVE_INFINITY })).batches).toBeGreaterThan(0);
  expect(await counted()).toEqual({ clicks: '3', views: '3', ledger: '6' });
});
