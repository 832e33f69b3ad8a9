// The store's write path without a database: the COPY text it sends, and its fallback to the
// array INSERT when the server (or a proxy in front of it) refuses COPY FROM STDIN.
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { arrayLiteral, copyText, PgAnalyticsStore } from '../../../lambdas/adapters/pg-analytics-store.ts';
import { type AnalyticsEvent, aggregate } from '../../../lambdas/core/analytics.ts';

const AT = new Date('2026-12-02T10:00:03Z');
const ev = (over: Partial<AnalyticsEvent> = {}): AnalyticsEvent => ({
  id: '0190a000-0000-7000-8000-000000000001',
  type: 'link.clicked',
  occurredAt: AT,
  profileId: 'p1',
  linkId: 'l1',
  country: 'DE',
  ...over,
});

describe('copyText', () => {
  it('writes one tab-separated line per raw row, the window as ISO time, the batch id last', () => {
    const a = aggregate([ev(), ev({ id: '0190a000-0000-7000-8000-000000000002', type: 'profile.viewed' })]);
    const lines = copyText(a, '42').split('\n');
    expect(lines.at(-1)).toBe('');
    // The click, then the view: link '' and the view counted, the rest the same.
    const row = (link: string, views: string, clicks: string) =>
      ['p1', '2026-12-02T10:00:00.000Z', link, 'DE', 'other', '(direct)', '', '', 'Other', 'Other', '', '', '']
        .concat([views, clicks, '0', '0', '42'])
        .join('\t');
    expect(lines.slice(0, -1)).toEqual([row('l1', '0', '1'), row('', '1', '0')]);
  });

  it('escapes backslash, tab and line breaks, so a value cannot shift a column or end a row', () => {
    const a = aggregate([ev({ city: 'C:\\tmp', region: 'a\tb', browser: 'x\ny\r' })]);
    const [line] = copyText(a, '1').split('\n');
    const cols = line.split('\t');
    expect(cols).toHaveLength(18);
    expect(cols[6]).toBe('a\\tb');
    expect(cols[7]).toBe('C:\\\\tmp');
    expect(cols[8]).toBe('x\\ny\\r');
  });
});

/** A pool whose one client answers as Postgres would, except that COPY fails with `copyError`. */
const fakePool = (copyError: { code: string }) => {
  const sql: string[] = [];
  const client = {
    // Like node-postgres: a submittable (the COPY stream) comes back at once, text as a promise.
    query: (q: string | { text?: string; handleError?: (e: Error) => void }, params?: unknown[]) => {
      if (typeof q !== 'string') {
        sql.push(`COPY ${q.text ?? ''}`);
        // The server's ErrorResponse, as node-postgres hands it to the copy stream.
        setImmediate(() => q.handleError?.(Object.assign(new Error('COPY refused'), copyError)));
        return q;
      }
      return answer(q, params);
    },
    release: () => {},
  };
  const answer = async (q: string, params: unknown[] = []) => {
    sql.push(q.trim().split(/\s+/).slice(0, 3).join(' '));
    if (q.includes('version()')) return { rows: [{ v: 'PostgreSQL 16.4 on aarch64' }] };
    if (q.includes('analytics_ensure_partitions')) return { rows: [{ n: 0 }] };
    if (q.includes('RETURNING batch')) return { rows: [{ batch: '7' }] };
    if (q.includes('INSERT INTO applied_events')) return { rows: [{ n: String(params[0]).split(',').length, v: [] }] };
    return { rows: [] };
  };
  return { pool: { connect: async () => client } as unknown as pg.Pool, sql };
};

describe('PgAnalyticsStore and COPY', () => {
  it.each(['0A000', '08P01'])('turns to the array INSERT for good once COPY is refused with %s', async (code) => {
    const { pool, sql } = fakePool({ code });
    const store = new PgAnalyticsStore(pool, { now: () => AT.getTime() });
    await expect(store.apply([ev()])).rejects.toMatchObject({ code });
    expect(sql.some((s) => s.startsWith('COPY'))).toBe(true);
    sql.length = 0;
    await expect(store.apply([ev()])).resolves.toMatchObject({ applied: 1 });
    expect(sql.some((s) => s.startsWith('COPY'))).toBe(false);
    expect(sql).toContain('WITH p AS');
  });

  it('keeps COPY after any other failure (a data error is the batch’s, not the protocol’s)', async () => {
    const { pool, sql } = fakePool({ code: '22P02' });
    const store = new PgAnalyticsStore(pool, { now: () => AT.getTime() });
    await expect(store.apply([ev()])).rejects.toMatchObject({ code: '22P02' });
    sql.length = 0;
    await expect(store.apply([ev()])).rejects.toMatchObject({ code: '22P02' });
    expect(sql.some((s) => s.startsWith('COPY'))).toBe(true);
  });
});

describe('arrayLiteral', () => {
  it('quotes strings and escapes backslash and double quote', () => {
    expect(arrayLiteral(['a', 'b"c', 'd\\e', 1, true])).toBe('{"a","b\\"c","d\\\\e",1,t}');
  });
});
