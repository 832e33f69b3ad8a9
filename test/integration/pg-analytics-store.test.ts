// The Postgres analytics store against the real server and PGlite: exactly-once under
// redelivery and a crash between commit and delete, concurrent batches on the same rows,
// idempotent migrations, and the rollup query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgAnalyticsStore } from '../../lambdas/adapters/pg-analytics-store.ts';
import { type AnalyticsEvent, ledgerId } from '../../lambdas/core/analytics.ts';
import { makeConsumer } from '../../lambdas/consumer/handler.ts';
import { loadMigrations, migrate } from '../../lambdas/migrate/runner.ts';
import { type Backend, openTestDb, type TestDb } from '../helpers/pg.ts';
import { sqsEvent } from '../helpers/sqs.ts';

const T0 = Date.parse('2026-03-01T12:00:00Z');

let seq = 0;
const click = (over: Partial<AnalyticsEvent> = {}): AnalyticsEvent => ({
  id: `e-${++seq}-${Math.random().toString(36).slice(2)}`,
  type: 'link.clicked',
  occurredAt: new Date(T0 + 3_000),
  profileId: 'p1',
  linkId: 'l1',
  referrer: 'https://www.instagram.com/x',
  country: 'DE',
  ...over,
});
const view = (over: Partial<AnalyticsEvent> = {}): AnalyticsEvent => ({
  ...click(over),
  type: 'profile.viewed',
  linkId: undefined,
  ...over,
});

const body = (e: AnalyticsEvent) =>
  JSON.stringify({
    id: e.id,
    type: e.type,
    occurredAt: e.occurredAt.toISOString(),
    data: { profileId: e.profileId, linkId: e.linkId, referrer: e.referrer, country: e.country },
  });

const sums = async (db: TestDb) => {
  const p = db.pool();
  const one = async (sql: string) => Number((await p.query<{ n: string }>(sql)).rows[0].n ?? 0);
  return {
    clicks: await one('SELECT coalesce(sum(n), 0) AS n FROM link_clicks'),
    views: await one('SELECT coalesce(sum(n), 0) AS n FROM profile_views'),
    referrers: await one('SELECT coalesce(sum(n), 0) AS n FROM referrer_clicks'),
    countries: await one('SELECT coalesce(sum(n), 0) AS n FROM country_clicks'),
    ledger: await one('SELECT count(*) AS n FROM applied_events'),
  };
};

const reset = async (db: TestDb) => {
  await db.pool().query('TRUNCATE applied_events, link_clicks, profile_views, referrer_clicks, country_clicks');
};

describe.each<Backend>(['postgres', 'pglite'])('PgAnalyticsStore on %s', (backend) => {
  let db: TestDb;
  let store: PgAnalyticsStore;

  beforeAll(async () => {
    db = await openTestDb(backend, 'store');
    const first = await db.migrate();
    expect(first.applied).toEqual(['001_init', '002_applied_events_uuid']);
    store = new PgAnalyticsStore(db.pool());
  });
  afterAll(async () => {
    await db?.close();
  });

  it('migrations are idempotent: a second run applies nothing and keeps the version', async () => {
    const again = await db.migrate();
    expect(again).toEqual({ applied: [], version: 2 });
    const { rows } = await db.pool().query('SELECT version FROM schema_migrations');
    expect(rows).toHaveLength(2);
  });

  it('ledgerId agrees with md5(id)::uuid in Postgres, so ids converted by migration 002 still dedupe', async () => {
    for (const id of ['msg_1', 'webhook-42', 'ÄÖÜ', '0B7E6A1C-2F5D-4C1E-9B8A-1234567890AB']) {
      const { rows } = await db
        .pool()
        .query<{ u: string }>(
          `SELECT CASE WHEN $1 ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN $1::uuid ELSE md5($1)::uuid END::text AS u`,
          [id],
        );
      expect(ledgerId(id)).toBe(rows[0].u);
    }
  });

  it('migration 002 converts text ledger ids in place: events applied before it are still duplicates after', async () => {
    const other = await openTestDb(backend, 'mig');
    try {
      const all = await loadMigrations();
      await migrate(other.pool(), all.slice(0, 1));
      const before = [click({ id: 'legacy-text-id' }), click({ id: '6F9619FF-8B86-4011-B42D-00C04FC964FF' })];
      // Applied under the text schema by the previous code path.
      await other
        .pool()
        .query(`INSERT INTO applied_events (id) VALUES ('legacy-text-id'), ('6F9619FF-8B86-4011-B42D-00C04FC964FF')`);
      expect((await migrate(other.pool(), all)).applied).toEqual(['002_applied_events_uuid']);
      const r = await new PgAnalyticsStore(other.pool()).apply([...before, click()]);
      expect(r).toMatchObject({ applied: 1, duplicates: 2 });
    } finally {
      await other.close();
    }
  });

  it('concurrent migration runs serialize on the advisory lock', async () => {
    const runs = await Promise.all([db.migrate(db.pool(1)), db.migrate(db.pool(1)), db.migrate()]);
    for (const r of runs) expect(r.applied).toEqual([]);
  });

  it('counts a batch once and a redelivered batch not again', async () => {
    await reset(db);
    const batch = [click(), click({ linkId: 'l2' }), view(), view({ occurredAt: new Date(T0 + 12_000) })];
    expect(await store.apply(batch)).toMatchObject({ applied: 4, duplicates: 0 });
    expect(await store.apply(batch)).toMatchObject({ applied: 0, duplicates: 4 });
    // A batch overlapping the first: only the new event counts.
    expect(await store.apply([batch[0], click({ linkId: 'l2' })])).toMatchObject({ applied: 1, duplicates: 1 });
    expect(await sums(db)).toEqual({ clicks: 3, views: 2, referrers: 3, countries: 3, ledger: 5 });
    const w = await db.pool().query<{ window_start: Date; n: string }>('SELECT window_start, n FROM profile_views ORDER BY 1');
    expect(w.rows.map((r) => [r.window_start.toISOString(), Number(r.n)])).toEqual([
      ['2026-03-01T12:00:00.000Z', 1],
      ['2026-03-01T12:00:10.000Z', 1],
    ]);
  });

  it('a crash after commit and before the SQS delete does not double count on redelivery', async () => {
    await reset(db);
    const crashing = new PgAnalyticsStore(db.pool(), {
      afterCommit: () => {
        throw new Error('container died after COMMIT');
      },
    });
    const events = [click(), click(), view()];
    const records = sqsEvent(events.map(body));
    const crashed = makeConsumer({ store: () => crashing });
    // The consumer reports every record as failed (it cannot know the commit landed)...
    const first = await crashed(records);
    expect(first.batchItemFailures).toHaveLength(3);
    // ...so SQS redelivers them all, and the healthy consumer finds them already applied.
    const healthy = makeConsumer({ store: () => store });
    expect((await healthy(records)).batchItemFailures).toEqual([]);
    expect(await sums(db)).toMatchObject({ clicks: 2, views: 1, ledger: 3 });
  });

  it('an event received twice inside one gathered batch counts once', async () => {
    await reset(db);
    const e = click();
    const r = await store.apply([e, e, view()]);
    expect(r).toMatchObject({ applied: 2, duplicates: 1 });
    expect(await sums(db)).toMatchObject({ clicks: 1, views: 1 });
  });

  it('concurrent batches touching the same rows are all counted, without deadlocks', async () => {
    await reset(db);
    // 8 batches over the same 3 profiles × 3 links × 2 windows, each with its own key order,
    // half of them sharing events with another batch (a redelivery racing the original).
    const shared = Array.from({ length: 40 }, (_, i) =>
      click({ profileId: `p${i % 3}`, linkId: `l${i % 3}`, occurredAt: new Date(T0 + (i % 2) * 10_000) }),
    );
    const batches = Array.from({ length: 8 }, (_, b) => {
      const own = Array.from({ length: 60 }, (_, i) =>
        (i % 4 === 0 ? view : click)({
          profileId: `p${(i + b) % 3}`,
          linkId: `l${(i * 7 + b) % 3}`,
          occurredAt: new Date(T0 + ((i + b) % 2) * 10_000),
        }),
      );
      const mine = b % 2 === 0 ? [...own, ...shared] : own;
      return b % 3 === 0 ? mine.reverse() : mine;
    });
    const stores = Array.from({ length: 4 }, () => new PgAnalyticsStore(db.pool(4)));
    const results = await Promise.all(batches.map((batch, i) => stores[i % stores.length].apply(batch)));
    const applied = results.reduce((n, r) => n + r.applied, 0);
    expect(applied).toBe(8 * 60 + 40);
    const s = await sums(db);
    expect(s.clicks + s.views).toBe(8 * 60 + 40);
    expect(s.ledger).toBe(8 * 60 + 40);
    expect(s.referrers).toBe(s.clicks);
    expect(s.countries).toBe(s.clicks);
  });

  it('rolls 10-second windows up with date_bin and reports exact totals, tops and a dense series', async () => {
    await reset(db);
    await store.apply([
      click({ occurredAt: new Date(T0 + 1_000), linkId: 'a', referrer: 'https://t.co/x', country: 'US' }),
      click({ occurredAt: new Date(T0 + 59_999), linkId: 'a', referrer: undefined, country: undefined }),
      click({ occurredAt: new Date(T0 + 61_000), linkId: 'b', referrer: 'https://t.co/y', country: 'US' }),
      view({ occurredAt: new Date(T0 + 5_000) }),
      view({ occurredAt: new Date(T0 + 125_000) }),
      view({ occurredAt: new Date(T0 + 200_000) }), // outside [from, to)
      click({ profileId: 'other', occurredAt: new Date(T0 + 1_000) }),
    ]);
    const report = await store.report('p1', { from: new Date(T0), to: new Date(T0 + 180_000), interval: '1m' });
    expect(report.totals).toEqual({ views: 2, clicks: 3 });
    expect(report.series).toEqual([
      { t: '2026-03-01T12:00:00.000Z', views: 1, clicks: 2 },
      { t: '2026-03-01T12:01:00.000Z', views: 0, clicks: 1 },
      { t: '2026-03-01T12:02:00.000Z', views: 1, clicks: 0 },
    ]);
    expect(report.links).toEqual([
      { linkId: 'a', clicks: 2 },
      { linkId: 'b', clicks: 1 },
    ]);
    expect(report.referrers).toEqual([
      { referrer: 't.co', clicks: 2 },
      { referrer: '(direct)', clicks: 1 },
    ]);
    expect(report.countries).toEqual([
      { country: 'US', clicks: 2 },
      { country: '(unknown)', clicks: 1 },
    ]);
    const tenS = await store.report('p1', { from: new Date(T0), to: new Date(T0 + 20_000), interval: '10s' });
    expect(tenS.series.map((p) => p.clicks)).toEqual([1, 0]);
  });

  it('prunes ledger ids past retention, and only those', async () => {
    await reset(db);
    await store.apply([click(), click(), click()]);
    await db
      .pool()
      .query(
        `UPDATE applied_events SET applied_at = now() - interval '6 days' WHERE id IN (SELECT id FROM applied_events LIMIT 2)`,
      );
    expect(await store.prune(new Date(Date.now() - 5 * 86_400_000), { chunk: 1 })).toBe(2);
    expect((await sums(db)).ledger).toBe(1);
  });

  it('a database outage fails the whole batch and keeps nothing half-applied', async () => {
    await reset(db);
    const broken = db.pool(1);
    await broken.query('SELECT 1');
    const failing = new PgAnalyticsStore(broken);
    // Make the second statement fail mid-transaction.
    await db.pool().query(`ALTER TABLE link_clicks RENAME TO link_clicks_gone`);
    try {
      const consumer = makeConsumer({ store: () => failing });
      const res = await consumer(sqsEvent([body(click()), body(view()), 'not json']));
      expect(res.batchItemFailures).toHaveLength(3);
    } finally {
      await db.pool().query(`ALTER TABLE link_clicks_gone RENAME TO link_clicks`);
    }
    expect(await sums(db)).toMatchObject({ clicks: 0, views: 0, ledger: 0 });
  });
});
