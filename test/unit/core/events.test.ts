import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newEvent, uuidv7 } from '../../../lambdas/core/events.ts';

// Spy on the pool refills while keeping the real random bytes.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, randomFillSync: vi.fn(real.randomFillSync) };
});

/** Lowercase 8-4-4-4-12, version nibble 7, variant 10xx (RFC 9562). */
const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit big-endian Unix-ms timestamp at the front of a version 7 UUID. */
const msOf = (id: string): number => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

afterEach(() => {
  vi.useRealTimers();
});

describe('uuidv7', () => {
  it('has the RFC 9562 layout: lowercase 8-4-4-4-12, version 7, variant 10', () => {
    for (let i = 0; i < 300; i++) expect(uuidv7()).toMatch(V7);
    expect(uuidv7(0)).toMatch(/^00000000-0000-7[0-9a-f]{3}-[89ab]/);
  });

  it.each([
    ['the epoch', 0],
    ['one millisecond', 1],
    ['2026', Date.parse('2026-03-01T12:00:03.456Z')],
    ['just below 2^32 ms', 2 ** 32 - 1],
    ['2^32 ms', 2 ** 32],
    ['above 2^32 ms', 2 ** 32 + 0x1234_5678],
    ['a date in 2100', Date.parse('2100-06-15T08:30:00.999Z')],
    ['the largest 48-bit ms', 2 ** 48 - 1],
  ])('puts the Unix milliseconds it is given in the first 48 bits (%s)', (_, ms) => {
    const id = uuidv7(ms);
    expect(id).toMatch(V7);
    expect(msOf(id)).toBe(ms);
  });

  it('uses the current time when given none', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Date.parse('2031-07-04T01:02:03.004Z');
    vi.setSystemTime(now);
    expect(msOf(uuidv7())).toBe(now);
  });

  it('sorts as strings in the order of its milliseconds', () => {
    const ms = [
      0,
      1,
      255,
      256,
      65_535,
      65_536,
      2 ** 24,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 32 + 1,
      2 ** 40,
      Date.parse('2026-03-01T12:00:00.000Z'),
      Date.parse('2026-03-01T12:00:00.001Z'),
      Date.parse('2026-03-01T12:00:01.000Z'),
      Date.parse('2100-01-01T00:00:00Z'),
      2 ** 48 - 1,
    ];
    expect([...ms].sort((a, b) => a - b)).toEqual(ms);
    // Generated out of order, so the sort has work to do.
    const ids = [...ms].reverse().map((t) => ({ t, id: uuidv7(t) }));
    const byString = [...ids].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => x.t);
    expect(byString).toEqual(ms);
  });

  it('gives distinct ids within one millisecond, across pool refills', () => {
    const ms = Date.parse('2026-03-01T12:00:00Z');
    const ids = Array.from({ length: 2_000 }, () => uuidv7(ms));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => V7.test(id) && msOf(id) === ms)).toBe(true);
    // The random bits after the version and variant vary: not only some of them.
    const hex = ids.map((id) => id.replaceAll('-', ''));
    for (const i of [13, 14, 15, 17, 31]) expect(new Set(hex.map((h) => h[i])).size).toBeGreaterThan(1);
  });

  it('refills its random pool once every 256 ids', () => {
    const fill = vi.mocked(crypto.randomFillSync);
    const before = fill.mock.calls.length;
    for (let i = 0; i < 512; i++) uuidv7(1);
    // Any 512 consecutive calls cross exactly two refills, wherever the pool stood.
    expect(fill.mock.calls.length - before).toBe(2);
  });
});

describe('newEvent', () => {
  it('ids its events with version 7 UUIDs of the current time, a new one each', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Date.parse('2026-03-01T12:00:03.456Z');
    vi.setSystemTime(now);
    const a = newEvent('link.clicked', { profileId: 'p1', linkId: 'l1' });
    const b = newEvent('profile.viewed', { profileId: 'p1' }, new Date('2020-01-01T00:00:00Z'));
    expect(a.id).toMatch(V7);
    expect(b.id).toMatch(V7);
    expect(a.id).not.toBe(b.id);
    expect(msOf(a.id)).toBe(now);
    // The id carries the time it was made, not the event's occurredAt.
    expect(msOf(b.id)).toBe(now);
    expect(a).toMatchObject({
      type: 'link.clicked',
      occurredAt: '2026-03-01T12:00:03.456Z',
      data: { profileId: 'p1', linkId: 'l1' },
    });
    expect(b.occurredAt).toBe('2020-01-01T00:00:00.000Z');
  });
});
