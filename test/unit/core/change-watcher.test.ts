import { describe, expect, it } from 'vitest';
import { MetricNames } from '../../../lambdas/contracts/metrics.ts';
import {
  ChangeWatcher,
  contentHash,
  MAX_CONSECUTIVE_FAILURES,
  type WatcherSettings,
  watcherEventId,
  watchIntervalS,
  watchSchedulePeriodS,
} from '../../../lambdas/core/change-watcher.ts';
import { MemoryHotSet } from '../../../lambdas/core/hot-set.ts';
import type { Snapshot } from '../../../lambdas/core/ports.ts';
import { ProfileChanges } from '../../../lambdas/core/profile-change.ts';
import type { Profile } from '../../../lambdas/core/profile.ts';
import { FakeOrigin, makeProfile, RecordingTelemetry } from '../../helpers/fakes.ts';
import { FakeInvalidator, FakePublisher } from '../../helpers/write-fakes.ts';

/** A budget with `tokens` left, counting what was taken. */
const budget = (tokens: number) => {
  const b = {
    left: tokens,
    taken: 0,
    take: async () => {
      if (b.left < 1) return { allowed: false, retryAfterMs: 1_000 };
      b.left--;
      b.taken++;
      return { allowed: true, retryAfterMs: 0 };
    },
  };
  return b;
};

const HOT_MS = 3_600_000;

const setup = (names: string[], over: { tokens?: number; settings?: Partial<WatcherSettings> } = {}) => {
  let t = 1_000_000;
  const now = () => t;
  const hotSet = new MemoryHotSet(now);
  const cached = new Map<string, Snapshot>();
  const origin = new FakeOrigin();
  for (const name of names) {
    const p = makeProfile(name);
    origin.profiles.set(name, p);
    cached.set(name, { kind: 'profile', profile: structuredClone(p), fetchedAt: 1 });
    hotSet.recordRead(name);
    t += 1;
  }
  const order: string[] = [];
  const fetch = origin.fetchProfile.bind(origin);
  origin.fetchProfile = async (u: string) => {
    order.push(u);
    return fetch(u);
  };
  const invalidator = new FakeInvalidator();
  const publisher = new FakePublisher();
  const b = budget(over.tokens ?? 1_000);
  const telemetry = new RecordingTelemetry();
  const watcher = new ChangeWatcher({
    hotSet,
    cache: { get: async (u) => cached.get(u) },
    origin,
    budget: b,
    changes: new ProfileChanges({ invalidator, publisher }),
    settings: { hotMs: HOT_MS, maxPerRun: 1_000, concurrency: 1, ...over.settings },
    telemetry,
    now,
  });
  return {
    watcher,
    hotSet,
    cached,
    origin,
    order,
    invalidator,
    publisher,
    budget: b,
    telemetry,
    advance: (ms: number) => {
      t += ms;
    },
    now,
  };
};

const edit = (p: Profile, over: Partial<Profile>): Profile => ({ ...structuredClone(p), ...over });

describe('ChangeWatcher', () => {
  it('checks the hot profiles least recently checked first, and rotates them across runs', async () => {
    const s = setup(['a', 'b', 'c', 'd'], { tokens: 2 });
    const first = await s.watcher.run(s.now() + 60_000);
    expect(s.order).toEqual(['a', 'b']);
    expect(first).toMatchObject({ listed: 4, checked: 2, budgetUsed: 2, stoppedBy: 'budget' });
    s.advance(1_000);
    s.budget.left = 4;
    await s.watcher.run(s.now() + 60_000);
    // c and d were never checked, so they come before a and b.
    expect(s.order).toEqual(['a', 'b', 'c', 'd', 'a', 'b']);
  });

  it('never takes more than its budget: one token per origin read, and stops when it is spent', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const s = setup(names, { tokens: 7, settings: { concurrency: 4 } });
    const r = await s.watcher.run(s.now() + 60_000);
    expect(s.origin.calls).toBe(7);
    expect(s.budget.taken).toBe(7);
    expect(r).toMatchObject({ checked: 7, budgetUsed: 7, stoppedBy: 'budget' });
    expect(s.telemetry.counts.get(MetricNames.WatcherBudgetUsed)).toBe(7);
    expect(s.telemetry.counts.get(MetricNames.WatcherChecked)).toBe(7);
  });

  it('a changed profile: every tier invalidated and exactly one profile.updated with source watcher', async () => {
    const s = setup(['alice', 'bob']);
    const changed = edit(s.origin.profiles.get('alice') as Profile, { bio: 'new bio' });
    s.origin.profiles.set('alice', changed);
    const since = (s.cached.get('alice') as { fetchedAt: number }).fetchedAt;
    const r = await s.watcher.run(s.now() + 60_000);
    expect(r).toMatchObject({ checked: 2, changed: 1, failures: 0, stoppedBy: 'done' });
    expect(s.invalidator.calls).toEqual([{ profileId: 'prof_alice', username: 'alice' }]);
    expect(s.publisher.published).toHaveLength(1);
    const [event] = s.publisher.published;
    expect(event).toMatchObject({
      id: watcherEventId('profile.updated', 'prof_alice', contentHash(changed), since),
      type: 'profile.updated',
      data: { profileId: 'prof_alice', username: 'alice', source: 'watcher' },
    });
    expect(Number.isNaN(Date.parse(event.occurredAt))).toBe(false);
    expect(r.found).toEqual([{ username: 'alice', type: 'profile.updated', eventId: event.id }]);
    expect(s.telemetry.counts.get(MetricNames.WatcherChanges)).toBe(1);
  });

  it('the same change found again (the cache not yet refilled, another run) carries the same event id', async () => {
    const s = setup(['alice']);
    s.origin.profiles.set('alice', edit(s.origin.profiles.get('alice') as Profile, { displayName: 'Alice 2' }));
    await s.watcher.run(s.now() + 60_000);
    s.advance(1_000);
    await s.watcher.run(s.now() + 60_000);
    expect(s.publisher.published).toHaveLength(2);
    expect(s.publisher.published[0].id).toBe(s.publisher.published[1].id);
    // A different change is a different event.
    s.origin.profiles.set('alice', edit(s.origin.profiles.get('alice') as Profile, { displayName: 'Alice 3' }));
    await s.watcher.run(s.now() + 60_000);
    expect(s.publisher.published[2].id).not.toBe(s.publisher.published[0].id);
  });

  it('a change back and forth (A → B → A → B), each found against a newer copy, is an event each time', async () => {
    const s = setup(['alice']);
    const a = s.origin.profiles.get('alice') as Profile;
    const b = edit(a, { bio: 'B' });
    const ids: string[] = [];
    let fetchedAt = 10;
    for (const next of [b, a, b]) {
      s.origin.profiles.set('alice', next);
      await s.watcher.run(s.now() + 60_000);
      ids.push(s.publisher.published.at(-1)?.id as string);
      // The next read refills the cache with what the origin has now.
      s.cached.set('alice', { kind: 'profile', profile: structuredClone(next), fetchedAt: ++fetchedAt });
      s.advance(1_000);
    }
    expect(s.publisher.published).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  });

  it('an unchanged profile (other fetch time, keys in another order) causes nothing', async () => {
    const s = setup(['alice']);
    const p = s.origin.profiles.get('alice') as Profile;
    // Same content, keys reordered: the hash is of the content, not of its serialization.
    const reordered = Object.fromEntries(Object.entries(p).reverse()) as unknown as Profile;
    s.origin.profiles.set('alice', reordered);
    s.cached.set('alice', { kind: 'profile', profile: structuredClone(p), fetchedAt: 999 });
    const r = await s.watcher.run(s.now() + 60_000);
    expect(r).toMatchObject({ checked: 1, changed: 0, deleted: 0 });
    expect(s.invalidator.calls).toEqual([]);
    expect(s.publisher.published).toEqual([]);
  });

  it('a change the read path already refreshed into the cache (TTL, no Redis) still gets its event', async () => {
    const s = setup(['alice']);
    await s.watcher.run(s.now() + 60_000); // seen as it was
    const changed = edit(s.origin.profiles.get('alice') as Profile, { bio: 'edited' });
    s.origin.profiles.set('alice', changed);
    s.cached.set('alice', { kind: 'profile', profile: structuredClone(changed), fetchedAt: 2 });
    s.advance(1_000);
    const r = await s.watcher.run(s.now() + 60_000);
    expect(r.changed).toBe(1);
    expect(s.publisher.published.map((e) => e.id)).toEqual([
      watcherEventId('profile.updated', 'prof_alice', contentHash(changed), 2),
    ]);
    // Seen now: the next run finds nothing.
    s.advance(1_000);
    await s.watcher.run(s.now() + 60_000);
    expect(s.publisher.published).toHaveLength(1);
  });

  it('a 404 for a cached profile: invalidated, and profile.deleted with source watcher', async () => {
    const s = setup(['gone']);
    s.origin.profiles.delete('gone');
    const r = await s.watcher.run(s.now() + 60_000);
    expect(r).toMatchObject({ checked: 1, deleted: 1 });
    expect(s.invalidator.calls).toEqual([{ profileId: 'prof_gone', username: 'gone' }]);
    expect(s.publisher.published.map((e) => [e.type, e.data.source])).toEqual([['profile.deleted', 'watcher']]);
  });

  it('spends nothing on hot profiles with no cached copy (or a negative one)', async () => {
    const s = setup(['a', 'b', 'c']);
    s.cached.delete('a');
    s.cached.set('b', { kind: 'missing', fetchedAt: 1 });
    const r = await s.watcher.run(s.now() + 60_000);
    expect(s.order).toEqual(['c']);
    expect(r).toMatchObject({ listed: 3, skipped: 2, checked: 1, budgetUsed: 1 });
  });

  it('an origin failure is counted, the run goes on, and the failing profile moves to the back', async () => {
    const s = setup(['a', 'b', 'c']);
    const fetch = s.origin.fetchProfile;
    s.origin.fetchProfile = async (u) => {
      if (u === 'a') {
        s.order.push(u);
        throw new Error('origin down');
      }
      return fetch(u);
    };
    s.origin.profiles.set('c', edit(s.origin.profiles.get('c') as Profile, { bio: 'x' }));
    const r = await s.watcher.run(s.now() + 60_000);
    expect(r).toMatchObject({ checked: 2, changed: 1, failures: 1, stoppedBy: 'done' });
    expect(s.telemetry.counts.get(MetricNames.WatcherFailures)).toBe(1);
    s.advance(1_000);
    expect(await s.hotSet.hot(s.now(), HOT_MS, 10)).toEqual(['a', 'b', 'c']);
  });

  it('stops early after failures in a row (origin down), without throwing', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const s = setup(names);
    s.origin.failing = true;
    const r = await s.watcher.run(s.now() + 60_000);
    expect(r.stoppedBy).toBe('failures');
    expect(r.failures).toBe(MAX_CONSECUTIVE_FAILURES);
    expect(s.origin.calls).toBe(MAX_CONSECUTIVE_FAILURES);
  });

  it('a change that cannot be applied is counted and found again on the next run', async () => {
    const s = setup(['alice']);
    s.origin.profiles.set('alice', edit(s.origin.profiles.get('alice') as Profile, { bio: 'new' }));
    s.publisher.failures = 1;
    const r = await s.watcher.run(s.now() + 60_000);
    expect(r).toMatchObject({ changed: 0, failures: 1 });
    await s.watcher.run(s.now() + 60_000);
    expect(s.publisher.published).toHaveLength(1);
  });

  it('a hot set that cannot be listed, or a cache that fails, never crashes the run', async () => {
    const s = setup(['a', 'b']);
    s.hotSet.hot = async () => {
      throw new Error('redis down');
    };
    expect(await s.watcher.run(s.now() + 60_000)).toMatchObject({ listed: 0, failures: 1, stoppedBy: 'done' });
    const t = setup(['a', 'b']);
    const cached = t.cached;
    const get = cached.get.bind(cached);
    cached.get = (u: string) => {
      if (u === 'a') throw new Error('redis timeout');
      return get(u);
    };
    expect(await t.watcher.run(t.now() + 60_000)).toMatchObject({ checked: 1, failures: 1 });
  });

  it('starts no check at or after the deadline', async () => {
    const s = setup(['a', 'b', 'c']);
    const fetch = s.origin.fetchProfile;
    s.origin.fetchProfile = async (u) => {
      s.advance(10_000);
      return fetch(u);
    };
    const r = await s.watcher.run(s.now() + 15_000);
    expect(r.stoppedBy).toBe('deadline');
    expect(s.order).toEqual(['a', 'b']);
  });

  it('forgets profiles not read within the hot period', async () => {
    const s = setup(['old']);
    s.advance(HOT_MS + 1);
    s.hotSet.recordRead('new');
    s.cached.set('new', { kind: 'profile', profile: makeProfile('new'), fetchedAt: 1 });
    s.origin.profiles.set('new', makeProfile('new'));
    await s.watcher.run(s.now() + 60_000);
    expect(s.order).toEqual(['new']);
  });
});

describe('watch interval and schedule period', () => {
  it('defaults to 60 s for the Linktree origins and off for the others; a given value wins', () => {
    expect(watchIntervalS(undefined, 'linktree')).toBe(60);
    expect(watchIntervalS(undefined, 'linktree-mcp')).toBe(60);
    expect(watchIntervalS(undefined, 'http')).toBe(0);
    expect(watchIntervalS(undefined, 'demo')).toBe(0);
    expect(watchIntervalS(5, 'http')).toBe(5);
    expect(watchIntervalS(0, 'linktree')).toBe(0);
  });

  it('schedules in whole minutes, at least one (EventBridge Scheduler rates)', () => {
    expect([2, 59, 60, 61, 150, 3_600].map(watchSchedulePeriodS)).toEqual([60, 60, 60, 120, 180, 3_600]);
  });
});

describe('MemoryHotSet', () => {
  it('keeps at most its cap, dropping the least recently read', async () => {
    let t = 0;
    const hs = new MemoryHotSet(() => ++t, 2);
    for (const name of ['a', 'b', 'c']) hs.recordRead(name);
    hs.recordRead('b');
    hs.recordRead('d');
    expect((await hs.hot(t, HOT_MS, 10)).sort()).toEqual(['b', 'd']);
  });
});
