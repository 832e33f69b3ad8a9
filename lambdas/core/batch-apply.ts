// Consuming a batch of queue messages so that no single event can stop the counting: plain
// functions over the AnalyticsStore port (the consumer handler maps the outcome to SQS's
// batchItemFailures).
//
// The happy path is one store.apply over the whole batch: one transaction. Only when it fails
// for a reason that may lie in the events themselves (a value Postgres refuses, a mapping bug) is
// the batch bisected, each part its own transaction, until the failing events are alone: those
// are poison. Exactly-once holds per part, since each part's ledger insert and aggregates commit
// together. Poison, malformed messages and events past the ledger's horizon are set aside in the
// rejected-events store and acknowledged; when the database cannot be used at all, nothing is
// split and every record goes back to the queue.
import { type AnalyticsEvent, type AnalyticsStore, parseMessage } from './analytics.ts';
import { MAX_FUTURE_SKEW_MS } from './events.ts';

/** A queue message as the consumer receives it (SQS: messageId and body). */
export interface QueueMessage {
  id: string;
  body: string;
}

/** A message set aside instead of counted: why, and the body as received, for replay. */
export interface Rejection {
  messageId: string;
  eventId?: string;
  reason: string;
  body: string;
}

/** Where set-aside messages go (adapters/pg-analytics-store.ts: the `rejected_events` table). */
export interface RejectedEventStore {
  /** Records the rejections, once per message id; resolves to how many were new. Rejects when the store fails. */
  setAside(rejections: Rejection[]): Promise<number>;
}

/**
 * Why records go back to the queue: the database could not be used (`unreachable`: down,
 * failing over, overloaded, or refusing every statement), the split budget ran out before they
 * were applied (`budget`), or setting them aside failed otherwise (`failed`).
 */
export type RetryReason = 'unreachable' | 'budget' | 'failed';

export interface Retry {
  /** Message ids. */
  ids: string[];
  reason: RetryReason;
  error?: unknown;
}

// ---------------------------------------------------------------------------------------------
// Error classification

/** `unreachable`: retry the whole batch later, do not split. `data`: may lie in the events; split. */
export type StoreErrorClass = 'unreachable' | 'data';

// Node's network errors, and what `pg` and `pg-pool` throw when a connection cannot be had or is lost.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);
const PLATFORM_CODE = /^(ERR_(SOCKET|TLS|SSL)_.+|.*CERT.*|UNABLE_TO_.+)$/;
const CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|timeout expired|Query read timeout|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end|The server does not support SSL|There was an error establishing an SSL connection)|\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)\b/;

// SQLSTATEs that mean "not now" whatever the data: admin shutdown, crash, cannot connect now,
// too many connections, serialization failure, deadlock, statement timeout.
const RETRY_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01', '57014']);

// SQLSTATE classes an event's values can cause: cardinality (one upsert touching a row twice),
// data exceptions (22021 invalid byte sequence, 22001 too long, ...), integrity constraints, and
// program limits (54000: an index row too large). Any other server error (a missing table or
// permission after a bad deploy, a read-only replica after a failover, disk full) fails every
// event alike: splitting would set the whole queue aside as poison, so it is retried instead.
const DATA_CLASSES = new Set(['21', '22', '23', '54']);

const fields = (err: unknown): { code?: unknown; severity?: unknown; message?: unknown; cause?: unknown; errors?: unknown } =>
  typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : {};

/** Whether a failed store call is the database being unusable (retry) or possibly the data (split). */
export const classifyStoreError = (err: unknown): StoreErrorClass => {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const f = fields(e);
    const code = typeof f.code === 'string' ? f.code : undefined;
    // A server error (pg's DatabaseError carries a severity): decided by its SQLSTATE.
    if (code && typeof f.severity === 'string') {
      if (RETRY_SQLSTATES.has(code) || code.startsWith('08')) return 'unreachable';
      return DATA_CLASSES.has(code.slice(0, 2)) ? 'data' : 'unreachable';
    }
    // Network, DNS and TLS failures. Other errors (no SQLSTATE) are taken as possibly the data's:
    // a connection error mistaken for one costs a bounded split, since nothing is set aside
    // without the database accepting it, while the reverse would bounce poison to the DLQ.
    if (code && (NETWORK_CODES.has(code) || PLATFORM_CODE.test(code))) return 'unreachable';
    if (typeof f.message === 'string' && CONNECTION_MESSAGES.test(f.message)) return 'unreachable';
    // Connecting to several addresses fails with all of them.
    if (Array.isArray(f.errors) && f.errors.length && f.errors.every((x) => classifyStoreError(x) === 'unreachable'))
      return 'unreachable';
    e = f.cause;
  }
  return 'data';
};

const MAX_REASON = 500;

/** One line saying why the store refused: SQLSTATE and message for a server error. */
export const describeError = (err: unknown): string => {
  const f = fields(err);
  const message = typeof f.message === 'string' ? f.message : String(err);
  const prefix =
    typeof f.code === 'string' && typeof f.severity === 'string' ? f.code : err instanceof Error ? err.name : 'Error';
  return `${prefix}: ${message}`.slice(0, MAX_REASON);
};

// ---------------------------------------------------------------------------------------------
// Applying with isolation

/** A countable event and the message it came in. */
export interface CountedMessage {
  message: QueueMessage;
  event: AnalyticsEvent;
}

export interface IsolatedApply {
  applied: number;
  duplicates: number;
  rows: number;
  /** Store transactions run: 1 when the batch applied at once. */
  transactions: number;
  /** Events that failed alone, with the store's reason. */
  poison: Array<{ item: CountedMessage; reason: string }>;
  /** Not applied and not poison: back to the queue. */
  retry?: { items: CountedMessage[]; reason: 'unreachable' | 'budget'; error?: unknown };
  /** The error that made the whole batch fail, when it did. */
  batchError?: unknown;
}

export interface IsolateOptions {
  /** Time the splitting may take once the whole batch failed (`CONSUMER_SPLIT_BUDGET_MS`). */
  budgetMs: number;
  /** A hard stop on `now`'s clock (before the function's timeout); the earlier of the two wins. */
  deadline?: number;
  now: () => number;
}

interface Part {
  items: CountedMessage[];
  /** Known to fail (its parent failed and its sibling did not): split without trying it whole. */
  suspect?: { sibling: { ok?: boolean } };
  status: { ok?: boolean };
}

/**
 * Applies `items` in one store transaction; if that fails for a data reason, bisects until the
 * failing events are alone (poison), within the budget. An event is called poison only after
 * failing on its own.
 */
export const applyIsolating = async (
  store: Pick<AnalyticsStore, 'apply'>,
  items: CountedMessage[],
  opts: IsolateOptions,
): Promise<IsolatedApply> => {
  const out: IsolatedApply = { applied: 0, duplicates: 0, rows: 0, transactions: 0, poison: [] };
  if (items.length === 0) return out;
  const attempt = async (part: CountedMessage[]): Promise<unknown> => {
    out.transactions++;
    try {
      const r = await store.apply(part.map((i) => i.event));
      out.applied += r.applied;
      out.duplicates += r.duplicates;
      out.rows += r.rows;
      return undefined;
    } catch (err) {
      return err ?? new Error('store failed');
    }
  };

  const first = await attempt(items);
  if (first === undefined) return out;
  out.batchError = first;
  if (classifyStoreError(first) === 'unreachable') {
    out.retry = { items, reason: 'unreachable', error: first };
    return out;
  }
  if (items.length === 1) {
    out.poison.push({ item: items[0], reason: `poison: ${describeError(first)}` });
    return out;
  }

  const deadline = Math.min(opts.now() + opts.budgetMs, opts.deadline ?? Number.POSITIVE_INFINITY);
  // Depth first, left half first: a stack of parts still to apply.
  const stack: Part[] = [];
  const split = (part: CountedMessage[]) => {
    const mid = Math.ceil(part.length / 2);
    const left: Part = { items: part.slice(0, mid), status: {} };
    const right: Part = { items: part.slice(mid), status: {}, suspect: { sibling: left.status } };
    stack.push(right, left);
  };
  split(items);
  while (stack.length) {
    const part = stack.pop() as Part;
    if (opts.now() >= deadline) {
      const rest = [part, ...stack.reverse()].flatMap((p) => p.items);
      out.retry = { items: rest, reason: 'budget' };
      return out;
    }
    // The parent failed and the left half applied: the fault is in this half, so skip the
    // transaction that would only fail again (deterministic or not, a single event is still
    // tried alone before being called poison).
    if (part.suspect?.sibling.ok && part.items.length > 1) {
      part.status.ok = false;
      split(part.items);
      continue;
    }
    const err = await attempt(part.items);
    if (err === undefined) {
      part.status.ok = true;
      continue;
    }
    part.status.ok = false;
    if (classifyStoreError(err) === 'unreachable') {
      const rest = [part, ...stack.reverse()].flatMap((p) => p.items);
      out.retry = { items: rest, reason: 'unreachable', error: err };
      return out;
    }
    if (part.items.length === 1) out.poison.push({ item: part.items[0], reason: `poison: ${describeError(err)}` });
    else split(part.items);
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// A whole batch

export interface ConsumeDeps {
  store: Pick<AnalyticsStore, 'apply'> & RejectedEventStore;
  now: () => number;
  /**
   * The exactly-once ledger's retention (`APPLIED_EVENTS_RETENTION_H`): an event that occurred
   * before now − horizon may have been counted and its id pruned since, so it is never counted
   * blind.
   */
  horizonMs: number;
  splitBudgetMs: number;
  deadline?: number;
}

export interface BatchOutcome {
  applied: number;
  duplicates: number;
  rows: number;
  transactions: number;
  /** Messages of other event types: acknowledged, not counted. */
  ignored: number;
  /** Messages that are not a valid countable event (included in `rejected` once set aside). */
  malformed: number;
  /** Set aside in the rejected-events store, and acknowledged. */
  rejected: Rejection[];
  /** Records SQS must deliver again, by reason; every other record is done with. */
  retry: Retry[];
  /** Why the whole batch could not be applied at once, when it could not. */
  batchError?: unknown;
}

/** `older than the exactly-once ledger horizon (120 h)` */
export const horizonReason = (horizonMs: number): string =>
  `older than the exactly-once ledger horizon (${Math.round((horizonMs / 3_600_000) * 100) / 100} h)`;

export const consumeBatch = async (messages: QueueMessage[], deps: ConsumeDeps): Promise<BatchOutcome> => {
  const counted: CountedMessage[] = [];
  const rejections: Rejection[] = [];
  let ignored = 0;
  let malformed = 0;
  // The ledger prunes by when an event was counted, which may precede its occurredAt by up to the
  // skew a beacon is allowed: keep that margin, so a copy redelivered after its id was pruned is refused.
  const oldest = deps.now() - deps.horizonMs + MAX_FUTURE_SKEW_MS;
  let stale: string | undefined;
  for (const message of messages) {
    const parsed = parseMessage(message.body);
    if (parsed.kind === 'counted') {
      if (parsed.event.occurredAt.getTime() < oldest) {
        stale ??= horizonReason(deps.horizonMs);
        rejections.push({ messageId: message.id, eventId: parsed.event.id, reason: stale, body: message.body });
      } else {
        counted.push({ message, event: parsed.event });
      }
    } else if (parsed.kind === 'ignored') {
      ignored++;
    } else {
      malformed++;
      rejections.push({
        messageId: message.id,
        ...(parsed.id !== undefined ? { eventId: parsed.id } : {}),
        reason: `malformed: ${parsed.reason}`,
        body: message.body,
      });
    }
  }

  const r = await applyIsolating(deps.store, counted, {
    budgetMs: deps.splitBudgetMs,
    now: deps.now,
    ...(deps.deadline !== undefined ? { deadline: deps.deadline } : {}),
  });
  for (const p of r.poison) {
    rejections.push({ messageId: p.item.message.id, eventId: p.item.event.id, reason: p.reason, body: p.item.message.body });
  }
  const retry: Retry[] = [];
  if (r.retry) retry.push({ ids: r.retry.items.map((i) => i.message.id), reason: r.retry.reason, error: r.retry.error });

  let rejected: Rejection[] = [];
  if (rejections.length) {
    if (r.retry?.reason === 'unreachable') {
      // The same database: writing them now would only wait for another connect timeout. They
      // come back with the rest and are set aside then.
      retry[0].ids.push(...rejections.map((x) => x.messageId));
    } else {
      try {
        await deps.store.setAside(rejections);
        rejected = rejections;
      } catch (err) {
        retry.push({
          ids: rejections.map((x) => x.messageId),
          reason: classifyStoreError(err) === 'unreachable' ? 'unreachable' : 'failed',
          error: err,
        });
      }
    }
  }
  return {
    applied: r.applied,
    duplicates: r.duplicates,
    rows: r.rows,
    transactions: r.transactions,
    ignored,
    malformed,
    rejected,
    retry,
    ...(r.batchError !== undefined ? { batchError: r.batchError } : {}),
  };
};
