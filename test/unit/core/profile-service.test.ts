import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryProfileCache } from '../../../lambdas/adapters/memory-profile-cache.ts';
import type { L1Entry } from '../../../lambdas/core/ports.ts';
import type { Profile } from '../../../lambdas/core/profile.ts';
import { MetricNames } from '../../../lambdas/contracts/metrics.ts';
import { L2_READ_BUDGET_MS, ProfileService, renderOnce, strongEtag, type View } from '../../../lambdas/core/profile-service.ts';
import type { CacheConfig } from '../../../lambdas/core/settings.ts';
import { OriginUnavailableError, ProfileNotFoundError } from '../../../lambdas/shared/errors.ts';
import { linksView, profileView } from '../../../lambdas/profile/views.ts';
import {
  cacheConfig,
  deferred,
  FakeClock,
  FakeOrigin,
  FakeSnapshotCache,
  makeProfile,
  RecordingTelemetry,
} from '../../helpers/fakes.ts';

const S = 1000;

const setup = (
  over: { l2?: FakeSnapshotCache | null; origin?: FakeOrigin; clock?: FakeClock; config?: Partial<CacheConfig> } = {},
) => {
  const clock = over.clock ?? new FakeClock();
  const origin = over.origin ?? new FakeOrigin(makeProfile('demo'));
  const l2 = over.l2 === null ? undefined : (over.l2 ?? new FakeSnapshotCache());
  const config = cacheConfig(over.config);
  const l1 = new MemoryProfileCache({ maxEntries: 100, maxBytes: 1 << 20, retainMs: config.staleTtlS * S });
  const telemetry = new RecordingTelemetry();
  const service = new ProfileService({ config, l1, l2, origin, clock, telemetry });
  return { clock, origin, l2, l1, service, config, telemetry };
};

describe('ProfileService cache-aside', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('fills from the origin on a miss, then serves from L1 without calling it again', async () => {
    const first = await t.service.view(profileView, 'demo');
    expect(first.outcome).toBe('MISS');
    expect(JSON.parse(first.body).username).toBe('demo');
    const second = await t.service.view(profileView, 'demo');
    expect(second.outcome).toBe('HIT');
    expect(second.body).toBe(first.body);
    expect(second.etag).toBe(first.etag);
    expect(t.origin.calls).toBe(1);
  });

  it('serves from L2 once the L1 copy is past the L1 TTL', async () => {
    await t.service.view(profileView, 'demo');
    t.clock.advance(6 * S);
    const r = await t.service.view(profileView, 'demo');
    expect(r.outcome).toBe('HIT');
    expect(t.origin.calls).toBe(1);
  });

  it('keeps the ETag stable for unchanged content and changes it when content changes', async () => {
    const a = await t.service.view(profileView, 'demo');
    await t.service.invalidate('demo');
    const b = await t.service.view(profileView, 'demo');
    expect(b.etag).toBe(a.etag);
    t.origin.profiles.set('demo', makeProfile('demo', { bio: 'new bio' }));
    await t.service.invalidate('demo');
    const c = await t.service.view(profileView, 'demo');
    expect(c.etag).not.toBe(a.etag);
  });

  it('says how long ago the snapshot was fetched from the origin (whole seconds), through L1, L2 and stale', async () => {
    expect((await t.service.view(profileView, 'demo')).ageS).toBe(0);
    t.clock.advance(2.9 * S);
    expect((await t.service.view(profileView, 'demo')).ageS).toBe(2);
    t.clock.advance(10 * S); // past L1: from L2, the same snapshot
    expect((await t.service.view(profileView, 'demo')).ageS).toBe(12);
    t.clock.advance(300 * S);
    t.origin.failing = true;
    const stale = await t.service.view(profileView, 'demo');
    expect(stale.outcome).toBe('STALE');
    expect(stale.ageS).toBe(312);
  });

  it('renders the links view as enabled links by position', async () => {
    const r = await t.service.view(linksView, 'demo');
    expect(JSON.parse(r.body).links.map((l: { id: string }) => l.id)).toEqual(['a', 'b']);
  });

  it('applies each view its own freshness: links go stale at 120 s while the profile is fresh until 300 s', async () => {
    await t.service.view(profileView, 'demo');
    t.clock.advance(150 * S);
    expect((await t.service.view(profileView, 'demo')).outcome).toBe('HIT');
    expect((await t.service.view(linksView, 'demo')).outcome).toBe('STALE');
  });
});

describe('stale-while-revalidate and stale-if-error', () => {
  it('answers from the stale copy at once and refreshes in the background', async () => {
    const t = setup();
    await t.service.view(profileView, 'demo');
    t.origin.profiles.set('demo', makeProfile('demo', { bio: 'fresh' }));
    t.clock.advance(301 * S);
    const gate = deferred();
    t.origin.gate = gate.promise;
    const stale = await t.service.view(profileView, 'demo'); // resolves while the origin is still held
    expect(stale.outcome).toBe('STALE');
    expect(JSON.parse(stale.body).bio).toBe('bio');
    gate.resolve();
    await t.service.settled();
    const next = await t.service.view(profileView, 'demo');
    expect(next.outcome).toBe('HIT');
    expect(JSON.parse(next.body).bio).toBe('fresh');
    expect(t.origin.calls).toBe(2);
  });

  it('keeps serving the stale copy while the origin fails', async () => {
    const t = setup();
    await t.service.view(profileView, 'demo');
    t.clock.advance(400 * S);
    t.origin.failing = true;
    for (let i = 0; i < 3; i++) expect((await t.service.view(profileView, 'demo')).outcome).toBe('STALE');
    await t.service.settled();
    expect((await t.service.view(profileView, 'demo')).outcome).toBe('STALE');
  });

  it('answers 503 (OriginUnavailableError) when the origin fails and no tier has a copy', async () => {
    const t = setup();
    t.origin.failing = true;
    await expect(t.service.view(profileView, 'demo')).rejects.toBeInstanceOf(OriginUnavailableError);
  });
});

describe('negative caching', () => {
  it('remembers a 404 for the negative TTL, then asks again', async () => {
    const t = setup();
    await expect(t.service.view(profileView, 'ghost')).rejects.toBeInstanceOf(ProfileNotFoundError);
    t.clock.advance(30 * S);
    await expect(t.service.view(profileView, 'ghost')).rejects.toBeInstanceOf(ProfileNotFoundError);
    expect(t.origin.calls).toBe(1);
    t.clock.advance(31 * S);
    await expect(t.service.view(profileView, 'ghost')).rejects.toBeInstanceOf(ProfileNotFoundError);
    expect(t.origin.calls).toBe(2);
  });
});

describe('stampede protection', () => {
  it('makes one origin call for many concurrent misses in one process', async () => {
    const t = setup();
    const results = await Promise.all(Array.from({ length: 200 }, () => t.service.view(profileView, 'demo')));
    expect(results.every((r) => r.outcome === 'MISS')).toBe(true);
    expect(t.origin.calls).toBe(1);
  });

  it('makes one origin call across processes sharing L2: waiters read the holder’s result', async () => {
    const shared = new FakeSnapshotCache();
    const origin = new FakeOrigin(makeProfile('demo'));
    // Real time here: waiters poll on the clock while the holder's origin call is open.
    const clock = Object.assign(new FakeClock(), {
      now: Date.now,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    });
    const a = setup({ l2: shared, origin, clock });
    const b = setup({ l2: shared, origin, clock });
    const gate = deferred();
    origin.gate = gate.promise;
    const pending = [
      ...Array.from({ length: 50 }, () => a.service.view(profileView, 'demo')),
      ...Array.from({ length: 50 }, () => b.service.view(profileView, 'demo')),
    ];
    await new Promise((r) => setTimeout(r, 100));
    gate.resolve();
    const results = await Promise.all(pending);
    expect(origin.calls).toBe(1);
    expect(new Set(results.map((r) => r.etag)).size).toBe(1);
  });

  it('lets a waiter try itself when the lock holder fails', async () => {
    const shared = new FakeSnapshotCache();
    const origin = new FakeOrigin(makeProfile('demo'));
    const a = setup({ l2: shared, origin });
    shared.locks.set('demo', 'someone-else'); // a holder that will never write
    setTimeout(() => shared.locks.delete('demo'), 1); // ...and then gives up
    const r = await a.service.view(profileView, 'demo');
    expect(r.outcome).toBe('MISS');
    expect(origin.calls).toBe(1);
  });
});

describe('Redis down', () => {
  it('falls through to the origin and L1 without failing', async () => {
    const l2 = new FakeSnapshotCache();
    l2.down = true;
    const t = setup({ l2 });
    expect((await t.service.view(profileView, 'demo')).outcome).toBe('MISS');
    expect((await t.service.view(profileView, 'demo')).outcome).toBe('HIT');
    expect(t.origin.calls).toBe(1);
  });

  it('serves the in-process copy as STALE past the L1 TTL, since nothing can confirm it', async () => {
    const t = setup();
    await t.service.view(profileView, 'demo');
    (t.l2 as FakeSnapshotCache).down = true;
    t.clock.advance(6 * S);
    expect((await t.service.view(profileView, 'demo')).outcome).toBe('STALE');
  });

  it('runs with no L2 configured at all', async () => {
    const t = setup({ l2: null });
    expect((await t.service.view(profileView, 'demo')).outcome).toBe('MISS');
    expect((await t.service.view(profileView, 'demo')).outcome).toBe('HIT');
  });
});

describe('Redis hung (connection up, nothing answers)', () => {
  const COMMAND_TIMEOUT_MS = 250;
  /** An L2 whose every call times out after the command timeout, on the service's fake clock. */
  const hung = (over: Partial<CacheConfig> = {}) => {
    const clock = new FakeClock();
    const l2 = new FakeSnapshotCache();
    l2.stalled = { clock, timeoutMs: COMMAND_TIMEOUT_MS };
    const origin = new FakeOrigin(makeProfile('demo'), makeProfile('alice'), makeProfile('bob'));
    return { ...setup({ l2, origin, clock, config: over }), l2 };
  };
  const elapsed = async (clock: FakeClock, read: () => Promise<unknown>): Promise<number> => {
    const start = clock.now();
    await read().catch(() => {});
    return clock.now() - start;
  };

  it('answers a cold read of a profile and of an unknown username within 2 s (one timed-out call each)', async () => {
    const t = hung();
    const profile = await elapsed(t.clock, () => t.service.view(profileView, 'demo'));
    const unknown = await elapsed(t.clock, () => t.service.view(profileView, 'ghost'));
    expect(profile).toBeLessThan(2_000);
    expect(unknown).toBeLessThan(2_000);
    expect(profile).toBe(COMMAND_TIMEOUT_MS);
    expect(t.l2.calls).toEqual(['get', 'get']); // no lock, no wait, no write after the failure
    expect(t.origin.calls).toBe(2);
    await expect(t.service.view(profileView, 'ghost')).rejects.toBeInstanceOf(ProfileNotFoundError); // L1 negative entry
  });

  it('takes a lock call that times out for Redis trouble, not a held lock: straight to the origin', async () => {
    const clock = new FakeClock();
    const l2 = new FakeSnapshotCache();
    const origin = new FakeOrigin(makeProfile('demo'));
    const t = setup({ l2, origin, clock });
    l2.tryLock = async () => {
      l2.calls.push('tryLock');
      await clock.sleep(COMMAND_TIMEOUT_MS);
      throw new Error('Command timed out');
    };
    const ms = await elapsed(clock, () => t.service.view(profileView, 'demo'));
    expect(ms).toBe(COMMAND_TIMEOUT_MS);
    expect(l2.calls).toEqual(['get', 'tryLock']);
    expect(origin.calls).toBe(1);
    expect(l2.data.has('demo')).toBe(false); // no lock, no write: it could outlive an invalidation
  });

  it('stops waiting on a held lock when a poll times out, and fetches itself', async () => {
    const t = setup();
    const l2 = t.l2 as FakeSnapshotCache;
    l2.locks.set('demo', 'a-live-holder');
    const poll = l2.poll.bind(l2);
    let polls = 0;
    l2.poll = async (u: string) => {
      if (++polls === 3) {
        l2.stalled = { clock: t.clock, timeoutMs: COMMAND_TIMEOUT_MS };
      }
      return poll(u);
    };
    const ms = await elapsed(t.clock, () => t.service.view(profileView, 'demo'));
    expect(ms).toBeLessThan(2_000);
    expect(t.origin.calls).toBe(1);
    expect(l2.calls.filter((c) => c === 'poll')).toHaveLength(3);
  });

  it('still waits on a held lock while Redis answers, and serves the holder’s result', async () => {
    const t = setup();
    const l2 = t.l2 as FakeSnapshotCache;
    l2.locks.set('demo', 'a-live-holder');
    const start = t.clock.now();
    const pending = t.service.view(profileView, 'demo');
    // The holder lands its result 1.5 s later (on the fake clock the waiter's polls advance).
    const landed = (async () => {
      while (t.clock.now() - start < 1_500) await new Promise((r) => setImmediate(r));
      l2.data.set('demo', { kind: 'profile', profile: makeProfile('demo', { bio: 'from holder' }), fetchedAt: t.clock.now() });
      l2.locks.delete('demo');
    })();
    const r = await pending;
    await landed;
    expect(JSON.parse(r.body).bio).toBe('from holder');
    expect(t.origin.calls).toBe(0);
  });

  it('stops making new L2 calls once a read has spent its budget on a slow Redis', async () => {
    const t = setup();
    const l2 = t.l2 as FakeSnapshotCache;
    l2.locks.set('demo', 'a-live-holder'); // held for good: only the budget ends the wait early
    l2.latency = { clock: t.clock, ms: 400 };
    const ms = await elapsed(t.clock, () => t.service.view(profileView, 'demo'));
    expect(t.origin.calls).toBe(1);
    // get + tryLock + polls, each 400 ms, stop at the first call past the budget (plus poll sleeps).
    expect(ms).toBeLessThan(L2_READ_BUDGET_MS + 400 + 200);
    expect(ms).toBeLessThan(t.config.lockTtlMs);
  });

  it('opens the breaker after N failures: reads skip L2 for the cooldown, then one trial closes it', async () => {
    const t = hung({ l2BreakerFailures: 3, l2BreakerCooldownMs: 10_000 });
    await t.service.view(profileView, 'demo');
    await t.service.view(profileView, 'alice');
    expect(t.service.l2BreakerState()).toBe('closed');
    await expect(t.service.view(profileView, 'ghost')).rejects.toBeInstanceOf(ProfileNotFoundError);
    expect(t.service.l2BreakerState()).toBe('open');
    expect(t.l2.calls).toHaveLength(3);

    // Open: no L2 call at all, and no time spent on it.
    const skipped = await elapsed(t.clock, () => t.service.view(profileView, 'bob'));
    expect(skipped).toBe(0);
    t.clock.advance(6 * S); // past the L1 TTL: a cached profile is served from L1 (stale) meanwhile
    expect((await t.service.view(profileView, 'demo')).outcome).toBe('STALE');
    await t.service.settled();
    expect(t.l2.calls).toHaveLength(3);

    // Past the cooldown, Redis is back: one trial call, then L2 is used again.
    t.clock.advance(4 * S);
    t.l2.stalled = undefined;
    expect(t.service.l2BreakerState()).toBe('half-open');
    expect((await t.service.view(profileView, 'alice')).outcome).toBe('MISS'); // L1 copy lapsed, L2 has none
    expect(t.service.l2BreakerState()).toBe('closed');
    expect(t.l2.calls.slice(3)).toEqual(['get', 'tryLock', 'set', 'unlock']);
    expect(t.l2.data.has('alice')).toBe(true);
  });

  it('counts each open once and warns once per open, not per request', async () => {
    const t = hung({ l2BreakerFailures: 2, l2BreakerCooldownMs: 1_000 });
    for (const u of ['demo', 'alice', 'bob', 'demo', 'alice']) await t.service.view(profileView, u).catch(() => {});
    const opens = () => t.telemetry.counts.get(MetricNames.RedisBreakerOpen) ?? 0;
    const openWarnings = () => t.telemetry.warnings.filter((w) => /breaker open/.test(w.message)).length;
    expect(opens()).toBe(1);
    expect(openWarnings()).toBe(1);
    expect(t.l2.calls).toHaveLength(2);
    // The trial after the cooldown (and past bob's L1 TTL) fails: open again, counted again.
    t.clock.advance(6 * S);
    await t.service.view(profileView, 'bob');
    expect(t.l2.calls).toHaveLength(3);
    expect(opens()).toBe(2);
    expect(openWarnings()).toBe(2);
  });

  it('does not count a disconnected L2 against the breaker (its calls fail at once anyway)', async () => {
    const l2 = new FakeSnapshotCache();
    l2.down = true;
    const t = setup({ l2, config: { l2BreakerFailures: 1 } });
    for (let i = 0; i < 3; i++) await t.service.view(profileView, 'demo');
    expect(l2.calls).toEqual([]);
    expect(t.service.l2BreakerState()).toBe('closed');
    l2.down = false;
    t.clock.advance(6 * S);
    await t.service.view(profileView, 'demo');
    expect(l2.calls[0]).toBe('get');
  });
});

describe('invalidation', () => {
  it('drops both tiers so the next read fetches the new content', async () => {
    const t = setup();
    await t.service.view(profileView, 'demo');
    t.origin.profiles.set('demo', makeProfile('demo', { displayName: 'Renamed' }));
    await t.service.invalidate('demo');
    const r = await t.service.view(profileView, 'demo');
    expect(r.outcome).toBe('MISS');
    expect(JSON.parse(r.body).displayName).toBe('Renamed');
  });

  it('discards an L1 copy when L2 answers that the key is gone (invalidated by another process)', async () => {
    const shared = new FakeSnapshotCache();
    const origin = new FakeOrigin(makeProfile('demo'));
    const clock = new FakeClock();
    const reader = setup({ l2: shared, origin, clock });
    const writer = setup({ l2: shared, origin, clock });
    await reader.service.view(profileView, 'demo');
    origin.profiles.set('demo', makeProfile('demo', { bio: 'v2' }));
    await writer.service.invalidate('demo');
    clock.advance(6 * S); // past the reader's L1 TTL
    const r = await reader.service.view(profileView, 'demo');
    expect(JSON.parse(r.body).bio).toBe('v2');
  });

  it('does not let a fill that began before an invalidation write its older content', async () => {
    const t = setup();
    const gate = deferred();
    t.origin.gate = gate.promise;
    const inflight = t.service.view(profileView, 'demo');
    await new Promise((r) => setTimeout(r, 1));
    await t.service.invalidate('demo');
    gate.resolve();
    await inflight;
    expect((t.l2 as FakeSnapshotCache).data.has('demo')).toBe(false);
    t.origin.gate = undefined;
    expect((await t.service.view(profileView, 'demo')).outcome).toBe('MISS');
  });
});

describe('rendered views, memoized per snapshot', () => {
  /** A view whose body and headers count how often they are computed. */
  const countingView = () => {
    const calls = { body: 0, headers: 0 };
    const headersOf = (p: Profile) => {
      calls.headers++;
      return { 'x-bio': p.bio };
    };
    const view: View = {
      name: 'counted',
      contentType: 'text/plain',
      maxAgeS: (c) => c.profileTtlS,
      render: (p) => {
        calls.body++;
        return { body: `bio: ${p.bio}`, headers: headersOf(p) };
      },
    };
    return { view, calls };
  };

  it('computes body, ETag and headers once per snapshot and serves them from L1 on every hit', async () => {
    const t = setup();
    const { view, calls } = countingView();
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await t.service.view(view, 'demo'));
    expect(results.map((r) => r.outcome)).toEqual(['MISS', ...Array(9).fill('HIT')]);
    expect(calls).toEqual({ body: 1, headers: 1 });
    for (const r of results) {
      expect(r.headers).toBe(results[0].headers);
      expect(r.etag).toBe(strongEtag('bio: bio'));
    }
    expect(results[0].headers).toEqual({ 'x-bio': 'bio' });
  });

  it('renders again, headers included, once a new snapshot replaces the entry', async () => {
    const t = setup();
    const { view, calls } = countingView();
    await t.service.view(view, 'demo');
    t.origin.profiles.set('demo', makeProfile('demo', { bio: 'new' }));
    await t.service.invalidate('demo');
    const a = await t.service.view(view, 'demo');
    const b = await t.service.view(view, 'demo');
    expect(calls).toEqual({ body: 2, headers: 2 });
    expect(a.headers).toEqual({ 'x-bio': 'new' });
    expect(b.headers).toBe(a.headers);
  });

  it('keeps the views of one entry apart by name, and leaves headers undefined for views without any', async () => {
    const t = setup();
    const { view, calls } = countingView();
    const json = await t.service.view(profileView, 'demo');
    const counted = await t.service.view(view, 'demo');
    expect(json.headers).toBeUndefined();
    expect(counted.headers).toEqual({ 'x-bio': 'bio' });
    expect((await t.service.view(profileView, 'demo')).body).toBe(json.body);
    expect(calls.body).toBe(1);
  });

  it('renderOnce: a strong ETag of the body and the profile lastModified as an HTTP date', () => {
    const profile = makeProfile('a');
    const entry: L1Entry = { snapshot: { kind: 'profile', profile, fetchedAt: 0 }, storedAt: 0, views: new Map() };
    const { view, calls } = countingView();
    const r1 = renderOnce(entry, view, profile);
    const r2 = renderOnce(entry, view, profile);
    expect(calls.body).toBe(1);
    expect(r2).toBe(r1);
    expect(r1.etag).toBe(strongEtag('bio: bio'));
    expect(r1.etag).toMatch(/^"[\w-]{27}"$/);
    expect(r1.lastModified).toBe('Thu, 01 Jan 2026 00:00:00 GMT');
  });
});
