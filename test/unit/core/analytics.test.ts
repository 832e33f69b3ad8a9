import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  aggregate,
  type AnalyticsEvent,
  assertIntervalKept,
  denseSeries,
  finestInterval,
  floorToWindow,
  ledgerId,
  linkVisitorKey,
  normalizeCountry,
  parseAnalyticsQuery,
  parseMessage,
  type RawRow,
  referrerHost,
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
const V2U = 'fedcba98-7654-3210-fedc-ba9876543210';

/** A row as [window (time of day), linkId, views, clicks, visitors, uniques]. */
const brief = (r: RawRow) => [new Date(r.bucket).toISOString().slice(11, 19), r.linkId, r.views, r.clicks, r.visitors, r.uniques];

describe('aggregate', () => {
  it('folds events of one profile, window and signature into one row, and counts views and clicks apart', () => {
    const a = aggregate([
      ev({ occurredAt: new Date('2026-03-01T12:00:00Z') }),
      ev({ occurredAt: new Date('2026-03-01T12:00:09.999Z') }),
      ev({ occurredAt: new Date('2026-03-01T12:00:10Z') }),
      ev({ type: 'profile.viewed', linkId: undefined, occurredAt: new Date('2026-03-01T12:00:05Z') }),
      ev({ type: 'profile.viewed', linkId: undefined, occurredAt: new Date('2026-03-01T12:00:06Z') }),
    ]);
    expect(a.rows.map(brief)).toEqual([
      ['12:00:00', 'l1', 0, 2, 0, 0],
      ['12:00:10', 'l1', 0, 1, 0, 0],
      ['12:00:00', '', 2, 0, 0, 0],
    ]);
  });

  it('keeps a view under linkId "" even when it names a link', () => {
    const a = aggregate([ev({ type: 'profile.viewed', linkId: 'l1' }), ev({ type: 'profile.viewed', linkId: 'l2' })]);
    expect(a.rows).toHaveLength(1);
    expect(a.rows[0]).toMatchObject({ linkId: '', views: 2, clicks: 0 });
  });

  it('writes the normalised dimensions, with defaults for those the edge did not send', () => {
    const full = aggregate([
      ev({
        linkId: 'l9',
        referrer: 'https://WWW.Instagram.com/p/abc?token=1',
        country: 'de',
        region: 'BY',
        city: 'München',
        device: 'tablet',
        browser: 'Safari',
        os: 'iOS',
        utm: { source: 'ig', medium: 'social', campaign: 'spring', term: 't', content: 'c' },
      }),
    ]);
    expect(full.rows).toEqual([
      {
        profileId: 'p1',
        bucket: Date.parse('2026-03-01T12:00:00Z'),
        linkId: 'l9',
        country: 'DE',
        device: 'tablet',
        referrer: 'www.instagram.com',
        region: 'BY',
        city: 'München',
        browser: 'Safari',
        os: 'iOS',
        utmSource: 'ig',
        utmMedium: 'social',
        utmCampaign: 'spring',
        views: 0,
        clicks: 1,
        visitors: 0,
        uniques: 0,
      } satisfies RawRow,
    ]);
    const bare = aggregate([ev({ type: 'profile.viewed', linkId: undefined })]);
    expect(bare.rows).toEqual([
      {
        profileId: 'p1',
        bucket: Date.parse('2026-03-01T12:00:00Z'),
        linkId: '',
        country: '(unknown)',
        device: 'other',
        referrer: '(direct)',
        region: '',
        city: '',
        browser: 'Other',
        os: 'Other',
        utmSource: '',
        utmMedium: '',
        utmCampaign: '',
        views: 1,
        clicks: 0,
        visitors: 0,
        uniques: 0,
      } satisfies RawRow,
    ]);
  });

  it('counts the same normalised value under one row: referrer URLs of one host, countries in any case, XX as unknown', () => {
    const a = aggregate([
      ev({ referrer: 'https://t.co/a', country: 'us' }),
      ev({ referrer: 'https://T.CO/b?x=1', country: 'US' }),
      ev({ referrer: 't.co', country: ' us ' }),
      ev({ referrer: '', country: 'XX' }),
      ev({ referrer: 'javascript:alert(1)', country: 'USA' }),
      ev({}),
    ]);
    expect(a.rows.map((r) => [r.referrer, r.country, r.clicks])).toEqual([
      ['t.co', 'US', 3],
      ['(direct)', '(unknown)', 3],
    ]);
  });

  it('starts a new row when any one dimension of the signature differs', () => {
    const base: Partial<AnalyticsEvent> = {
      linkId: 'l1',
      referrer: 'https://t.co',
      country: 'DE',
      region: 'BY',
      city: 'Munich',
      device: 'mobile',
      browser: 'Chrome',
      os: 'Android',
      utm: { source: 's', medium: 'm', campaign: 'c' },
    };
    const variants: Array<Partial<AnalyticsEvent>> = [
      { profileId: 'p2' },
      { occurredAt: new Date('2026-03-01T12:00:10Z') },
      { linkId: 'l2' },
      { referrer: 'https://x.com' },
      { country: 'AT' },
      { region: 'BE' },
      { city: 'Berlin' },
      { device: 'desktop' },
      { browser: 'Firefox' },
      { os: 'Windows' },
      { utm: { source: 's2', medium: 'm', campaign: 'c' } },
      { utm: { source: 's', medium: 'm2', campaign: 'c' } },
      { utm: { source: 's', medium: 'm', campaign: 'c2' } },
      { utm: { source: 's', medium: 'm' } },
    ];
    const a = aggregate([ev(base), ...variants.map((v) => ev({ ...base, ...v })), ev(base)]);
    expect(a.rows).toHaveLength(1 + variants.length);
    expect(a.rows[0].clicks).toBe(2);
    expect(a.rows.slice(1).every((r) => r.clicks === 1)).toBe(true);
  });

  it('does not split rows by utm term or content (they are not stored)', () => {
    const a = aggregate([
      ev({ utm: { source: 's', term: 'a', content: 'x' } }),
      ev({ utm: { source: 's', term: 'b', content: 'y' } }),
      ev({ utm: { source: 's' } }),
    ]);
    expect(a.rows.map((r) => [r.utmSource, r.clicks])).toEqual([['s', 3]]);
  });

  it('sums to the events it was given, with rows unique by (profile, window, signature)', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const events = Array.from({ length: 3_000 }, () =>
      ev({
        type: rnd(4) ? 'profile.viewed' : 'link.clicked',
        linkId: `l${rnd(3)}`,
        profileId: `p${rnd(3)}`,
        occurredAt: new Date(Date.UTC(2026, 2, 1) + rnd(120_000)),
        country: ['DE', 'us', undefined][rnd(3)],
        device: (['mobile', 'desktop', undefined] as const)[rnd(3)],
        browser: ['Chrome', undefined][rnd(2)],
      }),
    );
    const a = aggregate(events);
    expect(a.rows.reduce((n, r) => n + r.views, 0)).toBe(events.filter((e) => e.type === 'profile.viewed').length);
    expect(a.rows.reduce((n, r) => n + r.clicks, 0)).toBe(events.filter((e) => e.type === 'link.clicked').length);
    const keys = a.rows.map(({ views, clicks, visitors, uniques, ...sig }) => JSON.stringify(sig));
    expect(new Set(keys).size).toBe(a.rows.length);
    expect(a.rows.every((r) => r.bucket % 10_000 === 0)).toBe(true);
  });

  it('spans lo to hi: the first and the last window of the batch, in any order of events', () => {
    const a = aggregate([
      ev({ occurredAt: new Date('2026-03-01T12:00:25Z') }),
      ev({ occurredAt: new Date('2026-03-01T11:59:59.999Z') }),
      ev({ type: 'profile.viewed', linkId: undefined, occurredAt: new Date('2026-03-02T00:00:07Z') }),
      ev({ occurredAt: new Date('2026-03-01T12:00:00Z') }),
    ]);
    expect(new Date(a.lo).toISOString()).toBe('2026-03-01T11:59:50.000Z');
    expect(new Date(a.hi).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    const one = aggregate([ev({ occurredAt: new Date('2026-03-01T12:00:03Z') })]);
    expect([one.lo, one.hi]).toEqual([Date.parse('2026-03-01T12:00:00Z'), Date.parse('2026-03-01T12:00:00Z')]);
  });

  it('lists each visitor hash once, and each clicking visitor once per (profile, link), with their dedupe keys', () => {
    // The edge's hash already covers the day (its salt) and the profile: a hash is one visitor.
    const a = aggregate([
      ev({ type: 'profile.viewed', linkId: undefined, visitor: V1 }),
      ev({ linkId: 'l1', visitor: V1 }),
      ev({ linkId: 'l1', visitor: V1, occurredAt: new Date('2026-03-01T23:59:59Z') }),
      ev({ linkId: 'l2', visitor: V1 }),
      ev({ linkId: 'l1', visitor: V1, profileId: 'p2' }),
      ev({ type: 'profile.viewed', linkId: undefined, visitor: V2 }),
      ev({ linkId: 'l1' }), // no visitor hash: counted, but nobody to list
    ]);
    expect(a.visitors.map((v) => [v.day, v.profileId, v.visitor]).sort()).toEqual(
      [
        ['2026-03-01', 'p1', V1U],
        ['2026-03-01', 'p1', V2U],
      ].sort(),
    );
    expect(a.visitorKeys.sort()).toEqual([V1U, V2U].sort());
    const lvs = a.linkVisitors.map((v) => [v.profileId, v.linkId, v.visitor]);
    // V2 only viewed: no link visitor.
    expect(lvs.sort()).toEqual(
      [
        ['p1', 'l1', V1U],
        ['p1', 'l2', V1U],
        ['p2', 'l1', V1U],
      ].sort(),
    );
    // A link visitor's key: md5 of profile, link and visitor as a uuid, one per (profile, link, visitor).
    expect(a.linkVisitorKeys).toEqual(a.linkVisitors.map(linkVisitorKey));
    expect(new Set(a.linkVisitorKeys).size).toBe(3);
    const md5 = createHash('md5').update(`p1\u0001l1\u0001${V1U}`).digest('hex');
    expect(a.linkVisitorKeys).toContain(
      `${md5.slice(0, 8)}-${md5.slice(8, 12)}-${md5.slice(12, 16)}-${md5.slice(16, 20)}-${md5.slice(20)}`,
    );
  });

  it('credits a new visitor to the row of its earliest event of the day and a unique click to its earliest click, wherever they come in the batch', () => {
    const a = aggregate([
      ev({ linkId: 'l1', visitor: V1, occurredAt: new Date('2026-03-01T12:00:35Z') }),
      ev({ type: 'profile.viewed', linkId: undefined, visitor: V1, occurredAt: new Date('2026-03-01T12:00:05Z') }),
      ev({ linkId: 'l1', visitor: V1, occurredAt: new Date('2026-03-01T12:00:15Z') }),
      ev({ linkId: 'l1', visitor: V1, occurredAt: new Date('2026-03-01T12:00:25Z') }),
    ]);
    expect(a.visitors).toHaveLength(1);
    expect(a.linkVisitors).toHaveLength(1);
    a.credit([visitorKey(a.visitors[0])], [linkVisitorKey(a.linkVisitors[0])]);
    expect(a.rows.map(brief)).toEqual([
      ['12:00:30', 'l1', 0, 1, 0, 0],
      ['12:00:00', '', 1, 0, 1, 0],
      ['12:00:10', 'l1', 0, 1, 0, 1],
      ['12:00:20', 'l1', 0, 1, 0, 0],
    ]);
  });

  it('credits only the visitors the store found new', () => {
    const a = aggregate([
      ev({ linkId: 'l1', visitor: V1, occurredAt: new Date('2026-03-01T12:00:15Z') }),
      ev({ linkId: 'l2', visitor: V2, occurredAt: new Date('2026-03-01T12:00:45Z') }),
      ev({ linkId: 'l1', visitor: V2, occurredAt: new Date('2026-03-01T12:00:55Z') }),
    ]);
    const v2Link = a.linkVisitors.find((v) => v.linkId === 'l2');
    if (!v2Link) throw new Error('visitor keys missing');
    // V1 is new; V2's click on l2 is new, V2 itself and its click on l1 were seen before.
    a.credit([visitorKey(a.visitors[0]), 'not-a-key'], [linkVisitorKey(v2Link)]);
    const cells = (r: RawRow) => [new Date(r.bucket).toISOString(), r.visitors, r.uniques];
    expect(a.rows.map(cells)).toEqual([
      ['2026-03-01T12:00:10.000Z', 1, 0],
      ['2026-03-01T12:00:40.000Z', 0, 1],
      ['2026-03-01T12:00:50.000Z', 0, 0],
    ]);
    const none = aggregate([ev({ visitor: V1 })]);
    none.credit([], []);
    expect(none.rows.map((r) => [r.visitors, r.uniques])).toEqual([[0, 0]]);
  });

  it('is empty for no events: no rows, lo = hi = 0, nobody to credit', () => {
    const a = aggregate([]);
    expect(a.rows).toEqual([]);
    expect([a.lo, a.hi]).toEqual([0, 0]);
    expect(a.visitors).toEqual([]);
    expect(a.linkVisitors).toEqual([]);
    expect(() => a.credit(['x'], ['y'])).not.toThrow();
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
      expect(bad.event.device).toBeUndefined();
      expect(bad.event.visitor).toBeUndefined();
      expect(bad.event.city).toBeUndefined();
      expect(bad.event.region).toBeUndefined();
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
