// The read path: L1 (in-process) → L2 (Redis) → origin, with stale-while-revalidate,
// stale-if-error, negative caching, and one origin call per key across processes (single-flight
// in process + a Redis fill lock whose waiters read the result). A Redis that stops answering
// costs a read at most one failed call (L2_READ_BUDGET_MS in all), and a circuit breaker stops
// reads asking it at all for a cooldown after a run of failures.
import { createHash } from 'node:crypto';
import { MetricNames } from '../contracts/metrics.ts';
import { type BreakerState, CircuitBreaker } from './circuit-breaker.ts';
import type { CacheConfig } from './settings.ts';
import { ProfileNotFoundError } from '../shared/errors.ts';
import {
  type CacheOutcome,
  type L1Entry,
  type LocalProfileCache,
  noTelemetry,
  type ProfileOrigin,
  type Rendered,
  type Snapshot,
  type SnapshotCache,
  type Telemetry,
} from './ports.ts';
import type { ReadRecorder } from './hot-set.ts';
import type { Profile } from './profile.ts';
import { type Clock, realClock } from './retry.ts';

/** What a view renders from a profile: the body and the response headers that go with it. */
export interface ViewOutput {
  body: string;
  /** Headers derived from the body or the profile (a page's CSP); memoized with the body. */
  headers?: Readonly<Record<string, string>>;
}

/** A representation of a profile served from the cache (JSON routes, the HTML page). */
export interface View {
  /** The memo key on an L1 entry: views with different output need different names. */
  name: string;
  contentType: string;
  /** Seconds a snapshot is fresh for this view (profiles 300 s, link lists 120 s, ...). */
  maxAgeS: (config: CacheConfig) => number;
  /** Called once per snapshot and view; hits and 304s are answered from the memoized result. */
  render: (profile: Profile) => ViewOutput;
}

export interface ViewResult extends Rendered {
  outcome: CacheOutcome;
  contentType: string;
  profile: Profile;
  /** Whole seconds since the snapshot was fetched from the origin (the answer's `Age`). */
  ageS: number;
}

export interface ProfileServiceDeps {
  config: CacheConfig;
  l1: LocalProfileCache;
  /** Undefined when no Redis is configured: L1 and the origin alone. */
  l2: SnapshotCache | undefined;
  origin: ProfileOrigin;
  telemetry?: Telemetry;
  clock?: Clock;
  /**
   * The breaker of the process's Redis, shared with its other users (the origin's rate limiter);
   * by default one of the service's own, from `config`, on `clock`.
   */
  l2Breaker?: CircuitBreaker;
  /**
   * The change watcher's hot set, told of reads that went past L1 (never of an L1 hit: that path
   * is kept free of it; a hot profile gets past L1 at least once per L1_TTL_S anyway).
   */
  reads?: ReadRecorder;
}

interface Resolved {
  snapshot: Snapshot;
  outcome: CacheOutcome;
  /** Set when the snapshot is (also) in L1, so rendered views are memoized on it. */
  entry?: L1Entry;
}

const OUTCOME_METRIC = { HIT: MetricNames.CacheHit, MISS: MetricNames.CacheMiss, STALE: MetricNames.CacheStale } as const;

const POLL_MIN_MS = 10;
const POLL_MAX_MS = 50;

/**
 * The most one read spends inside L2 calls before it stops making new ones (waiting on a held
 * lock's holder aside: that is bounded by the lock TTL). With the adapter's command timeout on the
 * one call that may still be running, a read waits on Redis well under 2 s beyond its origin time.
 */
export const L2_READ_BUDGET_MS = 1_500;

/** What an L2 call gives when it failed, timed out, or was not made (breaker open, budget spent). */
const TROUBLE = Symbol('L2 trouble');

/**
 * One read's use of L2. The first failure ends it: the rest of the read (lock, wait, write) goes
 * without Redis rather than spend another command timeout on it.
 */
interface L2Read {
  spentMs: number;
  troubled: boolean;
}

export class ProfileService {
  readonly #c: CacheConfig;
  readonly #l1: LocalProfileCache;
  readonly #l2: SnapshotCache | undefined;
  readonly #origin: ProfileOrigin;
  readonly #telemetry: Telemetry;
  readonly #clock: Clock;
  readonly #inflight = new Map<string, Promise<Resolved>>();
  readonly #refreshing = new Map<string, Promise<void>>();
  readonly #breaker: CircuitBreaker;
  readonly #reads: ReadRecorder | undefined;
  /** Bumped by every invalidation: a fill that started before one must not write L1 after it. */
  #epoch = 0;

  constructor(deps: ProfileServiceDeps) {
    this.#c = deps.config;
    this.#l1 = deps.l1;
    this.#l2 = deps.l2;
    this.#origin = deps.origin;
    this.#telemetry = deps.telemetry ?? noTelemetry;
    this.#clock = deps.clock ?? realClock;
    this.#breaker = deps.l2Breaker ?? redisBreaker(this.#c, this.#telemetry, this.#clock);
    this.#reads = deps.reads;
  }

  /** The L2 breaker: `open` while reads skip Redis after a run of failures (health reports it). */
  l2BreakerState(): BreakerState {
    return this.#breaker.state();
  }

  /** A rendered view of the profile. Throws ProfileNotFoundError or OriginUnavailableError. */
  async view(view: View, username: string): Promise<ViewResult> {
    const r = await this.#resolve(username, view.maxAgeS(this.#c) * 1000);
    const profile = this.#profileOf(r, username);
    const entry = r.entry ?? { snapshot: r.snapshot, storedAt: 0, views: new Map() };
    const rendered = renderOnce(entry, view, profile);
    this.#telemetry.count(OUTCOME_METRIC[r.outcome]);
    const ageS = this.#ageS(r.snapshot);
    return { ...rendered, outcome: r.outcome, contentType: view.contentType, profile, ageS };
  }

  /** The profile itself (for redirects and admin routes), fresh within `maxAgeS`. */
  async profile(username: string, maxAgeS = this.#c.profileTtlS): Promise<{ profile: Profile; outcome: CacheOutcome }> {
    const r = await this.#resolve(username, maxAgeS * 1000);
    return { profile: this.#profileOf(r, username), outcome: r.outcome };
  }

  #ageS(s: Snapshot): number {
    const ms = this.#clock.now() - s.fetchedAt;
    return ms > 0 ? Math.floor(ms / 1000) : 0;
  }

  /** Drops every cached view of the profile at both tiers. Rejects if Redis can't be reached. */
  async invalidate(username: string): Promise<number> {
    this.#epoch++;
    this.#l1.delete(username);
    return this.#l2 ? this.#l2.invalidate(username) : 0;
  }

  /** Background refreshes still running (the local stack awaits them on shutdown; tests too). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#refreshing.values()]);
  }

  #profileOf(r: Resolved, username: string): Profile {
    if (r.snapshot.kind === 'missing') {
      this.#telemetry.count(MetricNames.CacheNegativeHit);
      throw new ProfileNotFoundError(username);
    }
    return r.snapshot.profile;
  }

  #fresh(s: Snapshot, maxAgeMs: number, now: number): boolean {
    const limit = s.kind === 'missing' ? this.#c.negativeTtlS * 1000 : maxAgeMs;
    return now - s.fetchedAt < limit;
  }

  #resolve(username: string, maxAgeMs: number): Promise<Resolved> | Resolved {
    const now = this.#clock.now();
    const entry = this.#l1.get(username, now);
    if (entry && now - entry.storedAt < this.#c.l1TtlS * 1000 && this.#fresh(entry.snapshot, maxAgeMs, now)) {
      return { snapshot: entry.snapshot, outcome: 'HIT', entry };
    }
    const key = `${username}\u0000${maxAgeMs}`;
    let p = this.#inflight.get(key);
    if (!p) {
      p = this.#resolveShared(username, maxAgeMs, entry).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
      // Existing profiles only: names that 404 (or fail) never enter the hot set.
      const reads = this.#reads;
      if (reads)
        p.then(
          (r) => r.snapshot.kind === 'profile' && reads.recordRead(username),
          () => {},
        );
    }
    return p;
  }

  async #resolveShared(username: string, maxAgeMs: number, local: L1Entry | undefined): Promise<Resolved> {
    const read: L2Read = { spentMs: 0, troubled: false };
    const got = await this.#l2Call(read, 'read', (l2) => l2.get(username));
    const sharedDown = got === TROUBLE;
    const shared = sharedDown ? undefined : got;
    const now = this.#clock.now();
    if (shared) {
      if (this.#fresh(shared, maxAgeMs, now)) {
        return { snapshot: shared, outcome: 'HIT', entry: this.#l1.set(username, shared, now) };
      }
      if (shared.kind === 'profile') {
        this.#refreshInBackground(username, shared.fetchedAt, read);
        return { snapshot: shared, outcome: 'STALE' };
      }
    } else if (!sharedDown) {
      // L2 answered "nothing": whatever L1 holds may have been invalidated since, so drop it.
      if (local) this.#l1.delete(username);
    } else if (local?.snapshot.kind === 'profile') {
      // No shared tier to confirm against: serve the in-process copy, refresh behind it.
      this.#refreshInBackground(username, local.snapshot.fetchedAt, read);
      return { snapshot: local.snapshot, outcome: 'STALE' };
    }
    return this.#fill(username, shared?.fetchedAt, false, read) as Promise<Resolved>;
  }

  #refreshInBackground(username: string, staleFetchedAt: number, read: L2Read): void {
    if (this.#refreshing.has(username)) return;
    // The refresh has its own budget, but not another try at a Redis this read found in trouble.
    const own: L2Read = { spentMs: 0, troubled: read.troubled };
    const p = this.#fill(username, staleFetchedAt, true, own)
      .then(() => undefined)
      .catch((err) => {
        this.#telemetry.count(MetricNames.RefreshFailed);
        this.#telemetry.warn('background refresh failed; still serving stale', { username, error: String(err) });
      })
      .finally(() => this.#refreshing.delete(username));
    this.#refreshing.set(username, p);
  }

  /**
   * Fetches from the origin under the fill lock, or waits for the holder's result. In the
   * background (a refresh behind a stale copy) a held lock means someone else is on it.
   */
  async #fill(
    username: string,
    prevFetchedAt: number | undefined,
    background: boolean,
    read: L2Read,
  ): Promise<Resolved | undefined> {
    const epoch = this.#epoch;
    let token: string | undefined;
    // A held lock means a live holder is fetching: wait for its result (bounded by the lock TTL),
    // so one origin call serves every process. A lock call that fails or times out is Redis
    // trouble, not a held lock: go to the origin at once instead of waiting on a silent Redis.
    for (let round = 0; round < 2; round++) {
      const lock = await this.#l2Call(read, 'lock', (l2) => l2.tryLock(username, this.#c.lockTtlMs));
      if (lock === TROUBLE) break;
      if (lock) {
        token = lock;
        break;
      }
      if (background) return undefined;
      const landed = await this.#waitForFill(username, prevFetchedAt, read);
      if (landed) return { snapshot: landed, outcome: 'MISS', entry: this.#storeL1(username, landed, epoch) };
      // No result: the holder failed or vanished (try the lock again), or Redis is in trouble.
    }
    // Here with the lock, after Redis trouble, or after two rounds without a result (the holders
    // keep failing or vanishing): fetch ourselves.
    try {
      const profile = await this.#origin.fetchProfile(username);
      const now = this.#clock.now();
      const snapshot: Snapshot = profile ? { kind: 'profile', profile, fetchedAt: now } : { kind: 'missing', fetchedAt: now };
      const ttlS = profile ? Math.max(this.#c.profileTtlS, this.#c.linksTtlS) + this.#c.staleTtlS : this.#c.negativeTtlS;
      // Not after Redis trouble: without the lock, a write landing late could outlive an invalidation.
      await this.#l2Call(read, 'write', (l2) => l2.set(username, snapshot, ttlS, token));
      return { snapshot, outcome: 'MISS', entry: this.#storeL1(username, snapshot, epoch) };
    } finally {
      // Skipped after Redis trouble too: the lock then lapses at its TTL.
      if (token) await this.#l2Call(read, 'unlock', (l2) => l2.unlock(username, token));
    }
  }

  #storeL1(username: string, snapshot: Snapshot, epoch: number): L1Entry | undefined {
    if (epoch !== this.#epoch) return undefined;
    return this.#l1.set(username, snapshot, this.#clock.now());
  }

  /** Polls L2 until a snapshot newer than `prev` lands, the lock is released, or the lock TTL passes. */
  async #waitForFill(username: string, prev: number | undefined, read: L2Read): Promise<Snapshot | undefined> {
    const deadline = this.#clock.now() + this.#c.lockTtlMs;
    let delay = POLL_MIN_MS;
    while (this.#clock.now() < deadline) {
      await this.#clock.sleep(delay);
      delay = Math.min(POLL_MAX_MS, delay * 2);
      const polled = await this.#l2Call(read, 'poll', (l2) => l2.poll(username));
      if (polled === TROUBLE) return undefined;
      const { snapshot, locked } = polled;
      if (snapshot && (prev === undefined || snapshot.fetchedAt > prev)) return snapshot;
      if (!locked) return undefined;
    }
    return undefined;
  }

  /**
   * One call to L2 on behalf of `read`, or TROUBLE without a call when there is no L2, it is
   * disconnected (calls would fail at once), the breaker is open, or the read already had a
   * failure or spent its budget. Every call made reports to the breaker.
   */
  async #l2Call<T>(read: L2Read, what: string, call: (l2: SnapshotCache) => Promise<T>): Promise<T | typeof TROUBLE> {
    const l2 = this.#l2;
    if (!l2 || read.troubled) return TROUBLE;
    if (!l2.available()) {
      // Disconnected: the client reconnects by itself and logs it; the read just goes without.
      read.troubled = true;
      this.#telemetry.count(MetricNames.CacheErrors);
      return TROUBLE;
    }
    // The breaker is asked last: when it grants the half-open trial, the call must be made.
    if (read.spentMs >= L2_READ_BUDGET_MS || !this.#breaker.allow()) {
      read.troubled = true;
      return TROUBLE;
    }
    const started = this.#clock.now();
    try {
      const value = await call(l2);
      this.#breaker.success();
      return value;
    } catch (err) {
      read.troubled = true;
      this.#telemetry.count(MetricNames.CacheErrors);
      this.#telemetry.warn(`L2 ${what} failed; going on without it`, { error: String(err) });
      this.#breaker.failure();
      return TROUBLE;
    } finally {
      read.spentMs += this.#clock.now() - started;
    }
  }
}

/** The breaker of a process's Redis: counts and logs each open (not each refused call). */
export const redisBreaker = (config: CacheConfig, telemetry: Telemetry, clock: Clock = realClock): CircuitBreaker =>
  new CircuitBreaker({
    failures: config.l2BreakerFailures,
    cooldownMs: config.l2BreakerCooldownMs,
    clock,
    onOpen: () => {
      telemetry.count(MetricNames.RedisBreakerOpen);
      telemetry.warn('Redis breaker open: reads skip Redis (serving from L1 and the origin) for the cooldown', {
        failures: config.l2BreakerFailures,
        cooldownMs: config.l2BreakerCooldownMs,
      });
    },
  });

export const strongEtag = (body: string): string => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

/** `view` of the entry's profile, rendered, hashed and dated once per entry. */
export const renderOnce = (entry: L1Entry, view: View, profile: Profile): Rendered => {
  let r = entry.views.get(view.name);
  if (r === undefined) {
    const { body, headers } = view.render(profile);
    r = { body, etag: strongEtag(body), lastModified: httpDate(entry.snapshot), headers };
    entry.views.set(view.name, r);
  }
  return r;
};

const httpDate = (snapshot: Snapshot): string | undefined => {
  if (snapshot.kind !== 'profile') return undefined;
  const t = Date.parse(snapshot.profile.lastModified);
  return Number.isNaN(t) ? undefined : new Date(t).toUTCString();
};
