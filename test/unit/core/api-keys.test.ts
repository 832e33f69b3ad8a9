import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ApiKeys, hashKey, KEY_RE } from '../../../lambdas/core/api-keys.ts';
import { DependencyUnavailableError, ValidationError } from '../../../lambdas/shared/errors.ts';
import { MemoryApiKeyStore } from '../../helpers/api-keys.ts';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const T0 = Date.parse('2026-06-01T00:00:00.000Z');

const setup = (opts: { ttlMs?: number; max?: number } = {}) => {
  let now = T0;
  const store = new MemoryApiKeyStore();
  const keys = new ApiKeys({ store, cacheTtlMs: opts.ttlMs ?? 5_000, cacheMax: opts.max ?? 100, now: () => now });
  return {
    store,
    keys,
    advance: (ms: number) => {
      now += ms;
    },
  };
};

describe('ApiKeys', () => {
  it('makes a 256-bit key shown once, stored only as its SHA-256', async () => {
    const { keys, store } = setup();
    const made = await keys.create({ scopes: ['links:write', 'analytics:read'], profiles: ['Demo', 'demo', 'alice'] });
    expect(made.key).toMatch(KEY_RE);
    expect(Buffer.from(made.key.slice(4), 'base64url')).toHaveLength(32);
    expect(made).toMatchObject({ scopes: ['analytics:read', 'links:write'], profiles: ['demo', 'alice'], expiresAt: null });
    const [stored] = store.records.values();
    expect(stored.hash).toBe(hashKey(made.key));
    expect(JSON.stringify(stored)).not.toContain(made.key.slice(4));
    const other = await keys.create({ scopes: ['analytics:read'] });
    expect(other.key).not.toBe(made.key);
    expect(other.id).not.toBe(made.id);
  });

  it('authenticates a live key as its principal, and nothing else', async () => {
    const { keys } = setup();
    const made = await keys.create({ scopes: ['analytics:read'], profiles: ['demo'] });
    expect(await keys.authenticate(made.key)).toEqual({
      keyId: made.id,
      root: false,
      scopes: ['analytics:read'],
      profiles: ['demo'],
    });
    const flipped = made.key.slice(0, -1) + (made.key.endsWith('A') ? 'B' : 'A');
    expect(await keys.authenticate(flipped)).toBeUndefined();
    expect(await keys.authenticate('not-a-key')).toBeUndefined();
    expect(await keys.authenticate('')).toBeUndefined();
  });

  it('compares the stored hash in constant time', async () => {
    const { keys } = setup();
    const made = await keys.create({ scopes: ['analytics:read'] });
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    await keys.authenticate(made.key);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('refuses a record whose hash does not match exactly (a loosely matching store)', async () => {
    const { keys, store } = setup();
    const made = await keys.create({ scopes: ['analytics:read'] });
    const real = hashKey(made.key);
    store.byHash = async () => ({ ...[...store.records.values()][0], hash: real.toUpperCase() });
    expect(await keys.authenticate(made.key)).toBeUndefined();
  });

  it('stops accepting a key at its expiresAt, even while its lookup is cached', async () => {
    const { keys, advance } = setup({ ttlMs: 60_000 });
    const made = await keys.create({ scopes: ['analytics:read'], expiresAt: new Date(T0 + 10_000).toISOString() });
    expect(made.expiresAt).toBe('2026-06-01T00:00:10.000Z');
    expect(await keys.authenticate(made.key)).toBeDefined();
    advance(9_999);
    expect(await keys.authenticate(made.key)).toBeDefined();
    advance(1);
    expect(await keys.authenticate(made.key)).toBeUndefined();
  });

  it.each(['2026-05-31T23:59:59Z', '2026-06-01T00:00:00Z'])(
    'refuses to make a key expiring at %s (not in the future)',
    async (at) => {
      const { keys, store } = setup();
      await expect(keys.create({ scopes: ['analytics:read'], expiresAt: at })).rejects.toBeInstanceOf(ValidationError);
      expect(store.records.size).toBe(0);
    },
  );

  it('a revoked key is refused at once here, and within the cache TTL by another process', async () => {
    const store = new MemoryApiKeyStore();
    let now = T0;
    const here = new ApiKeys({ store, cacheTtlMs: 5_000, cacheMax: 10, now: () => now });
    const there = new ApiKeys({ store, cacheTtlMs: 5_000, cacheMax: 10, now: () => now });
    const made = await here.create({ scopes: ['analytics:read'] });
    expect(await here.authenticate(made.key)).toBeDefined();
    expect(await there.authenticate(made.key)).toBeDefined();
    expect(await here.revoke(made.id)).toBe(true);
    expect(await here.authenticate(made.key)).toBeUndefined();
    now += 4_999;
    expect(await there.authenticate(made.key)).toBeDefined(); // its cached lookup, still within L1_TTL_S
    now += 1;
    expect(await there.authenticate(made.key)).toBeUndefined();
    expect(await here.revoke('key_000000000000000000000000')).toBe(false);
  });

  it('remembers lookups, found or not, for the TTL only', async () => {
    const { keys, store, advance } = setup({ ttlMs: 5_000 });
    const made = await keys.create({ scopes: ['analytics:read'] });
    const unknown = `lck_${'A'.repeat(43)}`;
    await keys.authenticate(made.key);
    await keys.authenticate(unknown);
    await keys.authenticate(made.key);
    await keys.authenticate(unknown);
    expect(store.reads).toBe(2);
    advance(5_000);
    await keys.authenticate(made.key);
    await keys.authenticate(unknown);
    expect(store.reads).toBe(4);
  });

  it('with a TTL of 0 reads the store every time', async () => {
    const { keys, store } = setup({ ttlMs: 0 });
    const made = await keys.create({ scopes: ['analytics:read'] });
    await keys.authenticate(made.key);
    await keys.authenticate(made.key);
    expect(store.reads).toBe(2);
    expect(keys.cacheSize).toBe(0);
  });

  it('holds at most cacheMax lookups, dropping the oldest', async () => {
    const { keys, store } = setup({ ttlMs: 60_000, max: 3 });
    const junk = (i: number) => `lck_${String(i).padStart(43, 'x')}`;
    for (let i = 0; i < 10; i++) await keys.authenticate(junk(i));
    expect(keys.cacheSize).toBe(3);
    store.reads = 0;
    await keys.authenticate(junk(9)); // newest: cached
    expect(store.reads).toBe(0);
    await keys.authenticate(junk(0)); // oldest: evicted long ago
    expect(store.reads).toBe(1);
    expect(keys.cacheSize).toBe(3);
  });

  it('malformed keys never reach the store or the cache', async () => {
    const { keys, store } = setup();
    for (const k of ['x', 'lck_short', `lck_${'A'.repeat(44)}`, `Bearer lck_${'A'.repeat(43)}`]) await keys.authenticate(k);
    expect(store.reads).toBe(0);
    expect(keys.cacheSize).toBe(0);
  });

  it('a store failure is a 503, not a 401, and is not remembered', async () => {
    const { keys, store } = setup();
    const made = await keys.create({ scopes: ['analytics:read'] });
    store.failing = true;
    await expect(keys.authenticate(made.key)).rejects.toBeInstanceOf(DependencyUnavailableError);
    store.failing = false;
    expect(await keys.authenticate(made.key)).toBeDefined();
  });

  it('lists keys without secrets or hashes, revoked ones marked', async () => {
    const { keys, advance } = setup();
    const a = await keys.create({ scopes: ['analytics:read'], profiles: ['demo'] });
    advance(1_000);
    const b = await keys.create({ scopes: ['cache:invalidate'], expiresAt: '2027-01-01T00:00:00Z' });
    await keys.revoke(a.id);
    const list = await keys.list();
    expect(list).toEqual([
      {
        id: a.id,
        scopes: ['analytics:read'],
        profiles: ['demo'],
        expiresAt: null,
        createdAt: '2026-06-01T00:00:00.000Z',
        revoked: true,
        revokedAt: '2026-06-01T00:00:01.000Z',
      },
      {
        id: b.id,
        scopes: ['cache:invalidate'],
        profiles: null,
        expiresAt: '2027-01-01T00:00:00.000Z',
        createdAt: '2026-06-01T00:00:01.000Z',
        revoked: false,
      },
    ]);
    expect(JSON.stringify(list)).not.toContain(a.key.slice(4));
    expect(JSON.stringify(list)).not.toContain('hash');
  });
});
