import pg from 'pg';
import { MAX_FUTURE_SKEW_MS } from '../../../lambdas/core/events.ts';
import { describe, expect, it } from 'vitest';
import type { AnalyticsEvent, AnalyticsStore } from '../../../lambdas/core/analytics.ts';
import {
  applyIsolating,
  type CountedMessage,
  classifyStoreError,
  consumeBatch,
  horizonReason,
  type Rejection,
  type RejectedEventStore,
} from '../../../lambdas/core/batch-apply.ts';

const NOW = Date.parse('2026-03-01T12:05:00Z');
const HORIZON_MS = 120 * 3_600_000;

/** An error as `pg` reports a server error: SQLSTATE in `code`, and a severity. */
const pgError = (code: string, message = `error ${code}`): pg.DatabaseError => {
  const err = new pg.DatabaseError(message, message.length, 'error');
  err.code = code;
  err.severity = 'ERROR';
  return err;
};
const netError = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

/**
 * A store with a ledger: refuses any batch containing a poison id (like Postgres refusing one
 * row fails the whole statement), counts each id once, and can be switched to "unreachable".
 */
class FakeStore implements Pick<AnalyticsStore, 'apply'>, RejectedEventStore {
  ledger = new Map<string, number>();
  calls: string[][] = [];
  poison = new Set<string>();
  poisonError: () => unknown = () => pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
  /** From this call on (1-based), every apply fails as unreachable. */
  unreachableFrom = Number.POSITIVE_INFINITY;
  setAsideError: unknown;
  setAsideCalls: Rejection[][] = [];
  onApply: () => void = () => {};

  async apply(events: AnalyticsEvent[]) {
    this.calls.push(events.map((e) => e.id));
    this.onApply();
    if (this.calls.length >= this.unreachableFrom) throw netError('ECONNREFUSED');
    if (events.some((e) => this.poison.has(e.id))) throw this.poisonError();
    let applied = 0;
    for (const e of new Set(events.map((x) => x.id))) {
      if (this.ledger.has(e)) continue;
      this.ledger.set(e, 1);
      applied++;
    }
    return { applied, duplicates: events.length - applied, rows: applied };
  }

  async setAside(rejections: Rejection[]) {
    this.setAsideCalls.push(rejections);
    if (this.setAsideError) throw this.setAsideError;
    return rejections.length;
  }
}

const event = (id: string, over: Partial<AnalyticsEvent> = {}): AnalyticsEvent => ({
  id,
  type: 'link.clicked',
  occurredAt: new Date(NOW - 60_000),
  profileId: 'p1',
  linkId: 'l1',
  ...over,
});
const items = (n: number, prefix = 'e'): CountedMessage[] =>
  Array.from({ length: n }, (_, i) => ({
    message: { id: `m-${prefix}${i}`, body: `{"n":${i}}` },
    event: event(`${prefix}${i}`),
  }));
const clock = () => NOW;

describe('applyIsolating', () => {
  it('applies a healthy batch in one transaction', async () => {
    const store = new FakeStore();
    const r = await applyIsolating(store, items(50), { budgetMs: 1_000, now: clock });
    expect(r).toMatchObject({ applied: 50, duplicates: 0, transactions: 1, poison: [] });
    expect(r.retry).toBeUndefined();
    expect(store.calls).toHaveLength(1);
  });

  it('sets the poison event aside alone and applies every other event exactly once', async () => {
    const store = new FakeStore();
    store.poison.add('e37');
    const batch = items(100);
    const r = await applyIsolating(store, batch, { budgetMs: 1_000, now: clock });
    expect(r.poison.map((p) => p.item.event.id)).toEqual(['e37']);
    expect(r.poison[0].reason).toBe('poison: 22021: invalid byte sequence for encoding "UTF8": 0x00');
    expect(r.retry).toBeUndefined();
    expect(r.applied).toBe(99);
    expect([...store.ledger.keys()].sort()).toEqual(
      batch
        .map((i) => i.event.id)
        .filter((id) => id !== 'e37')
        .sort(),
    );
    // Each applied id went through one successful transaction only.
    const succeeded = store.calls.filter((c) => !c.includes('e37')).flat();
    expect(new Set(succeeded).size).toBe(succeeded.length);
    // Bisection: about one transaction per halving, not one per event.
    expect(r.transactions).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(100)));
  });

  it('finds several poison events, adjacent or not, and a batch that is all poison', async () => {
    const store = new FakeStore();
    for (const id of ['e0', 'e1', 'e20', 'e49']) store.poison.add(id);
    const r = await applyIsolating(store, items(50), { budgetMs: 1_000, now: clock });
    expect(r.poison.map((p) => p.item.event.id).sort()).toEqual(['e0', 'e1', 'e20', 'e49']);
    expect(r.applied).toBe(46);

    const all = new FakeStore();
    for (let i = 0; i < 4; i++) all.poison.add(`e${i}`);
    const r2 = await applyIsolating(all, items(4), { budgetMs: 1_000, now: clock });
    expect(r2.poison).toHaveLength(4);
    expect(r2.applied).toBe(0);
  });

  it('a batch of one poison event is set aside after its one transaction', async () => {
    const store = new FakeStore();
    store.poison.add('e0');
    const r = await applyIsolating(store, items(1), { budgetMs: 1_000, now: clock });
    expect(r.poison).toHaveLength(1);
    expect(r.transactions).toBe(1);
  });

  it('calls an event poison only after it failed alone', async () => {
    const store = new FakeStore();
    store.poison.add('e5');
    const r = await applyIsolating(store, items(8), { budgetMs: 1_000, now: clock });
    expect(store.calls).toContainEqual(['e5']);
    expect(r.poison.map((p) => p.item.event.id)).toEqual(['e5']);
  });

  it('an event in two messages is counted once, even when they land in different parts', async () => {
    const store = new FakeStore();
    store.poison.add('e3');
    const batch = items(8);
    batch[7] = { message: { id: 'm-again', body: '{}' }, event: batch[0].event };
    const r = await applyIsolating(store, batch, { budgetMs: 1_000, now: clock });
    expect(store.ledger.get('e0')).toBe(1);
    expect(r.applied + r.duplicates).toBe(7);
    expect(r.applied).toBe(6);
  });

  it('stops splitting when the budget is spent: what was not applied goes back, nothing is lost', async () => {
    const store = new FakeStore();
    store.poison.add('e90');
    let t = NOW;
    store.onApply = () => {
      t += 10;
    };
    const batch = items(100);
    const r = await applyIsolating(store, batch, { budgetMs: 25, now: () => t });
    expect(r.retry?.reason).toBe('budget');
    const retried = new Set(r.retry?.items.map((i) => i.event.id));
    expect(retried.has('e90')).toBe(true);
    expect(r.poison).toEqual([]);
    // Every event is applied (once) or retried, never both, never neither.
    const applied = new Set(store.ledger.keys());
    for (const id of batch.map((i) => i.event.id)) expect(applied.has(id) !== retried.has(id)).toBe(true);
    expect(applied.size).toBeGreaterThan(0);
    // The whole batch, then parts while the budget lasted (25 ms at 10 ms a transaction).
    expect(r.transactions).toBe(4);
  });

  it('a hard deadline earlier than the budget wins', async () => {
    const store = new FakeStore();
    store.poison.add('e1');
    const r = await applyIsolating(store, items(10), { budgetMs: 60_000, deadline: NOW, now: clock });
    expect(r.retry).toMatchObject({ reason: 'budget' });
    expect(r.retry?.items).toHaveLength(10);
    expect(r.transactions).toBe(1);
  });

  it('does not split when the database is unreachable: the whole batch is retried', async () => {
    const store = new FakeStore();
    store.unreachableFrom = 1;
    const r = await applyIsolating(store, items(10), { budgetMs: 1_000, now: clock });
    expect(r.transactions).toBe(1);
    expect(r.retry).toMatchObject({ reason: 'unreachable' });
    expect(r.retry?.items).toHaveLength(10);
    expect(r.poison).toEqual([]);
  });

  it('stops splitting when the database goes away meanwhile: applied parts stay applied, the rest is retried', async () => {
    const store = new FakeStore();
    store.poison.add('e9');
    store.unreachableFrom = 3; // whole batch (poison), first half (ok), then unreachable
    const batch = items(10);
    const r = await applyIsolating(store, batch, { budgetMs: 1_000, now: clock });
    expect(r.retry?.reason).toBe('unreachable');
    expect(r.applied).toBe(5);
    expect(r.retry?.items.map((i) => i.event.id).sort()).toEqual(['e5', 'e6', 'e7', 'e8', 'e9']);
    expect(r.poison).toEqual([]);
  });
});

describe('classifyStoreError', () => {
  it.each([
    ['ECONNREFUSED', netError('ECONNREFUSED')],
    ['ECONNRESET', netError('ECONNRESET')],
    ['ETIMEDOUT', netError('ETIMEDOUT')],
    ['ENOTFOUND', netError('ENOTFOUND')],
    ['a TLS failure', Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })],
    ['Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
    ['the pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a query timeout', new Error('Query read timeout')],
    ['a message naming ECONNREFUSED', new Error('ECONNREFUSED')],
    ['08006 connection failure', pgError('08006')],
    ['08001 cannot connect', pgError('08001')],
    ['57P01 admin shutdown', pgError('57P01')],
    ['57P02 crash shutdown', pgError('57P02')],
    ['57P03 cannot connect now', pgError('57P03')],
    ['53300 too many connections', pgError('53300')],
    ['40001 serialization failure', pgError('40001')],
    ['40P01 deadlock', pgError('40P01')],
    ['57014 statement timeout', pgError('57014')],
    ['42P01 a missing table', pgError('42P01')],
    ['42501 permission denied', pgError('42501')],
    ['25006 read-only after a failover', pgError('25006')],
    ['53100 disk full', pgError('53100')],
    ['every address refusing', new AggregateError([netError('ECONNREFUSED'), netError('ECONNREFUSED')], 'connect failed')],
    ['a cause that is a network error', new Error('apply failed', { cause: netError('ECONNRESET') })],
  ])('%s: unreachable (retry the batch, no split)', (_, err) => {
    expect(classifyStoreError(err)).toBe('unreachable');
  });

  it.each([
    ['22021 invalid byte sequence', pgError('22021')],
    ['22001 value too long', pgError('22001')],
    ['22P02 invalid text representation', pgError('22P02')],
    ['23505 unique violation', pgError('23505')],
    ['23514 check violation', pgError('23514')],
    ['21000 a row affected twice', pgError('21000')],
    ['54000 index row too large', pgError('54000')],
    ['a mapping bug', new TypeError("Cannot read properties of undefined (reading 'getTime')")],
    ['an invalid date', new RangeError('Invalid time value')],
    ['a thrown string', 'boom'],
    ['an error coded by someone else', Object.assign(new Error('nope'), { code: 'E_MAPPING' })],
  ])('%s: data (split)', (_, err) => {
    expect(classifyStoreError(err)).toBe('data');
  });

  it('a server error is judged by its SQLSTATE even when its message mentions a network code', () => {
    expect(classifyStoreError(pgError('22021', 'ECONNRESET in a value'))).toBe('data');
  });
});

describe('consumeBatch', () => {
  const body = (id: string, over: Record<string, unknown> = {}, data: Record<string, unknown> = {}) =>
    JSON.stringify({
      id,
      type: 'link.clicked',
      occurredAt: new Date(NOW - 60_000).toISOString(),
      data: { profileId: 'p1', linkId: 'l1', ...data },
      ...over,
    });
  const deps = (store: FakeStore, over: Partial<Parameters<typeof consumeBatch>[1]> = {}) => ({
    store,
    now: clock,
    horizonMs: HORIZON_MS,
    splitBudgetMs: 1_000,
    ...over,
  });

  it('happy path: one transaction and no set-aside write', async () => {
    const store = new FakeStore();
    const o = await consumeBatch(
      [
        { id: 'm1', body: body('a') },
        { id: 'm2', body: body('b') },
      ],
      deps(store),
    );
    expect(o).toMatchObject({ applied: 2, transactions: 1, rejected: [], retry: [] });
    expect(store.setAsideCalls).toEqual([]);
  });

  it('sets aside malformed messages, poison and events past the horizon in one write, and acknowledges them', async () => {
    const store = new FakeStore();
    store.poison.add('poison');
    const old = new Date(NOW - HORIZON_MS - 1).toISOString();
    const o = await consumeBatch(
      [
        { id: 'm1', body: body('a') },
        { id: 'm2', body: '{not json' },
        { id: 'm3', body: body('nul', {}, { linkId: 'lnk_shop\u0000x' }) },
        { id: 'm4', body: body('poison') },
        { id: 'm5', body: body('old', { occurredAt: old }) },
        { id: 'm6', body: body('u', { type: 'profile.updated', occurredAt: old }) },
        { id: 'm7', body: body('b') },
      ],
      deps(store),
    );
    expect(o.applied).toBe(2);
    expect(o.ignored).toBe(1);
    expect(o.malformed).toBe(2);
    expect(o.retry).toEqual([]);
    expect(store.setAsideCalls).toHaveLength(1);
    expect(o.rejected.map((r) => [r.messageId, r.eventId, r.reason])).toEqual([
      ['m2', undefined, 'malformed: body is not JSON'],
      ['m3', 'nul', 'malformed: data.linkId: must not contain control characters'],
      ['m5', 'old', 'older than the exactly-once ledger horizon (120 h)'],
      ['m4', 'poison', 'poison: 22021: invalid byte sequence for encoding "UTF8": 0x00'],
    ]);
    expect(o.rejected.find((r) => r.messageId === 'm4')?.body).toBe(body('poison'));
    expect([...store.ledger.keys()].sort()).toEqual(['a', 'b']);
  });

  it('names the horizon it used', () => {
    expect(horizonReason(120 * 3_600_000)).toBe('older than the exactly-once ledger horizon (120 h)');
    expect(horizonReason(90 * 60_000)).toBe('older than the exactly-once ledger horizon (1.5 h)');
  });

  it('an event inside the horizon, less the 5 minutes an occurredAt may lead its counting, is counted', async () => {
    const store = new FakeStore();
    const o = await consumeBatch(
      [{ id: 'm1', body: body('a', { occurredAt: new Date(NOW - HORIZON_MS + MAX_FUTURE_SKEW_MS).toISOString() }) }],
      deps(store),
    );
    expect(o.applied).toBe(1);
  });

  it('an event within 5 minutes of the horizon is set aside: it may have been counted earlier than it claims', async () => {
    const store = new FakeStore();
    const o = await consumeBatch(
      [{ id: 'm1', body: body('a', { occurredAt: new Date(NOW - HORIZON_MS + MAX_FUTURE_SKEW_MS - 1_000).toISOString() }) }],
      deps(store),
    );
    expect(o.applied).toBe(0);
    expect(o.rejected.map((r) => r.reason)).toEqual(['older than the exactly-once ledger horizon (120 h)']);
  });

  it('when setting aside finds the database unreachable, those records go back to the queue', async () => {
    const store = new FakeStore();
    store.poison.add('poison');
    store.setAsideError = netError('ECONNREFUSED');
    const o = await consumeBatch(
      [
        { id: 'm1', body: body('a') },
        { id: 'm2', body: body('poison') },
        { id: 'm3', body: '[]' },
      ],
      deps(store),
    );
    expect(o.applied).toBe(1);
    expect(o.rejected).toEqual([]);
    expect(o.retry).toEqual([{ ids: ['m3', 'm2'], reason: 'unreachable', error: store.setAsideError }]);
  });

  it('any other set-aside failure also keeps the records, with its own reason', async () => {
    const store = new FakeStore();
    store.setAsideError = pgError('42P01', 'relation "rejected_events" does not exist');
    const o = await consumeBatch([{ id: 'm1', body: '[]' }], deps(store));
    expect(o.retry).toMatchObject([{ ids: ['m1'], reason: 'unreachable' }]);
    store.setAsideError = new TypeError('bug');
    const o2 = await consumeBatch([{ id: 'm1', body: '[]' }], deps(store));
    expect(o2.retry).toMatchObject([{ ids: ['m1'], reason: 'failed' }]);
  });

  it('with the database unreachable, nothing is split or set aside: every record is retried', async () => {
    const store = new FakeStore();
    store.unreachableFrom = 1;
    const o = await consumeBatch(
      [
        { id: 'm1', body: body('a') },
        { id: 'm2', body: '[]' },
        { id: 'm3', body: body('b') },
      ],
      deps(store),
    );
    expect(store.setAsideCalls).toEqual([]);
    expect(o.retry).toHaveLength(1);
    expect(o.retry[0].reason).toBe('unreachable');
    expect(o.retry[0].ids.sort()).toEqual(['m1', 'm2', 'm3']);
  });

  it('budget: what was identified is set aside, what was not applied is retried', async () => {
    const store = new FakeStore();
    store.poison.add('p0');
    store.poison.add('p1');
    let t = NOW;
    store.onApply = () => {
      t += 10;
    };
    // [p0, p1, a, b]: whole (fail), [p0, p1] (fail), [p0] (poison) and then the budget is spent.
    const o = await consumeBatch(
      ['p0', 'p1', 'a', 'b'].map((id, i) => ({ id: `m${i}`, body: body(id) })),
      deps(store, { now: () => t, splitBudgetMs: 15 }),
    );
    expect(o.rejected.map((r) => r.eventId)).toEqual(['p0']);
    expect(o.retry).toMatchObject([{ reason: 'budget' }]);
    expect(o.retry[0].ids.sort()).toEqual(['m1', 'm2', 'm3']);
  });
});
