// The analytics store on Postgres (Aurora in AWS, PGlite locally).
//
// apply(): one transaction per batch. The event ids go into `applied_events` first
// (ON CONFLICT DO NOTHING RETURNING id): only the ids that come back are new, and only those are
// aggregated and upserted. Ledger and counters commit together, so a redelivered message, a
// retried batch, or a crash between commit and the SQS delete can never count an event twice.
// Every statement is one multi-row `unnest` upsert with rows sorted by key, so concurrent batches
// take row locks in the same order and cannot deadlock.
import type pg from 'pg';
import {
  type AnalyticsEvent,
  type AnalyticsQuery,
  type AnalyticsReport,
  type AnalyticsStore,
  aggregate,
  denseSeries,
  INTERVALS,
  rowCount,
} from '../core/analytics.ts';

const TOP_LINKS = 100;
const TOP_REFERRERS = 50;
const TOP_COUNTRIES = 250;

const INTERVAL_SQL: Record<keyof typeof INTERVALS, string> = { '10s': '10 seconds', '1m': '1 minute', '1h': '1 hour', '1d': '1 day' };

const UPSERT_LINKS = `
INSERT INTO link_clicks (profile_id, window_start, link_id, n)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bigint[])
ON CONFLICT (profile_id, window_start, link_id) DO UPDATE SET n = link_clicks.n + EXCLUDED.n`;

const UPSERT_VIEWS = `
INSERT INTO profile_views (profile_id, window_start, n)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[])
ON CONFLICT (profile_id, window_start) DO UPDATE SET n = profile_views.n + EXCLUDED.n`;

const UPSERT_REFERRERS = `
INSERT INTO referrer_clicks (profile_id, window_start, referrer, n)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bigint[])
ON CONFLICT (profile_id, window_start, referrer) DO UPDATE SET n = referrer_clicks.n + EXCLUDED.n`;

const UPSERT_COUNTRIES = `
INSERT INTO country_clicks (profile_id, window_start, country, n)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bigint[])
ON CONFLICT (profile_id, window_start, country) DO UPDATE SET n = country_clicks.n + EXCLUDED.n`;

const RECORD_IDS = `
INSERT INTO applied_events (id)
SELECT unnest($1::text[])
ON CONFLICT (id) DO NOTHING
RETURNING id`;

export interface PgAnalyticsStoreOptions {
  /** Hook between COMMIT and returning (tests simulate a crash after commit with it). */
  afterCommit?: () => Promise<void> | void;
}

export class PgAnalyticsStore implements AnalyticsStore {
  readonly #pool: pg.Pool;
  readonly #opts: PgAnalyticsStoreOptions;

  constructor(pool: pg.Pool, opts: PgAnalyticsStoreOptions = {}) {
    this.#pool = pool;
    this.#opts = opts;
  }

  async apply(events: AnalyticsEvent[]): Promise<{ applied: number; duplicates: number; rows: number }> {
    if (events.length === 0) return { applied: 0, duplicates: 0, rows: 0 };
    // One event per id (the same message can be received twice within one gathered batch).
    const byId = new Map<string, AnalyticsEvent>();
    for (const e of events) if (!byId.has(e.id)) byId.set(e.id, e);
    // Sorted ids: two batches sharing ids wait on each other's ledger rows in the same order.
    const ids = [...byId.keys()].sort();

    const client = await this.#pool.connect();
    let rows = 0;
    let fresh: AnalyticsEvent[] = [];
    try {
      await client.query('BEGIN');
      const recorded = await client.query<{ id: string }>(RECORD_IDS, [ids]);
      fresh = recorded.rows.map((r) => byId.get(r.id) as AnalyticsEvent);
      const a = aggregate(fresh);
      rows = rowCount(a);
      if (a.linkClicks.length) {
        await client.query(UPSERT_LINKS, [
          a.linkClicks.map((r) => r.profileId),
          a.linkClicks.map((r) => r.windowStart),
          a.linkClicks.map((r) => r.linkId),
          a.linkClicks.map((r) => r.n),
        ]);
      }
      if (a.profileViews.length) {
        await client.query(UPSERT_VIEWS, [
          a.profileViews.map((r) => r.profileId),
          a.profileViews.map((r) => r.windowStart),
          a.profileViews.map((r) => r.n),
        ]);
      }
      if (a.referrers.length) {
        await client.query(UPSERT_REFERRERS, [
          a.referrers.map((r) => r.profileId),
          a.referrers.map((r) => r.windowStart),
          a.referrers.map((r) => r.referrer),
          a.referrers.map((r) => r.n),
        ]);
      }
      if (a.countries.length) {
        await client.query(UPSERT_COUNTRIES, [
          a.countries.map((r) => r.profileId),
          a.countries.map((r) => r.windowStart),
          a.countries.map((r) => r.country),
          a.countries.map((r) => r.n),
        ]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      // A connection that failed mid-transaction is discarded, not returned to the pool.
      client.release(err instanceof Error ? err : true);
      throw err;
    }
    client.release();
    await this.#opts.afterCommit?.();
    return { applied: fresh.length, duplicates: events.length - fresh.length, rows };
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
      if (!b) buckets.set(key, (b = { t: key, views: 0, clicks: 0 }));
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

/** bigint arrives as a decimal string; counts stay far below 2^53, checked rather than assumed. */
const exact = (raw: string | number): number => {
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`count ${raw} is not a safe integer`);
  return n;
};
