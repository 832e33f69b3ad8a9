// Scoped API keys (docs/api-keys.md): made by the root key, each allowed some scopes on some (or
// every) profile until it expires or is revoked. The secret is shown once at creation and stored
// only as its hash; lookups by hash are remembered in process for at most L1_TTL_S (found or not),
// in a bounded cache, so a revocation takes effect everywhere within L1_TTL_S.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../contracts/routes.ts';
import type { Principal } from '../shared/auth.ts';
import { DependencyUnavailableError, ValidationError } from '../shared/errors.ts';

/** One key as stored: never the secret itself. */
export interface ApiKeyRecord {
  id: string;
  /** SHA-256 of the key, hex. */
  hash: string;
  scopes: Scope[];
  /** Lower-cased usernames; null: every profile. */
  profiles: string[] | null;
  /** ISO-8601; null: never expires. */
  expiresAt: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** The store of key records (DynamoDB in AWS: lambdas/adapters/dynamo-api-key-store.ts). */
export interface ApiKeyStore {
  put(record: ApiKeyRecord): Promise<void>;
  byHash(hash: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked (keeping the first time when already revoked); false when no key has that id. */
  revoke(id: string, at: string): Promise<boolean>;
}

export interface NewKey {
  scopes: Scope[];
  profiles?: string[];
  expiresAt?: string;
}

/** The answer to a creation: the only time the key itself is seen. */
export interface CreatedKey {
  id: string;
  key: string;
  scopes: Scope[];
  profiles: string[] | null;
  expiresAt: string | null;
}

/** A key as listed: everything but the secret and its hash. */
export interface KeyInfo {
  id: string;
  scopes: Scope[];
  profiles: string[] | null;
  expiresAt: string | null;
  createdAt: string;
  revoked: boolean;
  revokedAt?: string;
}

export const KEY_PREFIX = 'lck_';
/** `lck_` + base64url of 32 random bytes (256 bits). */
export const KEY_RE = /^lck_[A-Za-z0-9_-]{43}$/;

/**
 * SHA-256, not a slow password hash: the key is 256 random bits, so no dictionary or brute force
 * can invert its hash, and a fast hash lets every request be checked in microseconds. An unsalted
 * hash is what makes the lookup by hash (the table's partition key) possible.
 */
export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Equal-length hex digests compared in constant time. */
export const hashesMatch = (a: string, b: string): boolean => {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
};

export interface ApiKeysOptions {
  store: ApiKeyStore;
  /** How long a lookup (found or not) is remembered in process: L1_TTL_S. 0: not at all. */
  cacheTtlMs: number;
  /** Most lookups remembered at once; the oldest goes first. */
  cacheMax: number;
  now?: () => number;
  /** 32 random bytes per key; injectable for tests. */
  random?: (n: number) => Buffer;
}

interface Cached {
  record: ApiKeyRecord | undefined;
  until: number;
}

export class ApiKeys {
  readonly #store: ApiKeyStore;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #random: (n: number) => Buffer;
  readonly #cache = new Map<string, Cached>();

  constructor(options: ApiKeysOptions) {
    this.#store = options.store;
    this.#ttlMs = Math.max(0, options.cacheTtlMs);
    this.#max = Math.max(1, options.cacheMax);
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? randomBytes;
  }

  /** Input is validated by the route (lambdas/admin/keys.ts); here only what needs the clock. */
  async create(input: NewKey): Promise<CreatedKey> {
    if (input.expiresAt !== undefined && !(Date.parse(input.expiresAt) > this.#now()))
      throw new ValidationError('expiresAt must be a time in the future.');
    const key = KEY_PREFIX + this.#random(32).toString('base64url');
    const id = `key_${this.#random(12).toString('hex')}`;
    const profiles = input.profiles ? [...new Set(input.profiles.map((p) => p.toLowerCase()))] : null;
    const record: ApiKeyRecord = {
      id,
      hash: hashKey(key),
      scopes: [...new Set(input.scopes)].sort(),
      profiles,
      expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
      createdAt: new Date(this.#now()).toISOString(),
      revokedAt: null,
    };
    await this.#store.put(record);
    return { id, key, scopes: record.scopes, profiles, expiresAt: record.expiresAt };
  }

  async list(): Promise<KeyInfo[]> {
    const records = await this.#store.list();
    return records
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
      .map((r) => ({
        id: r.id,
        scopes: r.scopes,
        profiles: r.profiles,
        expiresAt: r.expiresAt,
        createdAt: r.createdAt,
        revoked: r.revokedAt !== null,
        ...(r.revokedAt ? { revokedAt: r.revokedAt } : {}),
      }));
  }

  /** False when no key has that id. This process forgets it at once; others within the cache TTL. */
  async revoke(id: string): Promise<boolean> {
    const done = await this.#store.revoke(id, new Date(this.#now()).toISOString());
    if (done) for (const [hash, c] of this.#cache) if (c.record?.id === id) this.#cache.delete(hash);
    return done;
  }

  /**
   * The principal of a live key: undefined when it is malformed, unknown, revoked or expired.
   * Rejects with DependencyUnavailableError (503) when the store can't be read: a key that can't
   * be checked is neither let in nor called invalid.
   */
  async authenticate(key: string): Promise<Principal | undefined> {
    // Malformed keys never reach the store nor the cache: junk can't evict real entries.
    if (!KEY_RE.test(key)) return undefined;
    const hash = hashKey(key);
    const record = await this.#lookup(hash);
    // The store found the record by its hash; comparing again in constant time guards against a
    // store or emulator that matches loosely, at no measurable cost.
    if (!record || !hashesMatch(record.hash, hash)) return undefined;
    if (record.revokedAt !== null) return undefined;
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= this.#now()) return undefined;
    return { keyId: record.id, root: false, scopes: record.scopes, profiles: record.profiles };
  }

  /** Entries held now (for tests and the bound). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  async #lookup(hash: string): Promise<ApiKeyRecord | undefined> {
    const now = this.#now();
    const hit = this.#cache.get(hash);
    if (hit && hit.until > now) return hit.record;
    if (hit) this.#cache.delete(hash);
    let record: ApiKeyRecord | undefined;
    try {
      record = await this.#store.byHash(hash);
    } catch (err) {
      throw new DependencyUnavailableError('key store', { cause: err });
    }
    if (this.#ttlMs > 0) {
      this.#cache.delete(hash);
      while (this.#cache.size >= this.#max) {
        const oldest = this.#cache.keys().next().value as string;
        this.#cache.delete(oldest);
      }
      this.#cache.set(hash, { record, until: now + this.#ttlMs });
    }
    return record;
  }
}
