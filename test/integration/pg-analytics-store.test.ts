// The Postgres analytics store against the real server and PGlite: exactly-once under
// redelivery and a crash between commit and delete, concurrent batches on the same rows,
// idempotent migrations, the report query, and poison isolated and set aside.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgAnalyticsStore, ROLLUP_BATCHES } from '../../lambdas/adapters/pg-analytics-store.ts';
import { type AnalyticsEvent, ledgerId } from '../../lambdas/core/analytics.ts';
import { applyIsolating, classifyStoreError } from '../../lambdas/core/batch-apply.ts';
import { type ConsumerDeps, makeConsumer } from '../../lambdas/consumer/handler.ts';
import { loadMigrations, migrate } from '../../lambdas/migrate/runner.ts';
import { type Backend, openTestDb, type TestDb } from '../helpers/pg.ts';
import { sqsEvent } from '../helpers/sqs.ts';

const T0 = Date.parse('2026-03-01T12:00:00Z');
/** The consumer's clock: the events at T0 are a minute old, well inside the ledger's horizon. */
const consumerAt = (store: PgAnalyticsStore, over: Partial<ConsumerDeps> = {}) =>
  makeConsumer({ store: () => store, now: () => T0 + 60_000, pruneProbability: 0, ...over });
/** A store whose clock is a minute after T0, so the test days are inside every retention. */
const storeAt = (pool: import('pg').Pool, opts: ConstructorParameters<typeof PgAnalyticsStore>[1] = {}) =>
  new PgAnalyticsStore(pool, { now: () => T0 + 60_000, ...opts });

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
    clicks: await one('SELECT coalesce(sum(clicks), 0) AS n FROM analytics_raw'),
    views: await one('SELECT coalesce(sum(views), 0) AS n FROM analytics_raw'),
    // The same clicks as the reports count them: the daily tier plus the batches still pending.
    tiered: await one(`SELECT coalesce(sum(clicks), 0) AS n FROM (
      SELECT clicks FROM analytics_dsig
      UNION ALL
      SELECT r.clicks FROM analytics_pending p
        JOIN analytics_raw r ON r.batch = p.batch AND r.bucket >= p.lo AND r.bucket <= p.hi) t`),
    ledger: await one('SELECT count(*) AS n FROM applied_events'),
    rejected: await one('SELECT count(*) AS n FROM rejected_events'),
  };
};

const ANALYTICS_TABLES = [
  'analytics_raw',
  'analytics_pending',
  'analytics_hsig',
  'analytics_dsig',
  'analytics_hdims',
  'analytics_ddims',
];
const reset = async (db: TestDb) => {
  await db.pool().query(`TRUNCATE applied_events, rejected_events, ${ANALYTICS_TABLES.join(', ')}`);
};

describe.each<Backend>(['postgres', 'pglite'])('PgAnalyticsStore on %s', (backend) => {
  let db: TestDb;
  let store: PgAnalyticsStore;

  beforeAll(async () => {
    db = await openTestDb(backend, 'store');
    const first = await db.migrate();
    expect(first.applied).toEqual([
      '001_init',
      '002_applied_events_uuid',
      '003_rejected_events',
      '004_analytics_tiers',
      '005_analytics_rollup',
    ]);
    store = storeAt(db.pool());
  });
  afterAll(async () => {
    await db?.close();
  });

  it('migrations are idempotent: a second run applies nothing and keeps the version', async () => {
    const again = await db.migrate();
    expect(again).toEqual({ applied: [], version: 5 });
    const { rows } = await db.pool().query('SELECT version FROM schema_migrations');
    expect(rows).toHaveLength(5);
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
      expect((await migrate(other.pool(), all)).applied).toEqual([
        '002_applied_events_uuid',
        '003_rejected_events',
        '004_analytics_tiers',
        '005_analytics_rollup',
      ]);
      const r = await storeAt(other.pool()).apply([...before, click()]);
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
    expect(await sums(db)).toEqual({ clicks: 3, views: 2, tiered: 3, ledger: 5, rejected: 0 });
    // Two batches appended (the redelivery appended nothing), each pending once.
    expect((await db.pool().query('SELECT batch FROM analytics_pending')).rows).toHaveLength(2);
    const w = await db
      .pool()
      .query<{ bucket: Date; n: string }>('SELECT bucket, views AS n FROM analytics_raw WHERE views > 0 ORDER BY 1');
    expect(w.rows.map((r) => [r.bucket.toISOString(), Number(r.n)])).toEqual([
      ['2026-03-01T12:00:00.000Z', 1],
      ['2026-03-01T12:00:10.000Z', 1],
    ]);
  });

  it('a crash after commit and before the SQS delete does not double count on redelivery', async () => {
    await reset(db);
    // The COMMIT lands, then the connection is lost before the answer arrives.
    const crashing = storeAt(db.pool(), {
      afterCommit: () => {
        throw new Error('Connection terminated unexpectedly');
      },
    });
    const events = [click(), click(), view()];
    const records = sqsEvent(events.map(body));
    const crashed = consumerAt(crashing);
    // The consumer reports every record as failed (it cannot know the commit landed)...
    const first = await crashed(records);
    expect(first.batchItemFailures).toHaveLength(3);
    // ...so SQS redelivers them all, and the healthy consumer finds them already applied.
    const healthy = consumerAt(store);
    expect((await healthy(records)).batchItemFailures).toEqual([]);
    expect(await sums(db)).toMatchObject({ clicks: 2, views: 1, ledger: 3 });
  });

  it('a failure after the commit that looks like data is split, and the re-applied parts count nothing again', async () => {
    await reset(db);
    let calls = 0;
    const flaky = storeAt(db.pool(), {
      afterCommit: () => {
        if (++calls === 1) throw new TypeError('mapping bug after COMMIT');
      },
    });
    const records = sqsEvent([click(), click(), view()].map(body));
    expect((await consumerAt(flaky)(records)).batchItemFailures).toEqual([]);
    expect(await sums(db)).toMatchObject({ clicks: 2, views: 1, ledger: 3, rejected: 0 });
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
    const stores = Array.from({ length: 4 }, () => storeAt(db.pool(4)));
    const results = await Promise.all(batches.map((batch, i) => stores[i % stores.length].apply(batch)));
    const applied = results.reduce((n, r) => n + r.applied, 0);
    expect(applied).toBe(8 * 60 + 40);
    const s = await sums(db);
    expect(s.clicks + s.views).toBe(8 * 60 + 40);
    expect(s.ledger).toBe(8 * 60 + 40);
    expect(s.tiered).toBe(s.clicks);
    // The rollup job moves every batch into the coarse tiers: the same clicks, none twice.
    expect(await store.rollup({ upTo: Number.POSITIVE_INFINITY, maxBatches: 1_000 })).toMatchObject({ batches: 8 });
    expect(await sums(db)).toEqual(s);
    expect((await db.pool().query('SELECT batch FROM analytics_pending')).rows).toHaveLength(0);
  });

  it('a rollup run takes at most ROLLUP_BATCHES batches and says when more are waiting', async () => {
    await reset(db);
    for (let i = 0; i < ROLLUP_BATCHES + 5; i++) await store.apply([click({ occurredAt: new Date(T0 + i * 1_000) })]);
    const before = await sums(db);
    expect(await store.rollup({ upTo: Number.POSITIVE_INFINITY })).toMatchObject({ batches: ROLLUP_BATCHES, more: true });
    expect(await store.rollup({ upTo: Number.POSITIVE_INFINITY })).toMatchObject({ batches: 5, more: false });
    expect(await sums(db)).toEqual(before);
  });

  it('stores values with backslashes, quotes and tabs as they are (COPY on Postgres, arrays on PGlite)', async () => {
    await reset(db);
    const odd = 'C:\\tmp "x"\tend';
    await store.apply([
      click({ occurredAt: new Date(T0 + 1_000), linkId: 'a\\b', country: 'US', city: odd, region: 'R\\1', browser: 'B"r' }),
    ]);
    const r = await store.report('p1', { from: new Date(T0), to: new Date(T0 + 60_000), interval: '10s' });
    expect(r.links).toEqual([{ linkId: 'a\\b', clicks: 1, uniqueClicks: 0 }]);
    expect(r.cities).toEqual([{ country: 'US', city: odd, clicks: 1 }]);
    expect(r.regions).toEqual([{ country: 'US', region: 'R\\1', clicks: 1 }]);
    expect(r.browsers).toEqual([{ browser: 'B"r', views: 0, clicks: 1 }]);
  });

  it('bins 10-second windows with date_bin and reports exact totals, tops and a dense series', async () => {
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
    expect(report.totals).toEqual({ views: 2, clicks: 3, visitors: 0 });
    expect(report.series).toEqual([
      { t: '2026-03-01T12:00:00.000Z', views: 1, clicks: 2, visitors: 0 },
      { t: '2026-03-01T12:01:00.000Z', views: 0, clicks: 1, visitors: 0 },
      { t: '2026-03-01T12:02:00.000Z', views: 1, clicks: 0, visitors: 0 },
    ]);
    expect(report.links).toEqual([
      { linkId: 'a', clicks: 2, uniqueClicks: 0 },
      { linkId: 'b', clicks: 1, uniqueClicks: 0 },
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
    const failing = storeAt(broken);
    // Make the second statement fail mid-transaction.
    await db.pool().query(`ALTER TABLE analytics_pending RENAME TO analytics_pending_gone`);
    try {
      const consumer = consumerAt(failing);
      const res = await consumer(sqsEvent([body(click()), body(view()), 'not json']));
      expect(res.batchItemFailures).toHaveLength(3);
    } finally {
      await db.pool().query(`ALTER TABLE analytics_pending_gone RENAME TO analytics_pending`);
    }
    expect(await sums(db)).toMatchObject({ clicks: 0, views: 0, ledger: 0 });
  });

  const rejectedRows = async () =>
    (
      await db
        .pool()
        .query<{ message_id: string; event_id: string | null; reason: string; body: string }>(
          'SELECT message_id, event_id, reason, body FROM rejected_events ORDER BY message_id',
        )
    ).rows;

  it('Postgres refuses a NUL in a stored value with a data error, which the consumer splits on', async () => {
    await reset(db);
    const err = await store.apply([click({ linkId: 'lnk_shop\u0000x' })]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '22021' });
    expect(classifyStoreError(err)).toBe('data');
    expect(await sums(db)).toMatchObject({ clicks: 0, ledger: 0 });
  });

  it('a NUL linkId that bypassed the edge is isolated by bisection: the others count exactly once', async () => {
    await reset(db);
    const good = Array.from({ length: 40 }, (_, i) => (i % 4 ? click : view)({ linkId: i % 4 ? `l${i % 3}` : undefined }));
    const poison = click({ linkId: 'lnk_shop\u0000x' });
    const batch = [...good.slice(0, 23), poison, ...good.slice(23)].map((event, i) => ({
      message: { id: `m${i}`, body: body(event) },
      event,
    }));
    const r = await applyIsolating(store, batch, { budgetMs: 30_000, now: Date.now });
    expect(r.poison.map((p) => p.item.event.id)).toEqual([poison.id]);
    expect(r.poison[0].reason).toMatch(/^poison: 22021: invalid byte sequence for encoding "UTF8": 0x00/);
    expect(r.retry).toBeUndefined();
    expect(r.applied).toBe(40);
    expect(await sums(db)).toMatchObject({ clicks: 30, views: 10, ledger: 40 });
    // Again (a redelivery): all duplicates, nothing counted twice.
    const again = await applyIsolating(store, batch, { budgetMs: 30_000, now: Date.now });
    expect(again).toMatchObject({ applied: 0, duplicates: 40 });
    expect(await sums(db)).toMatchObject({ clicks: 30, views: 10, ledger: 40 });
  });

  it('the consumer sets a NUL linkId aside in rejected_events and counts the rest once; a redelivery adds nothing', async () => {
    await reset(db);
    const events = [click(), click({ linkId: 'l2' }), view(), click()];
    const nul = JSON.stringify({
      id: 'b5a3b8de-3c52-4f0e-9a51-7d1b1c1c0001',
      type: 'link.clicked',
      occurredAt: new Date(T0 + 3_000).toISOString(),
      data: { profileId: 'p1', username: 'demo', linkId: 'lnk_shop\u0000x' },
    });
    const records = sqsEvent([...events.slice(0, 2).map(body), nul, ...events.slice(2).map(body)]);
    const consume = consumerAt(store);
    expect((await consume(records)).batchItemFailures).toEqual([]);
    expect(await sums(db)).toMatchObject({ clicks: 3, views: 1, ledger: 4, rejected: 1 });
    const [row] = await rejectedRows();
    expect(row).toEqual({
      message_id: records.Records[2].messageId,
      event_id: 'b5a3b8de-3c52-4f0e-9a51-7d1b1c1c0001',
      reason: 'malformed: data.linkId: must not contain control characters',
      body: nul,
    });
    expect((await consume(records)).batchItemFailures).toEqual([]);
    expect(await sums(db)).toMatchObject({ clicks: 3, views: 1, ledger: 4, rejected: 1 });
  });

  it('a value the database refuses for an unforeseen reason is found by splitting and set aside, once', async () => {
    await reset(db);
    // Stands in for any row-level refusal the parser cannot foresee.
    await db.pool().query(`ALTER TABLE analytics_raw ADD CONSTRAINT no_poison CHECK (link_id <> 'lnk_poison')`);
    try {
      const events = Array.from({ length: 25 }, (_, i) => click({ linkId: `l${i % 4}` }));
      const poison = click({ linkId: 'lnk_poison' });
      const records = sqsEvent([...events.slice(0, 11), poison, ...events.slice(11)].map(body));
      const consume = consumerAt(store);
      expect((await consume(records)).batchItemFailures).toEqual([]);
      expect(await sums(db)).toMatchObject({ clicks: 25, tiered: 25, ledger: 25, rejected: 1 });
      const [row] = await rejectedRows();
      expect(row.message_id).toBe(records.Records[11].messageId);
      expect(row.event_id).toBe(poison.id);
      expect(row.reason).toMatch(
        /^poison: 23514: new row for relation "analytics_raw_\w+" violates check constraint "no_poison"/,
      );
      expect(JSON.parse(row.body)).toMatchObject({ id: poison.id, data: { linkId: 'lnk_poison' } });
      // The same batch redelivered: nothing counted twice, no second rejected row.
      expect((await consume(records)).batchItemFailures).toEqual([]);
      expect(await sums(db)).toMatchObject({ clicks: 25, ledger: 25, rejected: 1 });
    } finally {
      await db.pool().query('ALTER TABLE analytics_raw DROP CONSTRAINT no_poison');
    }
  });

  it('events older than the ledger horizon are set aside, not counted', async () => {
    await reset(db);
    const consume = consumerAt(store, { now: () => T0 + 121 * 3_600_000, retentionMs: 120 * 3_600_000 });
    const fresh = click({ occurredAt: new Date(T0 + 2 * 3_600_000) });
    const res = await consume(sqsEvent([body(click()), body(fresh)]));
    expect(res.batchItemFailures).toEqual([]);
    expect(await sums(db)).toMatchObject({ clicks: 1, ledger: 1, rejected: 1 });
    expect((await rejectedRows())[0].reason).toBe('older than the exactly-once ledger horizon (120 h)');
  });

  it('setAside stores text without NUL, so it cannot fail the way the poison did', async () => {
    await reset(db);
    const n = await store.setAside([
      { messageId: 'm\u0000-1', eventId: 'e\u0000', reason: 'why\u0000', body: '{"raw":"\u0000"}' },
      { messageId: 'm-2', reason: 'no id', body: '[]' },
      { messageId: 'm-2', reason: 'the same message twice', body: '[]' },
    ]);
    expect(n).toBe(2);
    expect(await rejectedRows()).toEqual([
      { message_id: 'm-1', event_id: 'e', reason: 'why', body: '{"raw":""}' },
      { message_id: 'm-2', event_id: null, reason: 'no id', body: '[]' },
    ]);
    expect(await store.setAside([{ messageId: 'm-2', reason: 'again', body: '[]' }])).toBe(0);
  });

  it.runIf(backend === 'postgres')('splitting reuses the connection after a data error instead of reconnecting', async () => {
    await reset(db);
    const pool = db.pool(1);
    let connects = 0;
    pool.on('connect', () => {
      connects++;
    });
    const own = storeAt(pool);
    const poison = click({ linkId: 'x\u0000' });
    const batch = [click(), poison, click(), click()].map((event, i) => ({ message: { id: `m${i}`, body: '' }, event }));
    const r = await applyIsolating(own, batch, { budgetMs: 30_000, now: Date.now });
    expect(r.poison).toHaveLength(1);
    expect(r.transactions).toBeGreaterThan(2);
    expect(connects).toBe(1);
  });
});
