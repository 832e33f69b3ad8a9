import { describe, expect, it } from 'vitest';
import {
  aggregate,
  type AnalyticsEvent,
  assertIntervalKept,
  COVER_MIN,
  denseSeries,
  finestInterval,
  floorToWindow,
  ledgerId,
  linkVisitorKey,
  normalizeCountry,
  parseAnalyticsQuery,
  parseMessage,
  referrerHost,
  rowCount,
  type Tier,
  visitorKey,
} from '../../../lambdas/core/analytics.ts';
import { ValidationError } from '../../../lambdas/shared/errors.ts';

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

const V1 = '0123456789abcdef0123456789abcdef';
const V2 = 'fedcba9876543210fedcba9876543210';
const V1U = '01234567-89ab-cdef-0123-456789abcdef';

describe('aggregate', () => {
  it('counts views and clicks per (profile, bucket, link, country, device) at 10 s, 1 h and 1 d', () => {
    const a = aggregate([
      ev({ linkId: 'l1', country: 'us', device: 'mobile' }),
      ev({ linkId: 'l1', country: 'US', device: 'mobile', occurredAt: new Date('2026-03-01T12:00:09Z') }),
      ev({ linkId: 'l1', country: 'US', device: 'mobile', occurredAt: new Date('2026-03-01T12:00:10Z') }),
      ev({ type: 'profile.viewed', linkId: undefined }),
    ]);
    const facts = (t: '10s' | '1h' | '1d') =>
      a.tiers[t].facts.map((f) => [new Date(f.bucket).toISOString(), f.linkId, f.country, f.device, f.views, f.clicks]);
    expect(facts('10s')).toEqual([
      ['2026-03-01T12:00:00.000Z', 'l1', 'US', 'mobile', 0, 2],
      ['2026-03-01T12:00:10.000Z', 'l1', 'US', 'mobile', 0, 1],
      ['2026-03-01T12:00:00.000Z', '', '(unknown)', 'other', 1, 0],
    ]);
    expect(facts('1h')).toEqual([
      ['2026-03-01T12:00:00.000Z', 'l1', 'US', 'mobile', 0, 3],
      ['2026-03-01T12:00:00.000Z', '', '(unknown)', 'other', 1, 0],
    ]);
    expect(facts('1d')).toEqual([
      ['2026-03-01T00:00:00.000Z', 'l1', 'US', 'mobile', 0, 3],
      ['2026-03-01T00:00:00.000Z', '', '(unknown)', 'other', 1, 0],
    ]);
  });

  it('keeps one signature row per combination of every dimension, and sums busy hours and days per breakdown value', () => {
    const a = aggregate([
      ev({ linkId: 'l1', country: 'DE', region: 'BY', city: 'Munich', browser: 'Safari', os: 'iOS', referrer: 'https://t.co/x' }),
      ev({ linkId: 'l2', country: 'DE', region: 'BY', city: 'Munich', utm: { source: 'ig', term: 'not kept' } }),
      ev({ type: 'profile.viewed', linkId: undefined, country: 'AT', region: 'BY' }),
    ]);
    const sigs = a.tiers['10s'].sigs.map((r) =>
      [
        r.linkId,
        r.country,
        r.device,
        r.referrer,
        r.region,
        r.city,
        r.browser,
        r.os,
        r.utmSource,
        r.covered,
        r.views,
        r.clicks,
      ].join('|'),
    );
    expect(sigs).toEqual([
      'l1|DE|other|t.co|BY|Munich|Safari|iOS||false|0|1',
      'l2|DE|other|(direct)|BY|Munich|Other|Other|ig|false|0|1',
      '|AT|other|(direct)|BY||Other|Other||false|1|0',
    ]);
    // Three events are below COVER_MIN: no dims rows, the signatures hold the breakdowns.
    expect(a.tiers['1d'].dims).toEqual([]);
    expect(a.tiers['1d'].sigs.every((r) => !r.covered)).toBe(true);

    const busy = aggregate(
      Array.from({ length: COVER_MIN }, (_, i) =>
        ev({ linkId: `l${i % 2}`, country: i % 2 ? 'DE' : 'AT', region: 'BY', browser: 'Chrome', referrer: 'https://t.co' }),
      ),
    );
    expect(busy.tiers['10s'].dims).toEqual([]);
    expect(busy.tiers['1h'].sigs.every((r) => r.covered)).toBe(true);
    const dims = busy.tiers['1d'].dims.map((d) => `${d.dim}|${d.country}|${d.value}=${d.views}/${d.clicks}`).sort();
    // Region rows stay apart per country; the others are summed over links, countries and devices.
    expect(dims).toEqual(
      [`1||t.co=0/${COVER_MIN}`, `4||Chrome=0/${COVER_MIN}`, `5||Other=0/${COVER_MIN}`, '2|AT|BY=0/4', '2|DE|BY=0/4'].sort(),
    );
  });

  it('holds the same counts in every tier: each coarse row is the sum of the fine rows it covers', () => {
    const rnd = (n: number) => Math.floor(Math.random() * n);
    const events = Array.from({ length: 2_000 }, () =>
      ev({
        type: rnd(5) ? 'profile.viewed' : 'link.clicked',
        linkId: `l${rnd(3)}`,
        profileId: `p${rnd(3)}`,
        occurredAt: new Date(Date.UTC(2026, 2, 1) + rnd(3 * 86_400_000)),
        country: ['DE', 'US', 'FR'][rnd(3)],
        device: (['mobile', 'desktop'] as const)[rnd(2)],
        browser: ['Chrome', 'Safari'][rnd(2)],
        visitor: rnd(2) ? V1 : V2,
      }),
    );
    const a = aggregate(events);
    a.credit(
      a.visitors.map((v) => visitorKey(v)),
      a.linkVisitors.map((v) => linkVisitorKey(v)),
    );
    const roll = (t: Tier, w: number) => {
      const m = new Map<string, number[]>();
      for (const f of a.tiers[t].facts) {
        const k = `${f.profileId}|${Math.floor(f.bucket / w) * w}|${f.linkId}|${f.country}|${f.device}`;
        const s = m.get(k) ?? [0, 0, 0, 0];
        m.set(k, [s[0] + f.views, s[1] + f.clicks, s[2] + f.visitors, s[3] + f.uniques]);
      }
      return [...m.entries()].sort();
    };
    expect(roll('10s', 3_600_000)).toEqual(roll('1h', 3_600_000));
    expect(roll('1h', 86_400_000)).toEqual(roll('1d', 86_400_000));
    const total = (t: Tier) => a.tiers[t].facts.reduce((n, f) => n + f.views + f.clicks, 0);
    expect([total('10s'), total('1h'), total('1d')]).toEqual([2_000, 2_000, 2_000]);
    // Two visitors on three profiles and three days: 18 visitor-days.
    expect(a.tiers['1d'].facts.reduce((n, f) => n + f.visitors, 0)).toBe(a.visitors.length);
  });

  it('credits a new visitor to the rows of its earliest event of the day, and a unique click to its earliest click on the link', () => {
    const a = aggregate([
      ev({ type: 'profile.viewed', linkId: undefined, visitor: V1, occurredAt: new Date('2026-03-01T12:00:25Z') }),
      ev({ linkId: 'l1', visitor: V1, occurredAt: new Date('2026-03-01T12:00:15Z') }),
      ev({ linkId: 'l1', visitor: V1, occurredAt: new Date('2026-03-01T12:00:35Z') }),
      ev({ linkId: 'l1', visitor: V1, occurredAt: new Date('2026-03-02T08:00:00Z') }),
    ]);
    expect(a.visitors).toEqual([
      { day: '2026-03-01', profileId: 'p1', visitor: V1U },
      { day: '2026-03-02', profileId: 'p1', visitor: V1U },
    ]);
    expect(a.linkVisitors.map((v) => v.linkId)).toEqual(['l1', 'l1']);
    // Postgres says only the first day's visitor (and click) is new.
    a.credit([visitorKey(a.visitors[0])], [linkVisitorKey(a.linkVisitors[0])]);
    const raw = a.tiers['10s'].facts.map((f) => [new Date(f.bucket).toISOString().slice(11, 19), f.visitors, f.uniques]);
    expect(raw).toEqual([
      ['12:00:20', 0, 0],
      ['12:00:10', 1, 1],
      ['12:00:30', 0, 0],
      ['08:00:00', 0, 0],
    ]);
    expect(a.tiers['1d'].facts.map((f) => [f.visitors, f.uniques])).toEqual([
      [0, 0],
      [1, 1],
      [0, 0],
    ]);
  });

  it('is empty for no events', () => {
    const a = aggregate([]);
    expect(rowCount(a)).toBe(0);
    expect(a.visitors).toEqual([]);
  });
});

describe('finestInterval and assertIntervalKept', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const r = { rawDays: 14 };
  it('answers 10 s within the raw retention, 1 h within 400 days, 1 d beyond', () => {
    expect(finestInterval(new Date(now - 14 * 86_400_000), now, r)).toBe('10s');
    expect(finestInterval(new Date(now - 14 * 86_400_000 - 1), now, r)).toBe('1h');
    expect(finestInterval(new Date(now - 400 * 86_400_000), now, r)).toBe('1h');
    expect(finestInterval(new Date(now - 401 * 86_400_000), now, r)).toBe('1d');
  });
  it('refuses an interval finer than the data kept with a 400', () => {
    const old = new Date(now - 20 * 86_400_000);
    expect(() => assertIntervalKept({ from: old, interval: '1m' }, now, r)).toThrow(ValidationError);
    expect(() => assertIntervalKept({ from: old, interval: '1m' }, now, r)).toThrow(/finer than the data kept/);
    expect(() => assertIntervalKept({ from: old, interval: '1h' }, now, r)).not.toThrow();
    expect(() => assertIntervalKept({ from: new Date(now - 500 * 86_400_000), interval: '1h' }, now, r)).toThrow(ValidationError);
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
  it('takes the dimensions the edge computed, and leaves out an unusable one instead of the event', () => {
    const data = {
      ...ok.data,
      region: 'BY',
      city: 'München',
      device: 'tablet',
      browser: 'Safari',
      os: 'iOS',
      visitor: V1,
      day: '2026-03-01',
      utm: { source: 'ig', medium: 'social', campaign: 'x\u0000y', term: 1 },
    };
    const r = parseMessage(JSON.stringify({ ...ok, data }));
    expect(r).toMatchObject({
      kind: 'counted',
      event: {
        region: 'BY',
        city: 'München',
        device: 'tablet',
        browser: 'Safari',
        os: 'iOS',
        visitor: V1,
        utm: { source: 'ig', medium: 'social' },
      },
    });
    if (r.kind === 'counted') expect(r.event.utm).toEqual({ source: 'ig', medium: 'social' });
    const bad = parseMessage(
      JSON.stringify({ ...ok, data: { ...ok.data, device: 'phone', visitor: 'XYZ', city: 'c'.repeat(129), region: 'a\u0007' } }),
    );
    expect(bad.kind).toBe('counted');
    if (bad.kind === 'counted') {
      expect(bad.event).not.toHaveProperty('device');
      expect(bad.event).not.toHaveProperty('visitor');
      expect(bad.event).not.toHaveProperty('city');
      expect(bad.event).not.toHaveProperty('region');
    }
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
      { t: '2026-03-01T10:00:00.000Z', views: 0, clicks: 0, visitors: 0 },
      { t: '2026-03-01T11:00:00.000Z', views: 2, clicks: 1, visitors: 0 },
      { t: '2026-03-01T12:00:00.000Z', views: 0, clicks: 0, visitors: 0 },
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
