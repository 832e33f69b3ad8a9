// The narrow interfaces the read path depends on; adapters live in lambdas/adapters/.
import type { LinkUpdate, Profile } from './profile.ts';

/** What the cache tiers hold for a username: the origin's profile, or the fact that it has none. */
export type Snapshot = { kind: 'profile'; profile: Profile; fetchedAt: number } | { kind: 'missing'; fetchedAt: number };

/**
 * L2: the shared cache (Redis). Methods reject when the cache is unreachable, and settle within
 * the adapter's command timeout even when it hangs: the read path's bound on Redis rests on that.
 */
export interface SnapshotCache {
  /** Whether the connection is up; while it is not, the read path does not call (calls would fail at once). */
  available(): boolean;
  get(username: string): Promise<Snapshot | undefined>;
  /** Reads the snapshot and whether the fill lock is held, in one round trip. */
  poll(username: string): Promise<{ snapshot: Snapshot | undefined; locked: boolean }>;
  /** With `lockToken`, writes only while that lock is still held; resolves to whether it wrote. */
  set(username: string, snapshot: Snapshot, ttlS: number, lockToken?: string): Promise<boolean>;
  /** Elects one origin caller per key across processes. Resolves to a token when acquired. */
  tryLock(username: string, ttlMs: number): Promise<string | undefined>;
  unlock(username: string, token: string): Promise<void>;
  /** Deletes every cached view of the profile (snapshot, negative entry, analytics summaries). */
  invalidate(username: string): Promise<number>;
  usernameForId(profileId: string): Promise<string | undefined>;
}

/**
 * A view rendered from one snapshot, memoized on its L1 entry: body, ETag, Last-Modified and the
 * view's own response headers are computed once, so a hit does no rendering, hashing or JSON.
 * Shared by every response served from that entry: read it, never mutate it.
 */
export interface Rendered {
  readonly body: string;
  readonly etag: string;
  /** The profile's lastModified as an HTTP date, formatted once with the body. */
  readonly lastModified: string | undefined;
  /** Headers that belong to the body (a page's CSP admitting its inline style); undefined for most views. */
  readonly headers: Readonly<Record<string, string>> | undefined;
}

/** What L1 keeps per username: the snapshot, when it was stored, and its rendered views by view name. */
export interface L1Entry {
  snapshot: Snapshot;
  storedAt: number;
  views: Map<string, Rendered>;
}

/**
 * L1: the in-process cache of one container, bounded and evicting on its own. Synchronous, so a
 * hit costs no await. Freshness is the caller's (`storedAt`); the cache only bounds retention.
 */
export interface LocalProfileCache {
  /** The kept entry, or undefined; `now` on the same clock as `set`'s. */
  get(username: string, now: number): L1Entry | undefined;
  /** A new entry with no views rendered yet; returned even when too big to keep, to serve once. */
  set(username: string, snapshot: Snapshot, now: number): L1Entry;
  delete(username: string): void;
}

export interface ProfileOrigin {
  /** The profile, or undefined when the origin answers 404. Throws OriginUnavailableError. */
  fetchProfile(username: string): Promise<Profile | undefined>;
  /** `username` is the profile's, for origins whose tools are addressed by username (Linktree's MCP). */
  updateLinks(profileId: string, links: LinkUpdate[], username?: string): Promise<Profile>;
}

export interface RateLimiter {
  /** Takes one token; when none is left, says how long until one is. */
  take(): Promise<{ allowed: boolean; retryAfterMs: number }>;
}

export type CacheOutcome = 'HIT' | 'MISS' | 'STALE';

/** Counters the read path reports; CloudWatch EMF in Lambda, nothing locally. */
export interface Telemetry {
  count(metric: string, value?: number): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

export const noTelemetry: Telemetry = { count: () => {}, warn: () => {} };

/** What claiming an idempotency key found: ours to process, already done, or someone else's lease. */
export type IdempotencyClaim =
  | { state: 'claimed'; token: string }
  | { state: 'completed' }
  | { state: 'in_progress'; retryAfterMs: number };

/**
 * Exactly-once processing per key (the webhook-id): `claim` writes an in-progress record with a
 * lease; `complete` marks it done (kept for the TTL); `release` deletes it so a retry can run.
 * `complete` and `release` only touch the record while it still carries the claim's token.
 */
export interface IdempotencyStore {
  claim(key: string, leaseMs: number): Promise<IdempotencyClaim>;
  complete(key: string, token: string): Promise<void>;
  release(key: string, token: string): Promise<void>;
}
