import { describe, expect, it } from 'vitest';
import {
  aggregate,
  type AnalyticsEvent,
  denseSeries,
  floorToWindow,
  ledgerId,
  normalizeCountry,
  parseAnalyticsQuery,
  parseMessage,
  referrerHost,
} from '../../../lambdas/core/analytics.ts';

const ev = (over: Partial<AnalyticsEvent>): AnalyticsEvent => ({
  id: Math.random().toString(36),
  type: 'link.clicked',
  occurredAt: new Date('2026-03-01T12:00:03Z'),
  profileId: 'p1',
  linkId: 'l1',
  ...over,
});

describe('floorToWindow', () => {
  it('floors to 10-second UTC windows', () => {
    expect(floorToWindow(new Date('2026-03-01T12:00:09.999Z')).toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(floorToWindow(new Date('2026-03-01T12:00:10.000Z')).toISOString()).toBe('2026-03-01T12:00:10.000Z');
    expect(floorToWindow(Date.parse('2026-03-01T23:59:59.5+02:00')).toISOString()).toBe('2026-03-01T21:59:50.000Z');
  });
  it('floors instants before the epoch down, not toward zero', () => {
    expect(floorToWindow(-1).getTime()).toBe(-10_000);
  });
});

describe('referrerHost and normalizeCountry', () => {
  it('keeps the host of a referrer URL and maps absence to (direct)', () => {
    expect(referrerHost('https://WWW.Instagram.com/p/abc?utm=1')).toBe('www.instagram.com');
    expect(referrerHost('t.co')).toBe('t.co');
    expect(referrerHost(undefined)).toBe('(direct)');
    expect(referrerHost('  ')).toBe('(direct)');
    expect(referrerHost('javascript:alert(1)')).toBe('(direct)');
    expect(referrerHost('not a url')).toBe('(direct)');
  });
  it('accepts ISO alpha-2 countries only', () => {
    expect(normalizeCountry('de')).toBe('DE');
    expect(normalizeCountry('XX')).toBe('(unknown)');
    expect(normalizeCountry('DEU')).toBe('(unknown)');
    expect(normalizeCountry(undefined)).toBe('(unknown)');
  });
});

describe('aggregate', () => {
  it('counts clicks per link, views per profile, referrers and countries per window', () => {
    const a = aggregate([
      ev({ linkId: 'l1', referrer: 'https://t.co/a', country: 'US' }),
      ev({ linkId: 'l1', referrer: 'https://t.co/b', country: 'US' }),
      ev({ linkId: 'l2', occurredAt: new Date('2026-03-01T12:00:10Z') }),
      ev({ type: 'profile.viewed', linkId: undefined }),
      ev({ type: 'profile.viewed', linkId: undefined, referrer: 'https://t.co' }),
      ev({ profileId: 'p0', linkId: 'l1' }),
    ]);
    const w0 = new Date('2026-03-01T12:00:00Z');
    const w1 = new Date('2026-03-01T12:00:10Z');
    expect(a.linkClicks).toEqual([
      { profileId: 'p0', windowStart: w0, linkId: 'l1', n: 1 },
      { profileId: 'p1', windowStart: w0, linkId: 'l1', n: 2 },
      { profileId: 'p1', windowStart: w1, linkId: 'l2', n: 1 },
    ]);
    expect(a.profileViews).toEqual([{ profileId: 'p1', windowStart: w0, n: 2 }]);
    // Views carry no referrer/country counts: those are per click (contract: referrers.clicks).
    expect(a.referrers).toEqual([
      { profileId: 'p0', windowStart: w0, referrer: '(direct)', n: 1 },
      { profileId: 'p1', windowStart: w0, referrer: 't.co', n: 2 },
      { profileId: 'p1', windowStart: w1, referrer: '(direct)', n: 1 },
    ]);
    expect(a.countries.map((r) => [r.profileId, r.country, r.n])).toEqual([
      ['p0', '(unknown)', 1],
      ['p1', 'US', 2],
      ['p1', '(unknown)', 1],
    ]);
  });

  it('produces the same sorted rows whatever the input order (the upserts lock in this order)', () => {
    const events = Array.from({ length: 200 }, (_, i) =>
      ev({ profileId: `p${i % 7}`, linkId: `l${i % 5}`, occurredAt: new Date(Date.UTC(2026, 2, 1, 12, 0, i % 60)) }),
    );
    const forward = aggregate(events);
    const backward = aggregate([...events].reverse());
    expect(backward).toEqual(forward);
    const keys = forward.linkClicks.map((r) => `${r.profileId}\u0000${r.windowStart.getTime() + 1e13}\u0000${r.linkId}`);
    expect(keys).toEqual([...keys].sort());
    expect(forward.linkClicks.reduce((n, r) => n + r.n, 0)).toBe(200);
  });

  it('is empty for no events', () => {
    expect(aggregate([])).toEqual({ linkClicks: [], profileViews: [], referrers: [], countries: [] });
  });
});

describe('parseMessage', () => {
  const ok = {
    id: 'e1',
    type: 'link.clicked',
    occurredAt: '2026-03-01T12:00:03.000Z',
    data: { profileId: 'p1', linkId: 'l1', referrer: 'https://t.co', country: 'DE', username: 'demo' },
  };
  it('parses a counted event', () => {
    const r = parseMessage(JSON.stringify(ok));
    expect(r.kind).toBe('counted');
    if (r.kind === 'counted') expect(r.event).toMatchObject({ id: 'e1', profileId: 'p1', linkId: 'l1', country: 'DE' });
  });
  it('skips other event types on the queue', () => {
    expect(parseMessage(JSON.stringify({ ...ok, type: 'profile.updated', data: { profileId: 'p1' } }))).toEqual({
      kind: 'ignored',
      type: 'profile.updated',
    });
  });
  it.each([
    ['not JSON', '{'],
    ['no id', JSON.stringify({ ...ok, id: undefined })],
    ['bad date', JSON.stringify({ ...ok, occurredAt: 'yesterday' })],
    ['no profileId', JSON.stringify({ ...ok, data: { linkId: 'l1' } })],
    ['click without linkId', JSON.stringify({ ...ok, data: { profileId: 'p1' } })],
    ['an array', '[]'],
  ])('rejects a poison message: %s', (_, body) => {
    expect(parseMessage(body).kind).toBe('invalid');
  });

  it.each([
    ['a NUL in linkId', { linkId: 'lnk_shop\u0000x' }, 'data.linkId: must not contain control characters'],
    ['a BEL in profileId', { profileId: 'p\u0007' }, 'data.profileId: must not contain control characters'],
    ['a lone surrogate in linkId', { linkId: 'l\uD800' }, 'data.linkId: must not contain unpaired surrogates'],
  ])('refuses what Postgres would refuse or garble (%s), naming the event', (_, data, reason) => {
    expect(parseMessage(JSON.stringify({ ...ok, data: { ...ok.data, ...data } }))).toEqual({ kind: 'invalid', reason, id: 'e1' });
  });

  it('accepts ids outside ASCII (the fast path leaves them to the full check)', () => {
    const r = parseMessage(JSON.stringify({ ...ok, data: { ...ok.data, linkId: 'lnk_😀', profileId: 'prof_é' } }));
    expect(r.kind).toBe('counted');
    if (r.kind === 'counted') expect(r.event).toMatchObject({ linkId: 'lnk_😀', profileId: 'prof_é' });
  });
});

describe('parseAnalyticsQuery', () => {
  const now = Date.parse('2026-03-02T10:17:31Z');
  it('defaults to the last 24 h at 1h, to rounded up to the minute', () => {
    const r = parseAnalyticsQuery({}, now);
    expect(r).toEqual({
      ok: true,
      query: { from: new Date('2026-03-01T10:18:00Z'), to: new Date('2026-03-02T10:18:00Z'), interval: '1h' },
    });
  });
  it('floors from and ceils to to 10 s', () => {
    const r = parseAnalyticsQuery({ from: '2026-03-01T00:00:05Z', to: '2026-03-01T00:01:01Z', interval: '10s' }, now);
    expect(r.ok && [r.query.from.toISOString(), r.query.to.toISOString()]).toEqual([
      '2026-03-01T00:00:00.000Z',
      '2026-03-01T00:01:10.000Z',
    ]);
  });
  it.each([
    [{ interval: '5m' }],
    [{ from: 'yesterday' }],
    [{ to: '2026-03-01T00:00:00' }], // no zone
    [{ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }],
    [{ from: '2026-03-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }],
    [{ from: '2025-01-01T00:00:00Z', to: '2025-04-02T00:00:01Z', interval: '1d' }],
    [{ from: '2026-02-01T00:00:00Z', to: '2026-03-01T00:00:00Z', interval: '10s' }],
  ])('rejects %o', (params) => {
    expect(parseAnalyticsQuery(params, now).ok).toBe(false);
  });
  it('accepts exactly 90 days at 1d', () => {
    expect(parseAnalyticsQuery({ from: '2025-01-01T00:00:00Z', to: '2025-04-01T00:00:00Z', interval: '1d' }, now).ok).toBe(true);
  });
});

describe('denseSeries', () => {
  it('fills empty buckets with zeros, aligned to UTC', () => {
    const q = { from: new Date('2026-03-01T10:30:00Z'), to: new Date('2026-03-01T12:10:00Z'), interval: '1h' as const };
    expect(denseSeries(q, [{ t: Date.parse('2026-03-01T11:00:00Z'), views: 2, clicks: 1 }])).toEqual([
      { t: '2026-03-01T10:00:00.000Z', views: 0, clicks: 0 },
      { t: '2026-03-01T11:00:00.000Z', views: 2, clicks: 1 },
      { t: '2026-03-01T12:00:00.000Z', views: 0, clicks: 0 },
    ]);
  });
});

describe('ledgerId', () => {
  it('keeps UUIDs (lower-cased) and maps other ids to md5 as a UUID, like md5(id)::uuid in Postgres', () => {
    expect(ledgerId('0B7E6A1C-2F5D-4C1E-9B8A-1234567890AB')).toBe('0b7e6a1c-2f5d-4c1e-9b8a-1234567890ab');
    expect(ledgerId('msg_1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ledgerId('msg_1')).not.toBe(ledgerId('msg_2'));
  });
});
