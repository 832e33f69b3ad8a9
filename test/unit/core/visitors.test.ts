// Salting and hashing of visitors: one browser on one UTC day on one profile is one visitor.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalIp,
  clientIp,
  DAY_MS,
  makeVisitorHasher,
  type SaltStore,
  type StoredSalt,
  saltUsable,
  utcDay,
  viewerAddressIp,
  visitorHash,
} from '../../../lambdas/core/visitors.ts';

const UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile/15E148 Safari/604.1';
const UA2 = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0';
const T0 = Date.parse('2026-03-01T12:00:00Z');

/** A store that makes one salt per day the first time it is asked, like the DynamoDB one. */
class MemorySalts implements SaltStore {
  readonly salts = new Map<string, StoredSalt>();
  calls = 0;
  fail = false;
  hang = false;
  readonly now: () => number;
  constructor(now: () => number) {
    this.now = now;
  }
  async saltFor(day: string): Promise<StoredSalt> {
    this.calls++;
    if (this.hang) return new Promise<StoredSalt>(() => {});
    if (this.fail) throw new Error('DynamoDB unavailable');
    let s = this.salts.get(day);
    if (!s) {
      s = { salt: randomBytes(32), createdAt: this.now() };
      this.salts.set(day, s);
    }
    return s;
  }
}

const setup = (start = T0) => {
  let now = start;
  const clock = () => now;
  const store = new MemorySalts(clock);
  const counted: string[] = [];
  const warnings: Array<Record<string, unknown> | undefined> = [];
  const hasher = makeVisitorHasher({
    store,
    telemetry: { count: (m) => void counted.push(m), warn: (_m, extra) => void warnings.push(extra) },
    metric: 'VisitorSaltUnavailable',
    timeoutMs: 50,
    backoffMs: 1_000,
    now: clock,
  });
  return { store, counted, warnings, hasher, advance: (ms: number) => (now += ms), at: () => now };
};

describe('visitorHash', () => {
  it('is 32 lowercase hex characters, the username read case-insensitively', () => {
    const salt = randomBytes(32);
    const h = visitorHash(salt, '203.0.113.7', UA, 'Demo');
    expect(h).toMatch(/^[0-9a-f]{32}$/);
    expect(visitorHash(salt, '203.0.113.7', UA, 'demo')).toBe(h);
  });

  it('differs by IP, User-Agent, profile and salt', () => {
    const salt = randomBytes(32);
    const base = visitorHash(salt, '203.0.113.7', UA, 'demo');
    expect(visitorHash(salt, '203.0.113.8', UA, 'demo')).not.toBe(base);
    expect(visitorHash(salt, '203.0.113.7', UA2, 'demo')).not.toBe(base);
    expect(visitorHash(salt, '203.0.113.7', UA, 'other')).not.toBe(base);
    expect(visitorHash(randomBytes(32), '203.0.113.7', UA, 'demo')).not.toBe(base);
  });
});

describe('makeVisitorHasher', () => {
  it('the same inputs on the same day give the same visitor, and the salt is asked for once', async () => {
    const t = setup();
    const a = await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo');
    t.advance(3_600_000);
    const b = await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo');
    expect(a).toEqual({ visitor: expect.stringMatching(/^[0-9a-f]{32}$/), day: '2026-03-01' });
    expect(b).toEqual(a);
    expect(t.store.calls).toBe(1);
  });

  it('the next day the same browser is another visitor', async () => {
    const t = setup();
    const a = await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo');
    t.advance(DAY_MS);
    const b = await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo');
    expect(b.day).toBe('2026-03-02');
    expect(b.visitor).toMatch(/^[0-9a-f]{32}$/);
    expect(b.visitor).not.toBe(a.visitor);
  });

  it('different UA, IP or profile → different visitors', async () => {
    const t = setup();
    const ids = await Promise.all([
      t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo'),
      t.hasher.visitor(t.at(), '203.0.113.7', UA2, 'demo'),
      t.hasher.visitor(t.at(), '2001:db8::1', UA, 'demo'),
      t.hasher.visitor(t.at(), '203.0.113.7', UA, 'other'),
    ]);
    expect(new Set(ids.map((i) => i.visitor)).size).toBe(4);
    expect(t.store.calls).toBe(1); // concurrent asks share one request
  });

  it("yesterday's event uses yesterday's salt; an older one gets no visitor", async () => {
    const t = setup();
    const yesterday = await t.hasher.visitor(t.at() - DAY_MS, '203.0.113.7', UA, 'demo');
    expect(yesterday).toEqual({ visitor: expect.any(String), day: '2026-02-28' });
    const older = await t.hasher.visitor(t.at() - 2 * DAY_MS, '203.0.113.7', UA, 'demo');
    expect(older).toEqual({ day: '2026-02-27' });
    expect([...t.store.salts.keys()]).toEqual(['2026-02-28']);
  });

  it('no client IP → no visitor', async () => {
    const t = setup();
    expect(await t.hasher.visitor(t.at(), undefined, UA, 'demo')).toEqual({ day: '2026-03-01' });
  });

  it('a salt past its 48 h is refused, even from the cache', async () => {
    const t = setup(Date.parse('2026-03-01T00:00:01Z'));
    await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo');
    const salt = t.store.salts.get('2026-03-01') as StoredSalt;
    expect(saltUsable('2026-03-01', salt, t.at() + 47 * 3_600_000)).toBe(true);
    expect(saltUsable('2026-03-01', salt, t.at() + 48 * 3_600_000 + 1)).toBe(false);
    // A store that hands back an old salt (its TTL not yet applied) is not believed.
    const stale = setup(T0);
    stale.store.salts.set('2026-03-01', { salt: randomBytes(32), createdAt: T0 - 49 * 3_600_000 });
    expect(await stale.hasher.visitor(T0, '203.0.113.7', UA, 'demo')).toEqual({ day: '2026-03-01' });
  });

  it('a failing store: no visitor, a metric, the reason logged without salt, IP or UA; then a back-off', async () => {
    const t = setup();
    t.store.fail = true;
    expect(await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo')).toEqual({ day: '2026-03-01' });
    expect(t.counted).toEqual(['VisitorSaltUnavailable']);
    expect(JSON.stringify(t.warnings)).not.toMatch(/203\.0\.113\.7|iPhone/);
    // Within the back-off the store is not asked again, and each event is still counted as missing.
    await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo');
    expect(t.store.calls).toBe(1);
    expect(t.counted).toHaveLength(2);
    t.store.fail = false;
    t.advance(1_001);
    expect((await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo')).visitor).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a slow salt is kept once it arrives, for the events after it, and does not pause the store', async () => {
    const t = setup();
    let release: (() => void) | undefined;
    const slow = t.store.saltFor.bind(t.store);
    t.store.saltFor = (day: string) =>
      new Promise<StoredSalt>((resolve) => {
        release = () => resolve(slow(day));
      });
    expect(await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo')).toEqual({ day: '2026-03-01' });
    release?.();
    await new Promise((r) => setTimeout(r, 0));
    expect((await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo')).visitor).toMatch(/^[0-9a-f]{32}$/);
    expect(t.counted).toEqual(['VisitorSaltUnavailable']);
  });

  it('a hung store costs at most the time-out', async () => {
    const t = setup();
    t.store.hang = true;
    expect(await t.hasher.visitor(t.at(), '203.0.113.7', UA, 'demo')).toEqual({ day: '2026-03-01' });
    expect(t.counted).toEqual(['VisitorSaltUnavailable']);
  });
});

describe('client IP', () => {
  it.each([
    ['198.51.100.10:46532', '198.51.100.10'],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334:46532', '2001:db8:85a3::8a2e:370:7334'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['::ffff:192.0.2.1:80', '192.0.2.1'],
  ])('CloudFront-Viewer-Address %s → %s', (raw, ip) => {
    expect(viewerAddressIp(raw)).toBe(ip);
  });

  it.each(['', 'nonsense', '198.51.100.10', '1.2.3:80', '999.1.1.1:80'])('%j is no viewer address', (raw) => {
    expect(viewerAddressIp(raw)).toBeUndefined();
  });

  it('falls back to the source IP, canonicalized', () => {
    expect(clientIp(undefined, '127.0.0.2')).toBe('127.0.0.2');
    expect(clientIp('garbage', '::ffff:127.0.0.3')).toBe('127.0.0.3');
    expect(clientIp('203.0.113.9:1234', '127.0.0.2')).toBe('203.0.113.9');
    expect(canonicalIp('not an ip')).toBeUndefined();
  });

  it('utcDay is the UTC calendar day', () => {
    expect(utcDay(Date.parse('2026-03-01T23:59:59.999Z'))).toBe('2026-03-01');
    expect(utcDay(Date.parse('2026-03-02T00:00:00Z'))).toBe('2026-03-02');
  });
});
