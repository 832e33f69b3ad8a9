// L2: profile snapshots in Redis/Valkey. Keys are hash-tagged by username (see redis-keys.ts),
// so the multi-key reads and the invalidation script stay on one cluster slot. The scripts name
// no key themselves: they get theirs in KEYS (and, for INVALIDATE, the index members the
// analytics cache wrote under the same prefix and tag), so the prefix is the adapter's alone.
import { randomUUID } from 'node:crypto';
import type { Snapshot, SnapshotCache } from '../core/ports.ts';
import type { RedisKeys } from './redis-keys.ts';
import type { RedisClient } from './redis-client.ts';

// Deletes the snapshot, every analytics summary listed in the index, the index itself, and the
// fill lock (so a fill that began before this invalidation cannot write its older content).
const INVALIDATE = `
local n = 0
local members = redis.call('SMEMBERS', KEYS[2])
for _, k in ipairs(members) do n = n + redis.call('DEL', k) end
n = n + redis.call('DEL', KEYS[1], KEYS[2])
redis.call('DEL', KEYS[3])
return n
`;

const SET_IF_LOCKED = `
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return 1
`;

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class RedisProfileCache implements SnapshotCache {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;

  constructor(redis: RedisClient, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  available(): boolean {
    return this.#redis.status === 'ready';
  }

  async get(username: string): Promise<Snapshot | undefined> {
    return decode(await this.#redis.get(this.#keys.profile(username)));
  }

  async poll(username: string): Promise<{ snapshot: Snapshot | undefined; locked: boolean }> {
    const [snap, lock] = await this.#redis.mget(this.#keys.profile(username), this.#keys.lock(username));
    return { snapshot: decode(snap), locked: lock !== null };
  }

  async set(username: string, snapshot: Snapshot, ttlS: number, lockToken?: string): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlS));
    const value = JSON.stringify(snapshot);
    if (lockToken) {
      // Only while our lock stands: an invalidation that ran during the origin call deleted it,
      // and the content fetched before that invalidation must not land afterwards.
      const written = await this.#redis.eval(
        SET_IF_LOCKED,
        2,
        this.#keys.profile(username),
        this.#keys.lock(username),
        value,
        ttl,
        lockToken,
      );
      if (Number(written) !== 1) return false;
    } else {
      await this.#redis.set(this.#keys.profile(username), value, 'EX', ttl);
    }
    // The id → username mapping lives on another slot, so it is a separate command.
    if (snapshot.kind === 'profile') {
      await this.#redis.set(this.#keys.profileId(snapshot.profile.id), username, 'EX', Math.max(1, Math.ceil(ttlS)));
    }
    return true;
  }

  async tryLock(username: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const ok = await this.#redis.set(this.#keys.lock(username), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : undefined;
  }

  async unlock(username: string, token: string): Promise<void> {
    await this.#redis.eval(UNLOCK, 1, this.#keys.lock(username), token);
  }

  async invalidate(username: string): Promise<number> {
    return Number(
      await this.#redis.eval(
        INVALIDATE,
        3,
        this.#keys.profile(username),
        this.#keys.analyticsIndex(username),
        this.#keys.lock(username),
      ),
    );
  }

  async usernameForId(profileId: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#keys.profileId(profileId))) ?? undefined;
  }
}

const decode = (raw: string | null): Snapshot | undefined => {
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as Snapshot;
  } catch {
    return undefined; // a corrupt entry is a miss; the next fill overwrites it
  }
};
