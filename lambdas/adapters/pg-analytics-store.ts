// The analytics store on Postgres (Aurora in AWS, PGlite locally).
//
// apply(): one transaction per batch. The event ids go into `applied_events` first
// (ON CONFLICT DO NOTHING RETURNING id): only the ids that come back are new, and only those are
// aggregated and upserted. Ledger and counters commit together, so a redelivered message, a
// retried batch, or a crash between commit and the SQS delete can never count an event twice.
// Every statement is one multi-row `unnest` upsert with rows sorted by key, so concurrent batches
// take row locks in the same order and cannot deadlock.
//
// setAside(): the messages the consumer will not count (core/batch-apply.ts), one row each in
// `rejected_events`, keyed by message id so a redelivery adds nothing.
import type pg from 'pg';
import {
  type AnalyticsEvent,
  type AnalyticsQuery,
  type AnalyticsReport,
  type AnalyticsStore,
  type Aggregates,
  aggregate,
  denseSeries,
  type INTERVALS,
  ledgerId,
  rowCount,
} from '../core/analytics.ts';
import type { RejectedEventStore, Rejection } from '../core/batch-apply.ts';

const TOP_LINKS = 100;
const TOP_REFERRERS = 50;
const TOP_COUNTRIES = 250;

const INTERVAL_SQL: Record<keyof typeof INTERVALS, string> = {
  '10s': '10 seconds',
  '1m': '1 minute',
  '1h': '1 hour',
  '1d': '1 day',
};

// All four upserts in one statement (one round trip, one plan). Sub-statements the main query
// does not read run to completion one after another, in this order, for every batch: the same
// table order everywhere, and within a table the row order of the (sorted) arrays.
const UPSERT_ALL = `
WITH l AS (
  INSERT INTO link_clicks (profile_id, window_start, link_id, n)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bigint[])
  ON CONFLICT (profile_id, window_start, link_id) DO UPDATE SET n = link_clicks.n + EXCLUDED.n
), v AS (
  INSERT INTO profile_views (profile_id, window_start, n)
  SELECT * FROM unnest($5::text[], $6::timestamptz[], $7::bigint[])
  ON CONFLICT (profile_id, window_start) DO UPDATE SET n = profile_views.n + EXCLUDED.n
), r AS (
  INSERT INTO referrer_clicks (profile_id, window_start, referrer, n)
  SELECT * FROM unnest($8::text[], $9::timestamptz[], $10::text[], $11::bigint[])
  ON CONFLICT (profile_id, window_start, referrer) DO UPDATE SET n = referrer_clicks.n + EXCLUDED.n
), c AS (
  INSERT INTO country_clicks (profile_id, window_start, country, n)
  SELECT * FROM unnest($12::text[], $13::timestamptz[], $14::text[], $15::bigint[])
  ON CONFLICT (profile_id, window_start, country) DO UPDATE SET n = country_clicks.n + EXCLUDED.n
)
SELECT 1`;

// Records the ids; answers only how many were new (10,000 ids need not travel back).
const RECORD_IDS = `
WITH ins AS (
  INSERT INTO applied_events (id)
  SELECT unnest($1::uuid[])
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
)
SELECT count(*)::int AS n FROM ins`;

// When some were not new: the ones this transaction inserted are exactly those whose xmin is ours.
const NEW_IDS = `
SELECT id::text AS id FROM applied_events
WHERE id = ANY($1::uuid[]) AND xmin = pg_current_xact_id()::xid`;

const SET_ASIDE = `
INSERT INTO rejected_events (message_id, event_id, reason, body)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (message_id) DO NOTHING`;

/** Postgres text cannot hold NUL: the one thing that could make the set-aside fail like the poison did. */
const storable = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);

export interface PgAnalyticsStoreOptions {
  /** Hook between COMMIT and returning (tests simulate a crash after commit with it). */
  afterCommit?: () => Promise<void> | void;
}

export class PgAnalyticsStore implements AnalyticsStore, RejectedEventStore {
  readonly #pool: pg.Pool;
  readonly #opts: PgAnalyticsStoreOptions;

  constructor(pool: pg.Pool, opts: PgAnalyticsStoreOptions = {}) {
    this.#pool = pool;
    this.#opts = opts;
  }

  async apply(events: AnalyticsEvent[]): Promise<{ applied: number; duplicates: number; rows: number }> {
    if (events.length === 0) return { applied: 0, duplicates: 0, rows: 0 };
    // One event per id (the same message can be received twice within one gathered batch),
    // keyed as the ledger stores it.
    const byId = new Map<string, AnalyticsEvent>();
    for (const e of events) {
      const key = ledgerId(e.id);
      if (!byId.has(key)) byId.set(key, e);
    }
    // Sorted ids: two batches sharing ids wait on each other's ledger rows in the same order.
    const ids = [...byId.keys()].sort();

    const client = await this.#pool.connect();
    let rows = 0;
    let fresh: AnalyticsEvent[] = [];
    try {
      await client.query('BEGIN');
      const recording = client.query<{ n: number }>(RECORD_IDS, [ids]);
      // While Postgres inserts the ids, aggregate the whole batch on the assumption that every
      // id is new (the common case); redone for the new subset when some were already applied.
      const all = aggregate(byId.values());
      const inserted = (await recording).rows[0].n;
      let a = all;
      if (inserted === byId.size) {
        fresh = [...byId.values()];
      } else {
        const mine = inserted === 0 ? [] : (await client.query<{ id: string }>(NEW_IDS, [ids])).rows;
        fresh = mine.map((r) => byId.get(r.id) as AnalyticsEvent);
        a = aggregate(fresh);
      }
      rows = rowCount(a);
      if (rows) await client.query(UPSERT_ALL, upsertParams(a));
      await client.query('COMMIT');
    } catch (err) {
      // A statement error leaves the connection usable once rolled back: kept, so splitting a
      // batch around a poison event does not reconnect per part. One that cannot even roll back
      // is broken and discarded.
      const usable = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(usable ? undefined : err instanceof Error ? err : true);
      throw err;
    }
    client.release();
    await this.#opts.afterCommit?.();
    return { applied: fresh.length, duplicates: events.length - fresh.length, rows };
  }

  async setAside(rejections: Rejection[]): Promise<number> {
    const byMessage = new Map<string, Rejection>();
    for (const r of rejections) if (!byMessage.has(r.messageId)) byMessage.set(r.messageId, r);
    if (byMessage.size === 0) return 0;
    const rows = [...byMessage.values()];
    const res = await this.#pool.query(SET_ASIDE, [
      rows.map((r) => storable(r.messageId)),
      rows.map((r) => (r.eventId === undefined ? null : storable(r.eventId))),
      rows.map((r) => storable(r.reason)),
      rows.map((r) => storable(r.body)),
    ]);
    return res.rowCount ?? 0;
  }

  /**
   * Deletes ledger ids applied before `olderThan`, in chunks, for at most `budgetMs`. Outside the
   * batch transaction, so it never holds the aggregate rows' locks.
   */
  async prune(olderThan: Date, opts: { chunk?: number; budgetMs?: number } = {}): Promise<number> {
    const chunk = opts.chunk ?? 20_000;
    const deadline = Date.now() + (opts.budgetMs ?? 2_000);
    let total = 0;
    for (;;) {
      const res = await this.#pool.query(
        `DELETE FROM applied_events WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM applied_events WHERE applied_at < $1 LIMIT $2))`,
        [olderThan, chunk],
      );
      total += res.rowCount ?? 0;
      if ((res.rowCount ?? 0) < chunk || Date.now() >= deadline) return total;
    }
  }

  async report(profileId: string, q: AnalyticsQuery): Promise<AnalyticsReport> {
    const range = [profileId, q.from, q.to];
    const bin = INTERVAL_SQL[q.interval];
    // date_bin rolls the 10-second windows up; the origin is the Unix epoch, so buckets align to
    // UTC (1d = UTC days). Counts are bigint sums, read as strings and converted exactly.
    const [views, clicks, links, referrers, countries] = await Promise.all([
      this.#pool.query<{ t: Date; n: string }>(
        `SELECT date_bin('${bin}', window_start, TIMESTAMPTZ 'epoch') AS t, sum(n)::int8 AS n
           FROM profile_views WHERE profile_id = $1 AND window_start >= $2 AND window_start < $3
          GROUP BY 1`,
        range,
      ),
      this.#pool.query<{ t: Date; n: string }>(
        `SELECT date_bin('${bin}', window_start, TIMESTAMPTZ 'epoch') AS t, sum(n)::int8 AS n
           FROM link_clicks WHERE profile_id = $1 AND window_start >= $2 AND window_start < $3
          GROUP BY 1`,
        range,
      ),
      this.#pool.query<{ k: string; n: string }>(
        `SELECT link_id AS k, sum(n)::int8 AS n FROM link_clicks
          WHERE profile_id = $1 AND window_start >= $2 AND window_start < $3
          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${TOP_LINKS}`,
        range,
      ),
      this.#pool.query<{ k: string; n: string }>(
        `SELECT referrer AS k, sum(n)::int8 AS n FROM referrer_clicks
          WHERE profile_id = $1 AND window_start >= $2 AND window_start < $3
          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${TOP_REFERRERS}`,
        range,
      ),
      this.#pool.query<{ k: string; n: string }>(
        `SELECT country AS k, sum(n)::int8 AS n FROM country_clicks
          WHERE profile_id = $1 AND window_start >= $2 AND window_start < $3
          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${TOP_COUNTRIES}`,
        range,
      ),
    ]);
    const buckets = new Map<number, { t: number; views: number; clicks: number }>();
    const at = (t: Date) => {
      const key = t.getTime();
      let b = buckets.get(key);
      if (!b) {
        b = { t: key, views: 0, clicks: 0 };
        buckets.set(key, b);
      }
      return b;
    };
    let totalViews = 0;
    let totalClicks = 0;
    for (const r of views.rows) {
      const n = exact(r.n);
      at(r.t).views += n;
      totalViews += n;
    }
    for (const r of clicks.rows) {
      const n = exact(r.n);
      at(r.t).clicks += n;
      totalClicks += n;
    }
    return {
      totals: { views: totalViews, clicks: totalClicks },
      series: denseSeries(q, [...buckets.values()]),
      links: links.rows.map((r) => ({ linkId: r.k, clicks: exact(r.n) })),
      referrers: referrers.rows.map((r) => ({ referrer: r.k, clicks: exact(r.n) })),
      countries: countries.rows.map((r) => ({ country: r.k, clicks: exact(r.n) })),
    };
  }
}

/** The 15 parameter arrays of UPSERT_ALL; timestamps as ISO strings, one per window. */
const upsertParams = (a: Aggregates): unknown[] => {
  const iso = new Map<number, string>();
  const at = (d: Date): string => {
    const ms = d.getTime();
    let s = iso.get(ms);
    if (s === undefined) {
      s = d.toISOString();
      iso.set(ms, s);
    }
    return s;
  };
  return [
    a.linkClicks.map((r) => r.profileId),
    a.linkClicks.map((r) => at(r.windowStart)),
    a.linkClicks.map((r) => r.linkId),
    a.linkClicks.map((r) => r.n),
    a.profileViews.map((r) => r.profileId),
    a.profileViews.map((r) => at(r.windowStart)),
    a.profileViews.map((r) => r.n),
    a.referrers.map((r) => r.profileId),
    a.referrers.map((r) => at(r.windowStart)),
    a.referrers.map((r) => r.referrer),
    a.referrers.map((r) => r.n),
    a.countries.map((r) => r.profileId),
    a.countries.map((r) => at(r.windowStart)),
    a.countries.map((r) => r.country),
    a.countries.map((r) => r.n),
  ];
};

/** bigint arrives as a decimal string; counts stay far below 2^53, checked rather than assumed. */
const exact = (raw: string | number): number => {
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`count ${raw} is not a safe integer`);
  return n;
};
