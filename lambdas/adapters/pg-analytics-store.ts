// The analytics store on Postgres (Aurora in AWS, PGlite locally); schema in migration 004.
//
// apply(): one transaction per batch, two statements. The first records the event ids in
// `applied_events` and the batch's visitors in the day's dedupe tables (ON CONFLICT DO NOTHING);
// it answers how many ids were new and which visitors. The second upserts the facts and dims rows
// of the three tiers (10 s, 1 h, 1 d), built by one aggregation in JS, with the new visitors
// credited to the rows of their first event. Ledger, visitors and counters commit together, so a
// redelivered message, a retried batch, or a crash between commit and the SQS delete can never
// count an event, a visitor or a unique click twice; and since every tier is written by the same
// statement, an hourly or daily row is exactly the sum of the raw windows it covers.
// Every insert takes its rows in the table's key order (the ledger and visitors sorted in SQL, the
// aggregate rows sorted in JS and taken in array order), so concurrent batches take row locks in
// the same order and cannot deadlock.
//
// maintain(): partitions ahead, expired partitions dropped (raw after ANALYTICS_RAW_RETENTION_D
// days, hourly after 400, visitor dedupe after the ledger's horizon), each DROP under a short
// lock_timeout so it never queues the batches behind it.
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
  type DimRow,
  type FactRow,
  type SigRow,
  finestInterval,
  type Interval,
  ledgerId,
  type Retention,
  rowCount,
  TIERS,
  type Tier,
} from '../core/analytics.ts';
import type { RejectedEventStore, Rejection } from '../core/batch-apply.ts';
import { readReport } from './pg-analytics-reports.ts';

const DAY_MS = 86_400_000;

// Records ids and visitors; answers only how many ids were new (10,000 ids need not travel
// back) and the visitor keys that were new (as core/analytics.ts visitorKey builds them).
const RECORD = `
WITH ins AS (
  INSERT INTO applied_events (id)
  SELECT id FROM unnest($1::uuid[]) AS u (id) ORDER BY id
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
), v AS (
  INSERT INTO analytics_visitors (day, profile_id, visitor)
  SELECT d, p, v FROM unnest($2::date[], $3::text[], $4::uuid[]) AS u (d, p, v) ORDER BY d, p COLLATE "C", v
  ON CONFLICT DO NOTHING
  RETURNING to_char(day, 'YYYY-MM-DD') || chr(1) || profile_id || chr(1) || visitor::text AS k
), l AS (
  INSERT INTO analytics_link_visitors (day, profile_id, link_id, visitor)
  SELECT d, p, l, v FROM unnest($5::date[], $6::text[], $7::text[], $8::uuid[]) AS u (d, p, l, v)
  ORDER BY d, p COLLATE "C", l COLLATE "C", v
  ON CONFLICT DO NOTHING
  RETURNING to_char(day, 'YYYY-MM-DD') || chr(1) || profile_id || chr(1) || link_id || chr(1) || visitor::text AS k
)
SELECT (SELECT count(*) FROM ins)::int AS n,
       coalesce((SELECT array_agg(k) FROM v), '{}') AS v,
       coalesce((SELECT array_agg(k) FROM l), '{}') AS l`;

// When some were not new: the ones this transaction inserted are exactly those whose xmin is ours.
const NEW_IDS = `
SELECT id::text AS id FROM applied_events
WHERE id = ANY($1::uuid[]) AND xmin = pg_current_xact_id()::xid`;

const factsUpsert = (tier: Tier, at: number) => {
  const p = (i: number) => `$${at + i}`;
  return `f${tier} AS (
  INSERT INTO analytics_facts_${tier} AS t (profile_id, bucket, link_id, country, device, views, clicks, visitors, uniques)
  SELECT p, to_timestamp(b), l, c, d, v, k, vi, un
    FROM unnest(${p(0)}::text[], ${p(1)}::int8[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[],
                ${p(5)}::int8[], ${p(6)}::int8[], ${p(7)}::int8[], ${p(8)}::int8[]) WITH ORDINALITY AS u (p, b, l, c, d, v, k, vi, un, o)
   ORDER BY o
  ON CONFLICT (profile_id, bucket, link_id, country, device) DO UPDATE
    SET views = t.views + EXCLUDED.views, clicks = t.clicks + EXCLUDED.clicks,
        visitors = t.visitors + EXCLUDED.visitors, uniques = t.uniques + EXCLUDED.uniques
)`;
};
const SIG_COLS = [
  'profile_id',
  'bucket',
  'link_id',
  'country',
  'device',
  'referrer',
  'region',
  'city',
  'browser',
  'os',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'covered',
] as const;
const sigUpsert = (tier: Tier, at: number) => {
  const p = (i: number) => `$${at + i}`;
  const types = SIG_COLS.map((c, i) => `${p(i)}::${c === 'bucket' ? 'int8' : c === 'covered' ? 'bool' : 'text'}[]`);
  const alias = SIG_COLS.map((_, i) => `c${i}`);
  return `s${tier} AS (
  INSERT INTO analytics_sig_${tier} AS t (${SIG_COLS.join(', ')}, views, clicks)
  SELECT ${alias.map((a, i) => (SIG_COLS[i] === 'bucket' ? `to_timestamp(${a})` : a)).join(', ')}, v, k
    FROM unnest(${types.join(', ')}, ${p(14)}::int8[], ${p(15)}::int8[]) WITH ORDINALITY AS u (${alias.join(', ')}, v, k, o)
   ORDER BY o
  ON CONFLICT (${SIG_COLS.join(', ')}) DO UPDATE
    SET views = t.views + EXCLUDED.views, clicks = t.clicks + EXCLUDED.clicks
)`;
};
const dimsUpsert = (tier: Tier, at: number) => {
  const p = (i: number) => `$${at + i}`;
  return `d${tier} AS (
  INSERT INTO analytics_dims_${tier} AS t (profile_id, bucket, dim, country, value, views, clicks)
  SELECT p, to_timestamp(b), m, c, x, v, k
    FROM unnest(${p(0)}::text[], ${p(1)}::int8[], ${p(2)}::int2[], ${p(3)}::text[], ${p(4)}::text[],
                ${p(5)}::int8[], ${p(6)}::int8[]) WITH ORDINALITY AS u (p, b, m, c, x, v, k, o)
   ORDER BY o
  ON CONFLICT (profile_id, bucket, dim, country, value) DO UPDATE
    SET views = t.views + EXCLUDED.views, clicks = t.clicks + EXCLUDED.clicks
)`;
};

/** Tiers with dims tables (summed over the filter columns). */
const DIM_TIERS: readonly Tier[] = ['1h', '1d'];

// All upserts in one statement (one round trip, one plan). Sub-statements the main query does
// not read run to completion one after another, in this order, for every batch: the same table
// order everywhere, and within a table the key order of the ORDER BY. Per tier: 9 facts columns,
// 16 signature columns, then (hourly, daily) 7 dims columns.
const UPSERT_ALL = (() => {
  const parts: string[] = [];
  let at = 1;
  for (const t of TIERS) {
    parts.push(factsUpsert(t, at));
    at += 9;
    parts.push(sigUpsert(t, at));
    at += 16;
    if (DIM_TIERS.includes(t)) {
      parts.push(dimsUpsert(t, at));
      at += 7;
    }
  }
  return `WITH ${parts.join(',\n')}\nSELECT 1`;
})();

const SET_ASIDE = `
INSERT INTO rejected_events (message_id, event_id, reason, body)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (message_id) DO NOTHING`;

/** Postgres text cannot hold NUL: the one thing that could make the set-aside fail like the poison did. */
const storable = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);

export interface PgAnalyticsStoreOptions {
  /** Hook between COMMIT and returning (tests simulate a crash after commit with it). */
  afterCommit?: () => Promise<void> | void;
  /** `ANALYTICS_RAW_RETENTION_D` (default 14): days of 10-second windows kept. */
  rawRetentionDays?: number;
  /** Hourly rows kept (default 400 days). */
  hourlyRetentionDays?: number;
  /**
   * Days of visitor dedupe rows kept (default 7). Must exceed the ledger's horizon: a late event
   * of a day whose dedupe rows are gone would count its visitor again.
   */
  dedupeRetentionDays?: number;
  /** Days of partitions created ahead (default 7). */
  aheadDays?: number;
  now?: () => number;
  /** Where apply's time goes (the bench profiles with it). */
  onPhase?: (phase: 'aggregate' | 'record' | 'upsert' | 'commit', ms: number) => void;
}

const utcDay = (ms: number): string => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

export class PgAnalyticsStore implements AnalyticsStore, RejectedEventStore {
  readonly #pool: pg.Pool;
  readonly #opts: PgAnalyticsStoreOptions;
  readonly #now: () => number;
  readonly #retention: Required<Retention>;
  /** UTC days (epoch day numbers) whose partitions this process has seen exist. */
  readonly #ready = new Set<number>();

  constructor(pool: pg.Pool, opts: PgAnalyticsStoreOptions = {}) {
    this.#pool = pool;
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#retention = { rawDays: opts.rawRetentionDays ?? 14, hourlyDays: opts.hourlyRetentionDays ?? 400 };
  }

  get retention(): Required<Retention> {
    return this.#retention;
  }

  finestInterval(from: Date): Interval {
    return finestInterval(from, this.#now(), this.#retention);
  }

  async apply(events: AnalyticsEvent[]): Promise<{ applied: number; duplicates: number; rows: number }> {
    if (events.length === 0) return { applied: 0, duplicates: 0, rows: 0 };
    // One event per id (the same message can be received twice within one gathered batch),
    // keyed as the ledger stores it.
    const byId = new Map<string, AnalyticsEvent>();
    let minMs = Number.POSITIVE_INFINITY;
    let maxMs = Number.NEGATIVE_INFINITY;
    for (const e of events) {
      const key = ledgerId(e.id);
      if (!byId.has(key)) byId.set(key, e);
      const ms = e.occurredAt.getTime();
      if (ms < minMs) minMs = ms;
      if (ms > maxMs) maxMs = ms;
    }
    await this.#partitionsFor(minMs, maxMs);
    const ids = [...byId.keys()];
    // Aggregated on the assumption that every id is new (the common case); redone for the new
    // subset when some were already applied. Visitors are only credited once Postgres says
    // which are new.
    const phase = this.#opts.onPhase;
    let t = performance.now();
    const lap = (name: 'aggregate' | 'record' | 'upsert' | 'commit') => {
      if (!phase) return;
      const n = performance.now();
      phase(name, n - t);
      t = n;
    };
    let a = aggregate(byId.values());
    lap('aggregate');

    const client = await this.#pool.connect();
    let rows = 0;
    let fresh = byId.size;
    try {
      await client.query('BEGIN');
      const rec = (await client.query<{ n: number; v: string[]; l: string[] }>(RECORD, recordParams(ids, a))).rows[0];
      lap('record');
      if (rec.n !== byId.size) {
        const mine = rec.n === 0 ? [] : (await client.query<{ id: string }>(NEW_IDS, [ids])).rows;
        fresh = mine.length;
        a = aggregate(mine.map((r) => byId.get(r.id) as AnalyticsEvent));
      }
      // A visitor new to the day always has a fresh event in the batch: had any of its events
      // been applied before, that application would have recorded it.
      a.credit(rec.v, rec.l);
      rows = rowCount(a);
      if (rows) await client.query(UPSERT_ALL, upsertParams(a));
      lap('upsert');
      await client.query('COMMIT');
      lap('commit');
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
    return { applied: fresh, duplicates: events.length - fresh, rows };
  }

  /**
   * Makes sure the partitions of the batch's days exist (and `aheadDays` beyond), once per day per
   * process. A row with no partition would still land in the default one; this keeps it rare.
   */
  async #partitionsFor(minMs: number, maxMs: number): Promise<void> {
    const first = Math.floor(Math.max(minMs, this.#now() - this.#retention.rawDays * DAY_MS) / DAY_MS);
    const last = Math.floor(maxMs / DAY_MS);
    let missing = false;
    for (let d = first; d <= last && !missing; d++) missing = !this.#ready.has(d);
    if (!missing) return;
    const ahead = this.#opts.aheadDays ?? 7;
    try {
      await this.ensurePartitions(new Date(first * DAY_MS), new Date((last + ahead) * DAY_MS));
      for (let d = first; d <= last + ahead; d++) this.#ready.add(d);
    } catch {
      // Rows go to the default partitions meanwhile: counted all the same.
    }
  }

  /** Creates the partitions of the UTC days [from, to] and their months; resolves to how many it made. */
  async ensurePartitions(from: Date, to: Date): Promise<number> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // Two containers creating the same partition would collide: one at a time.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':analytics-partitions'))`);
      const { rows } = await client.query<{ n: number }>('SELECT analytics_ensure_partitions($1::date, $2::date) AS n', [
        utcDay(from.getTime()),
        utcDay(to.getTime()),
      ]);
      await client.query('COMMIT');
      return rows[0].n;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Retention: partitions ahead, then every partition wholly past its tier's retention dropped
   * (and the same rows deleted from the default partitions). Each DROP waits at most
   * `lockTimeoutMs` for its lock, else it is left for next time. Resolves to the partitions dropped.
   */
  async maintain(opts: { lockTimeoutMs?: number } = {}): Promise<{ created: number; dropped: string[] }> {
    const now = this.#now();
    const created = await this.ensurePartitions(new Date(now - DAY_MS), new Date(now + (this.#opts.aheadDays ?? 7) * DAY_MS));
    const rawCut = now - this.#retention.rawDays * DAY_MS;
    const hourCut = now - this.#retention.hourlyDays * DAY_MS;
    const dedupeCut = now - (this.#opts.dedupeRetentionDays ?? 7) * DAY_MS;
    const plan: Array<{ parent: string; col: string; cut: number }> = [
      { parent: 'analytics_facts_10s', col: 'bucket', cut: rawCut },
      { parent: 'analytics_sig_10s', col: 'bucket', cut: rawCut },
      { parent: 'analytics_facts_1h', col: 'bucket', cut: hourCut },
      { parent: 'analytics_sig_1h', col: 'bucket', cut: hourCut },
      { parent: 'analytics_dims_1h', col: 'bucket', cut: hourCut },
      { parent: 'analytics_visitors', col: 'day', cut: dedupeCut },
      { parent: 'analytics_link_visitors', col: 'day', cut: dedupeCut },
    ];
    const dropped: string[] = [];
    const lockMs = Math.max(1, Math.round(opts.lockTimeoutMs ?? 1_000));
    for (const { parent, col, cut } of plan) {
      const { rows } = await this.#pool.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = $1::regclass`,
        [parent],
      );
      for (const { name } of rows) {
        const end = partitionEnd(name);
        if (end === undefined || end > cut) continue;
        const client = await this.#pool.connect();
        try {
          await client.query('BEGIN');
          await client.query(`SET LOCAL lock_timeout = ${lockMs}`);
          await client.query(`DROP TABLE IF EXISTS "${name}"`);
          await client.query('COMMIT');
          dropped.push(name);
        } catch {
          await client.query('ROLLBACK').catch(() => {});
        } finally {
          client.release();
        }
      }
      // Whole days (months) only, like the partitions, so what is kept stays whole.
      const cutDay = parent.endsWith('_1h') ? monthStart(cut) : Math.floor(cut / DAY_MS) * DAY_MS;
      await this.#pool
        .query(`DELETE FROM "${parent}_default" WHERE ${col} < $1`, [new Date(cutDay).toISOString()])
        .catch(() => {});
    }
    return { created, dropped };
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

  /** Rejects with ValidationError when the interval is finer than the data kept for `from`. */
  async report(profileId: string, q: AnalyticsQuery): Promise<AnalyticsReport> {
    return readReport(this.#pool, profileId, q, this.#now(), this.#retention);
  }
}

const monthStart = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};

/** The end of the range a partition named `..._pYYYYMMDD` (a day) or `..._pYYYYMM` (a month) holds. */
export const partitionEnd = (name: string): number | undefined => {
  const m = /_p(\d{4})(\d{2})(\d{2})?$/.exec(name);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, m[3] === undefined ? undefined : Number(m[3])];
  return d === undefined ? Date.UTC(y, mo + 1, 1) : Date.UTC(y, mo, d + 1);
};

/**
 * A Postgres array literal of non-null strings, numbers or booleans: what node-postgres would
 * send for the array, built in one pass (its per-element escaping was a tenth of a batch's time).
 * Strings are always quoted, with backslash and double quote escaped.
 */
export const arrayLiteral = (values: ReadonlyArray<string | number | boolean>): string => {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'string') {
      parts[i] = NEEDS_ESCAPE.test(v) ? `"${v.replace(ESCAPE, '\\$&')}"` : `"${v}"`;
    } else if (typeof v === 'number') {
      parts[i] = String(v);
    } else {
      parts[i] = v ? 't' : 'f';
    }
  }
  return `{${parts.join(',')}}`;
};
const NEEDS_ESCAPE = /["\\]/;
const ESCAPE = /["\\]/g;

/** RECORD's 8 parameter arrays. */
const recordParams = (ids: string[], a: Aggregates): unknown[] =>
  [
    ids,
    a.visitors.map((v) => v.day),
    a.visitors.map((v) => v.profileId),
    a.visitors.map((v) => v.visitor),
    a.linkVisitors.map((v) => v.day),
    a.linkVisitors.map((v) => v.profileId),
    a.linkVisitors.map((v) => v.linkId),
    a.linkVisitors.map((v) => v.visitor),
  ].map(arrayLiteral);

// The lock order: every batch sends its rows sorted by the table's key (strings by UTF-16 code
// unit, any fixed total order does) and the upserts take them in array order (ORDER BY the
// ordinality), so concurrent batches lock shared rows in the same order. Sorting in JS with an
// early-exit comparator costs a few ms; Postgres sorting the wide rows by up to 14 collated
// columns cost about a third of the upsert statement.
const str = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byFactKey = (a: FactRow, b: FactRow): number =>
  str(a.profileId, b.profileId) ||
  a.bucket - b.bucket ||
  str(a.linkId, b.linkId) ||
  str(a.country, b.country) ||
  str(a.device, b.device);
const bySigKey = (a: SigRow, b: SigRow): number =>
  str(a.profileId, b.profileId) ||
  a.bucket - b.bucket ||
  str(a.linkId, b.linkId) ||
  str(a.country, b.country) ||
  str(a.device, b.device) ||
  str(a.referrer, b.referrer) ||
  str(a.region, b.region) ||
  str(a.city, b.city) ||
  str(a.browser, b.browser) ||
  str(a.os, b.os) ||
  str(a.utmSource, b.utmSource) ||
  str(a.utmMedium, b.utmMedium) ||
  str(a.utmCampaign, b.utmCampaign) ||
  Number(a.covered) - Number(b.covered);
const byDimKey = (a: DimRow, b: DimRow): number =>
  str(a.profileId, b.profileId) || a.bucket - b.bucket || a.dim - b.dim || str(a.country, b.country) || str(a.value, b.value);

/** UPSERT_ALL's parameter arrays, in its order; buckets in epoch seconds. */
const upsertParams = (a: Aggregates): unknown[] => {
  const out: unknown[] = [];
  const columns = <R>(rows: R[], pick: Array<(r: R) => unknown>) => {
    const cols = pick.map(() => new Array(rows.length));
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      for (let c = 0; c < pick.length; c++) cols[c][i] = pick[c](r);
    }
    for (const c of cols) out.push(arrayLiteral(c));
  };
  for (const t of TIERS) {
    const { facts, sigs, dims } = a.tiers[t];
    facts.sort(byFactKey);
    sigs.sort(bySigKey);
    dims.sort(byDimKey);
    columns(facts, [
      (f) => f.profileId,
      (f) => f.bucket / 1000,
      (f) => f.linkId,
      (f) => f.country,
      (f) => f.device,
      (f) => f.views,
      (f) => f.clicks,
      (f) => f.visitors,
      (f) => f.uniques,
    ]);
    columns(sigs, [
      (r) => r.profileId,
      (r) => r.bucket / 1000,
      (r) => r.linkId,
      (r) => r.country,
      (r) => r.device,
      (r) => r.referrer,
      (r) => r.region,
      (r) => r.city,
      (r) => r.browser,
      (r) => r.os,
      (r) => r.utmSource,
      (r) => r.utmMedium,
      (r) => r.utmCampaign,
      (r) => r.covered,
      (r) => r.views,
      (r) => r.clicks,
    ]);
    if (DIM_TIERS.includes(t)) {
      columns(dims, [
        (d) => d.profileId,
        (d) => d.bucket / 1000,
        (d) => d.dim,
        (d) => d.country,
        (d) => d.value,
        (d) => d.views,
        (d) => d.clicks,
      ]);
    }
  }
  return out;
};
