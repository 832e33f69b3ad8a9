// The analytics store on Postgres (Aurora in AWS, PGlite locally); schema in migrations 004-005.
//
// apply(): one transaction per batch, two statements. The first records the event ids and the
// batch's visitor keys in `applied_events` (ON CONFLICT DO NOTHING); it answers how many ids were
// new and which visitors. The second appends the batch's raw rows
// (one per 10-second window and signature, built in JS, the new visitors credited to the row of
// their first event) and the batch's row in `analytics_pending`. Ledger, visitors, raw rows and
// the pending row commit together, so a redelivered message, a retried batch, or a crash between
// commit and the SQS delete can never count an event, a visitor or a unique click twice. Ids and
// visitor keys are inserted in key order (ids first), so concurrent batches lock in the same
// order; the raw rows conflict with nothing.
//
// rollup(): the job that sums pending batches into the hourly and daily tiers (see the method).
// Reports read those tiers plus the raw rows of the batches still pending (adapters/
// pg-analytics-reports.ts), so an answer never depends on when the job last ran.
//
// maintain(): partitions ahead, expired partitions dropped (raw after ANALYTICS_RAW_RETENTION_D
// days, hourly after 400), each DROP under a short
// lock_timeout so it never queues the batches behind it; a raw partition holding rows of a
// pending batch is kept until the job has taken them.
//
// setAside(): the messages the consumer will not count (core/batch-apply.ts), one row each in
// `rejected_events`, keyed by message id so a redelivery adds nothing.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  type AnalyticsEvent,
  type AnalyticsQuery,
  type AnalyticsReport,
  type AnalyticsStore,
  type Aggregates,
  aggregate,
  COVER_MIN,
  finestInterval,
  type Interval,
  ledgerId,
  type Retention,
} from '../core/analytics.ts';
import type { RejectedEventStore, Rejection } from '../core/batch-apply.ts';
import { readReport } from './pg-analytics-reports.ts';
import { MONTH_DIMS, TIER_TABLES, UNPIVOT, UNPIVOT_KEEP } from './pg-analytics-schema.ts';

const DAY_MS = 86_400_000;

/**
 * Batches one rollup run takes at most: 200,000 events, whose hourly and daily rows this 2-core
 * bench machine upserts in about 10 s even when no two events share a signature, so one run
 * always ends well inside the statement timeout (PG_STATEMENT_TIMEOUT_MS, 30 s) and a backlog is
 * worked off run after run instead of timing out whole every time.
 */
export const ROLLUP_BATCHES = 20;

// Records the event ids and the visitor keys (core/analytics.ts visitorKey, linkVisitorKey) in the
// ledger's one uuid index; answers only how many ids were new (10,000 ids need not travel back)
// and which visitor keys were.
const RECORD = `
WITH ins AS (
  INSERT INTO applied_events (id)
  SELECT id FROM unnest($1::uuid[]) AS u (id) ORDER BY id
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
), v AS (
  INSERT INTO applied_events (id)
  SELECT id FROM unnest($2::uuid[]) AS u (id) ORDER BY id
  ON CONFLICT (id) DO NOTHING
  RETURNING id
)
SELECT (SELECT count(*) FROM ins)::int AS n, coalesce((SELECT array_agg(id::text) FROM v), '{}') AS v`;

// When some were not new: the ones this transaction inserted are exactly those whose xmin is ours.
const NEW_IDS = `
SELECT id::text AS id FROM applied_events
WHERE id = ANY($1::uuid[]) AND xmin = pg_current_xact_id()::xid`;

const RAW_COLS = [
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
  'views',
  'clicks',
  'visitors',
  'uniques',
] as const;
/** The signature columns (every dimension; what the coarser tiers group by). */
const SIG = RAW_COLS.slice(0, 13).join(', ');
const SIG_NO_BUCKET = RAW_COLS.slice(2, 13).join(', ');

// The batch's raw rows and its pending row, in one statement: $1-$17 the columns, $18/$19 the
// first and last window (epoch seconds). Append-only: no conflicts, no row locks to order.
const APPEND = `
WITH p AS (
  INSERT INTO analytics_pending (batch, lo, hi)
  VALUES (nextval('analytics_batch_seq'), to_timestamp($18), to_timestamp($19))
  RETURNING batch
)
INSERT INTO analytics_raw (${RAW_COLS.join(', ')}, batch)
SELECT c0, to_timestamp(c1), c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, (SELECT batch FROM p)
  FROM unnest(${RAW_COLS.map((c, i) => `$${i + 1}::${c === 'bucket' ? 'int8' : i >= 13 ? 'int4' : 'text'}[]`).join(', ')})
       AS u (${RAW_COLS.map((_, i) => `c${i}`).join(', ')})`;

const sums =
  'sum(views)::int8 AS views, sum(clicks)::int8 AS clicks, sum(visitors)::int8 AS visitors, sum(uniques)::int8 AS uniques';
const addCounts = `views = t.views + EXCLUDED.views, clicks = t.clicks + EXCLUDED.clicks,
        visitors = t.visitors + EXCLUDED.visitors, uniques = t.uniques + EXCLUDED.uniques`;

const tierUpserts = (tier: '1h' | '1d', from: string) => {
  const { sig, dims } = TIER_TABLES[tier];
  const w = tier === '1h' ? '1 hour' : '1 day';
  return `g${tier} AS MATERIALIZED (
  SELECT profile_id, date_bin('${w}', bucket, TIMESTAMPTZ 'epoch') AS bucket, ${SIG_NO_BUCKET}, ${sums}
    FROM ${from} GROUP BY profile_id, 2, ${SIG_NO_BUCKET}
), c${tier} AS MATERIALIZED (
  SELECT g.*, n.covered
    FROM g${tier} g
    JOIN (SELECT profile_id, bucket, sum(views + clicks) >= ${COVER_MIN} AS covered FROM g${tier} GROUP BY 1, 2) n
   USING (profile_id, bucket)
), s${tier} AS (
  INSERT INTO ${sig} AS t (${SIG}, covered, views, clicks, visitors, uniques)
  SELECT ${SIG}, covered, views, clicks, visitors, uniques FROM c${tier}
  ON CONFLICT (${SIG}, covered) DO UPDATE SET ${addCounts}
  RETURNING 1
), v${tier} AS MATERIALIZED (
  SELECT s.profile_id, s.bucket, x.dim, x.country, x.value, ${sums}
    FROM c${tier} s ${UNPIVOT('s')}
   WHERE s.covered AND ${UNPIVOT_KEEP}
   GROUP BY 1, 2, 3, 4, 5
), d${tier} AS (
  INSERT INTO ${dims} AS t (profile_id, bucket, dim, country, value, views, clicks, visitors, uniques)
  SELECT * FROM v${tier}
  ON CONFLICT (profile_id, bucket, dim, country, value) DO UPDATE SET ${addCounts}
  RETURNING 1
)${
    tier === '1d'
      ? `, m1d AS (
  INSERT INTO ${MONTH_DIMS} AS t (profile_id, bucket, dim, country, value, views, clicks, visitors, uniques)
  SELECT profile_id, date_trunc('month', bucket, 'UTC'), dim, country, value, ${sums}
    FROM v1d GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (profile_id, bucket, dim, country, value) DO UPDATE SET ${addCounts}
  RETURNING 1
)`
      : ''
  }`;
};

// The rollup of the pending batches $1 (their raw rows lie in [$2, $3]): grouped per hour, the
// hours per day, each upserted with its dims, and the daily dims summed per month too (for the
// whole months of a long unfiltered report). One job at a time (an advisory lock), so the upserts
// need no lock order.
const ROLLUP = `
WITH r AS MATERIALIZED (
  SELECT ${RAW_COLS.join(', ')} FROM analytics_raw WHERE batch = ANY($1::int8[]) AND bucket >= $2 AND bucket <= $3
), ${tierUpserts('1h', 'r')}, ${tierUpserts('1d', 'g1h')}
SELECT (SELECT count(*) FROM s1h)::int + (SELECT count(*) FROM d1h)::int
     + (SELECT count(*) FROM s1d)::int + (SELECT count(*) FROM d1d)::int + (SELECT count(*) FROM m1d)::int AS rows`;

// The COPY path: the pending row first (its batch id goes into every raw row), then the rows.
const PENDING = `
INSERT INTO analytics_pending (batch, lo, hi)
VALUES (nextval('analytics_batch_seq'), to_timestamp($1), to_timestamp($2))
RETURNING batch::text AS batch`;
const COPY_RAW = `COPY analytics_raw (${RAW_COLS.join(', ')}, batch) FROM STDIN`;
/** feature_not_supported, protocol_violation: what a server or proxy without COPY FROM STDIN answers. */
const NO_COPY = new Set(['0A000', '08P01']);

const TAKE_PENDING = `
DELETE FROM analytics_pending
 WHERE batch IN (SELECT batch FROM analytics_pending WHERE hi < $2::timestamptz ORDER BY batch LIMIT $1)
RETURNING batch::text AS batch, lo, hi`;

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
  /** Days of partitions created ahead (default 7). */
  aheadDays?: number;
  now?: () => number;
  /**
   * Raw rows go in by COPY (default, on Postgres: a third of the time of the array INSERT, which
   * parses every value of 17 arrays), or with `false`, and always on PGlite, by one INSERT of arrays.
   */
  copy?: boolean;
  /** Where apply's time goes (the bench profiles with it). */
  onPhase?: (phase: 'aggregate' | 'record' | 'append' | 'commit', ms: number) => void;
  /**
   * Visitor keys this process remembers as recorded (default 200,000; 0 = none): a returning
   * visitor is then not sent to the ledger again. Only keys of committed batches.
   */
  knownVisitors?: number;
}

const utcDay = (ms: number): string => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

export class PgAnalyticsStore implements AnalyticsStore, RejectedEventStore {
  readonly #pool: pg.Pool;
  readonly #opts: PgAnalyticsStoreOptions;
  readonly #now: () => number;
  readonly #retention: Required<Retention>;
  /** UTC days (epoch day numbers) whose partitions this process has seen exist. */
  readonly #ready = new Set<number>();
  #copy: boolean | undefined;
  /** Visitor keys recorded by committed batches (see `knownVisitors`). */
  readonly #known = new Set<string>();

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
    const lap = (name: 'aggregate' | 'record' | 'append' | 'commit') => {
      if (!phase) return;
      const n = performance.now();
      phase(name, n - t);
      t = n;
    };
    let a = aggregate(byId.values());
    lap('aggregate');

    const client = await this.#pool.connect();
    let fresh = byId.size;
    // Visitors this process saw recorded by a committed batch are not new: not sent again.
    const sent = [...a.visitorKeys, ...a.linkVisitorKeys].filter((k) => !this.#known.has(k));
    try {
      await client.query('BEGIN');
      const rec = (await client.query<{ n: number; v: string[] }>(RECORD, [uuidArray(ids), uuidArray(sent)])).rows[0];
      lap('record');
      if (rec.n !== byId.size) {
        const mine = rec.n === 0 ? [] : (await client.query<{ id: string }>(NEW_IDS, [ids])).rows;
        fresh = mine.length;
        a = aggregate(mine.map((r) => byId.get(r.id) as AnalyticsEvent));
      }
      // A visitor new to the day always has a fresh event in the batch: had any of its events
      // been applied before, that application would have recorded it.
      // Visitor and link-visitor keys never coincide: each finds its own kind.
      a.credit(rec.v, rec.v);
      if (a.rows.length && (await this.#copies(client))) {
        const { rows: p } = await client.query<{ batch: string }>(PENDING, [a.lo / 1000, a.hi / 1000]);
        await pipeline(Readable.from([copyText(a, p[0].batch)]), client.query(copyFrom(COPY_RAW))).catch((err) => {
          // A server or proxy without COPY FROM STDIN: arrays from now on (the batch is retried).
          if (NO_COPY.has((err as { code?: string }).code ?? '')) this.#copy = false;
          throw err;
        });
      } else if (a.rows.length) {
        await client.query(APPEND, appendParams(a));
      }
      lap('append');
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
    this.#remember(sent);
    await this.#opts.afterCommit?.();
    return { applied: fresh, duplicates: events.length - fresh, rows: a.rows.length };
  }

  /** Whether raw rows go in by COPY: asked once (PGlite's wire protocol has no COPY FROM STDIN). */
  async #copies(client: pg.PoolClient): Promise<boolean> {
    if (this.#copy === undefined) {
      if (this.#opts.copy === false) this.#copy = false;
      else {
        const { rows } = await client.query<{ v: string }>('SELECT version() AS v');
        this.#copy = !/PGlite|emscripten/i.test(rows[0].v);
      }
    }
    return this.#copy;
  }

  /** Keys recorded by a committed batch; the oldest half forgotten past `knownVisitors`. */
  #remember(keys: string[]): void {
    const cap = this.#opts.knownVisitors ?? 200_000;
    if (cap <= 0) return;
    for (const k of keys) this.#known.add(k);
    if (this.#known.size <= cap) return;
    let drop = this.#known.size - Math.floor(cap / 2);
    for (const k of this.#known) {
      if (drop-- <= 0) break;
      this.#known.delete(k);
    }
  }

  /**
   * The rollup job: takes the pending batches whose rows all lie before `upTo` (default: the
   * start of the current UTC hour: hours are summed once they have closed), at most `maxBatches`
   * (default ROLLUP_BATCHES), oldest first, adds their raw rows to the hourly and daily tiers and deletes
   * their pending rows, in one transaction. Exact: a batch's rows are added when, and only when,
   * its pending row goes. Idempotent: a run that fails rolls back whole and the batches stay
   * pending. Another run in progress (any process) → returns at once with 0. `more`: it took
   * `maxBatches`, so more may be waiting.
   */
  async rollup(opts: { upTo?: number; maxBatches?: number } = {}): Promise<{ batches: number; rows: number; more: boolean }> {
    const upTo = opts.upTo ?? Math.floor(this.#now() / 3_600_000) * 3_600_000;
    const max = opts.maxBatches ?? ROLLUP_BATCHES;
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const { rows: lock } = await client.query<{ ok: boolean }>(
        `SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || ':analytics-rollup')) AS ok`,
      );
      if (!lock[0].ok) {
        await client.query('COMMIT');
        return { batches: 0, rows: 0, more: false };
      }
      // Its estimates pass JIT's cost threshold; compiling would take longer than the statement.
      await client.query('SET LOCAL jit = off');
      const { rows: taken } = await client.query<{ batch: string; lo: Date; hi: Date }>(TAKE_PENDING, [
        max,
        Number.isFinite(upTo) ? new Date(upTo).toISOString() : 'infinity',
      ]);
      let rows = 0;
      if (taken.length) {
        let lo = taken[0].lo.getTime();
        let hi = taken[0].hi.getTime();
        for (const t of taken) {
          lo = Math.min(lo, t.lo.getTime());
          hi = Math.max(hi, t.hi.getTime());
        }
        const res = await client.query<{ rows: number }>(ROLLUP, [
          `{${taken.map((t) => t.batch).join(',')}}`,
          new Date(lo).toISOString(),
          new Date(hi).toISOString(),
        ]);
        rows = res.rows[0].rows;
      }
      await client.query('COMMIT');
      return { batches: taken.length, rows, more: taken.length === max };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
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
    // Raw rows of a batch still pending are not rolled up yet: what holds them is kept.
    await this.rollup().catch(() => {});
    const plan: Array<{ parent: string; col: string; cut: number }> = [
      { parent: 'analytics_raw', col: 'bucket', cut: rawCut },
      { parent: TIER_TABLES['1h'].sig, col: 'bucket', cut: hourCut },
      { parent: TIER_TABLES['1h'].dims, col: 'bucket', cut: hourCut },
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
          if (parent === 'analytics_raw') {
            const { rows: held } = await client.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM analytics_pending WHERE lo < $1 AND hi >= $2',
              [new Date(end).toISOString(), new Date(end - DAY_MS).toISOString()],
            );
            if (held[0].n > 0) {
              await client.query('ROLLBACK');
              continue;
            }
          }
          await client.query('COMMIT');
          dropped.push(name);
        } catch {
          await client.query('ROLLBACK').catch(() => {});
        } finally {
          client.release();
        }
      }
      // Whole days (months) only, like the partitions, so what is kept stays whole.
      const cutDay = parent.startsWith('analytics_h') ? monthStart(cut) : Math.floor(cut / DAY_MS) * DAY_MS;
      const unheld = parent === 'analytics_raw' ? ' AND batch NOT IN (SELECT batch FROM analytics_pending)' : '';
      await this.#pool
        .query(`DELETE FROM "${parent}_default" WHERE ${col} < $1${unheld}`, [new Date(cutDay).toISOString()])
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

/** A uuid[] literal: ids and visitor keys are canonical uuids (hex and dashes), nothing to quote. */
const uuidArray = (values: readonly string[]): string => `{${values.join(',')}}`;
const ESCAPE = /["\\]/g;

/**
 * The raw rows as COPY text: tab-separated, one line per row, the batch id last. Stored text is
 * safe text (no control characters), but a backslash, tab or line break is escaped regardless.
 */
export const copyText = (a: Aggregates, batch: string): string => {
  const times = new Map<number, string>();
  const esc = (v: string) => (COPY_SPECIAL.test(v) ? v.replace(COPY_ESCAPE, (c) => COPY_CODES[c] ?? c) : v);
  let out = '';
  for (const r of a.rows) {
    let t = times.get(r.bucket);
    if (t === undefined) {
      t = new Date(r.bucket).toISOString();
      times.set(r.bucket, t);
    }
    out += `${esc(r.profileId)}\t${t}\t${esc(r.linkId)}\t${esc(r.country)}\t${esc(r.device)}\t${esc(r.referrer)}\t${esc(r.region)}\t${esc(r.city)}\t${esc(r.browser)}\t${esc(r.os)}\t${esc(r.utmSource)}\t${esc(r.utmMedium)}\t${esc(r.utmCampaign)}\t${r.views}\t${r.clicks}\t${r.visitors}\t${r.uniques}\t${batch}\n`;
  }
  return out;
};
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPE = /[\\\t\n\r]/g;
const COPY_CODES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** APPEND's parameters: the 17 column arrays (buckets in epoch seconds), then the batch's span. */
const appendParams = (a: Aggregates): unknown[] => {
  const n = a.rows.length;
  const cols = RAW_COLS.map(() => new Array<string | number>(n));
  for (let i = 0; i < n; i++) {
    const r = a.rows[i];
    cols[0][i] = r.profileId;
    cols[1][i] = r.bucket / 1000;
    cols[2][i] = r.linkId;
    cols[3][i] = r.country;
    cols[4][i] = r.device;
    cols[5][i] = r.referrer;
    cols[6][i] = r.region;
    cols[7][i] = r.city;
    cols[8][i] = r.browser;
    cols[9][i] = r.os;
    cols[10][i] = r.utmSource;
    cols[11][i] = r.utmMedium;
    cols[12][i] = r.utmCampaign;
    cols[13][i] = r.views;
    cols[14][i] = r.clicks;
    cols[15][i] = r.visitors;
    cols[16][i] = r.uniques;
  }
  return [...cols.map(arrayLiteral), a.lo / 1000, a.hi / 1000];
};
