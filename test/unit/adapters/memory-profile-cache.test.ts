import { describe, expect, it } from 'vitest';
import { MemoryProfileCache } from '../../../lambdas/adapters/memory-profile-cache.ts';
import type { Snapshot } from '../../../lambdas/core/ports.ts';
import { makeProfile } from '../../helpers/fakes.ts';

const snap = (u: string, bio = 'b'): Snapshot => ({ kind: 'profile', profile: makeProfile(u, { bio }), fetchedAt: 0 });
const sizeOf = (u: string) => 3 * JSON.stringify(makeProfile(u, { bio: 'b' })).length;

describe('MemoryProfileCache (L1)', () => {
  it('evicts the least recently used entry past the entry bound', () => {
    const l1 = new MemoryProfileCache({ maxEntries: 2, maxBytes: 1 << 20, retainMs: 60_000 });
    l1.set('a', snap('a'), 0);
    l1.set('b', snap('b'), 0);
    l1.get('a', 0); // a is now more recent than b
    l1.set('c', snap('c'), 0);
    expect(l1.get('b', 0)).toBeUndefined();
    expect(l1.get('a', 0)).toBeDefined();
    expect(l1.get('c', 0)).toBeDefined();
    expect(l1.stats.entries).toBe(2);
  });

  it('keeps the total size under the byte bound and accounts for replacements', () => {
    const one = sizeOf('a');
    const l1 = new MemoryProfileCache({ maxEntries: 100, maxBytes: 2 * one + 10, retainMs: 60_000 });
    l1.set('a', snap('a'), 0);
    l1.set('a', snap('a'), 0);
    expect(l1.stats).toEqual({ entries: 1, bytes: one });
    l1.set('b', snap('b'), 0);
    l1.set('c', snap('c'), 0);
    expect(l1.stats.entries).toBe(2);
    expect(l1.stats.bytes).toBeLessThanOrEqual(2 * one + 10);
    expect(l1.get('a', 0)).toBeUndefined();
  });

  it('does not keep an entry larger than the whole budget', () => {
    const l1 = new MemoryProfileCache({ maxEntries: 10, maxBytes: 1024, retainMs: 60_000 });
    const big: Snapshot = { kind: 'profile', profile: makeProfile('big', { bio: 'x'.repeat(2_000) }), fetchedAt: 0 };
    expect(l1.set('big', big, 0).snapshot).toBe(big);
    expect(l1.get('big', 0)).toBeUndefined();
    expect(l1.stats).toEqual({ entries: 0, bytes: 0 });
  });

  it('drops entries older than the retention', () => {
    const l1 = new MemoryProfileCache({ maxEntries: 10, maxBytes: 1 << 20, retainMs: 1_000 });
    l1.set('a', snap('a'), 0);
    expect(l1.get('a', 999)).toBeDefined();
    expect(l1.get('a', 1_000)).toBeUndefined();
    expect(l1.stats.entries).toBe(0);
  });

  it('hands out a fresh entry per stored snapshot, so renders of the previous one are never served', () => {
    const l1 = new MemoryProfileCache({ maxEntries: 10, maxBytes: 1 << 20, retainMs: 60_000 });
    const first = l1.set('a', snap('a'), 0);
    first.views.set('v', { body: 'old', etag: '"old"', lastModified: undefined, headers: undefined });
    expect(l1.get('a', 0)).toBe(first);
    const next = l1.set('a', snap('a', 'new'), 1);
    expect(next).not.toBe(first);
    expect(next.views.size).toBe(0);
    expect(l1.get('a', 1)).toBe(next);
  });
});
