// The narrow interfaces the read path depends on; adapters live in lambdas/adapters/.
import type { LinkUpdate, Profile } from './profile.ts';

/** What the cache tiers hold for a username: the origin's profile, or the fact that it has none. */
export type Snapshot = { kind: 'profile'; profile: Profile; fetchedAt: number } | { kind: 'missing'; fetchedAt: number };

/** L2: the shared cache (Redis). Methods reject when the cache is unreachable. */
export interface SnapshotCache {
  /** Whether the connection is up: a failed call on a live connection means "slow", not "down". */
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

export interface ProfileOrigin {
  /** The profile, or undefined when the origin answers 404. Throws OriginUnavailableError. */
  fetchProfile(username: string): Promise<Profile | undefined>;
  updateLinks(profileId: string, links: LinkUpdate[]): Promise<Profile>;
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
