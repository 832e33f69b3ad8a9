// The change watcher (contract 3.4): the origin sends no webhooks, so every WATCH_INTERVAL_S a run
// re-reads the hot profiles (read within WATCH_HOT_S), least recently checked first, within the
// watcher's own share of the origin budget, and compares each with the cached copy. A change
// goes through the same path as a verified profile.updated webhook (profile-change.ts).
//
// Decisions:
// - Only profiles with a cached copy are re-read: without one there is nothing stale to serve (the
//   next read goes to the origin anyway), so spending budget on them would buy nothing.
// - Content is compared by a hash of the mapped Profile (every field, keys sorted), never of
//   fetch times: an unchanged profile re-read costs a token and nothing else. It is compared with
//   the cached copy and with the hash the watcher itself last saw: a read path that refreshed
//   the copy on its own (TTL, no Redis) must not hide the change from the events.
// - A 404 for a cached profile is treated like a profile.deleted webhook: every tier invalidated
//   (the next read caches the 404 negatively) and `profile.deleted` enqueued with source watcher.
// - Event ids derive from (profileId, content hash, the cached copy's fetch time), so the same
//   change found twice against the same copy (overlapping runs, two processes, a retry after a
//   crash) is counted and fanned out once, while a later change back to earlier content (A → B →
//   A → B), found against a newer copy, is an event of its own.
// - A failure (cache, origin, queue) is counted and the run goes on; after a few in a row (the
//   origin is down, or the shared budget is spent by user reads) the run stops early.
import { createHash } from 'node:crypto';
import { EventTypes } from '../contracts/events.ts';
import { MetricNames } from '../contracts/metrics.ts';
import type { HotSet } from './hot-set.ts';
import { noTelemetry, type ProfileOrigin, type RateLimiter, type Snapshot, type Telemetry } from './ports.ts';
import { type ProfileChanges, uuidFrom } from './profile-change.ts';
import type { Profile } from './profile.ts';

/** The source the watcher's events carry in `data.source`. */
export const WATCHER_SOURCE = 'watcher';

/** Consecutive failures after which a run stops: the origin (or the shared budget) is out. */
export const MAX_CONSECUTIVE_FAILURES = 5;

export interface WatcherSettings {
  /** WATCH_HOT_S in ms. */
  hotMs: number;
  /** Most profiles listed per run (the share's burst is the most a run can spend anyway). */
  maxPerRun: number;
  /** Origin reads in flight at once. */
  concurrency: number;
}

export interface ChangeWatcherDeps {
  hotSet: HotSet;
  /** The cached copy each check compares with: L2, or L1 in a process without Redis. */
  cache: { get(username: string): Promise<Snapshot | undefined> };
  origin: Pick<ProfileOrigin, 'fetchProfile'>;
  /** The watcher's share of the origin budget: one token per origin read, taken before it. */
  budget: RateLimiter;
  changes: Pick<ProfileChanges, 'apply'>;
  settings: WatcherSettings;
  telemetry?: Telemetry;
  now?: () => number;
}

export type StopReason = 'done' | 'budget' | 'deadline' | 'failures';

export interface WatchRun {
  /** Hot profiles listed for this run. */
  listed: number;
  /** Re-read from the origin and compared. */
  checked: number;
  /** Found changed (profile.updated enqueued). */
  changed: number;
  /** Found gone (404; profile.deleted enqueued). */
  deleted: number;
  /** Hot but not cached: nothing to compare, no origin read. */
  skipped: number;
  failures: number;
  /** Tokens taken from the watcher's share. */
  budgetUsed: number;
  stoppedBy: StopReason;
  durationMs: number;
  /** The changes applied, in the order found. */
  found: { username: string; type: string; eventId: string }[];
}

/**
 * The watcher's period: WATCH_INTERVAL_S when given, else 60 s for the Linktree origins (which
 * send no webhooks) and 0 (off) for the others.
 */
export const watchIntervalS = (given: number | undefined, originKind: string): number =>
  given ?? (originKind === 'linktree' || originKind === 'linktree-mcp' ? 60 : 0);

/**
 * How often the schedule invokes the watcher in AWS: EventBridge Scheduler's rates are whole
 * minutes, at least one. An interval under a minute is covered by runs looped inside each
 * invocation; one above is rounded up to whole minutes.
 */
export const watchSchedulePeriodS = (intervalS: number): number => Math.max(60, Math.ceil(intervalS / 60) * 60);

/** sha256 of the profile with keys sorted at every level: equal content, equal hash. */
export const contentHash = (profile: Profile): string =>
  createHash('sha256').update(canonicalJson(profile)).digest('base64url').slice(0, 22);

const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** The event id of "this profile now has this content, found against the copy fetched at `since`". */
export const watcherEventId = (type: string, profileId: string, hash: string, since: number): string =>
  uuidFrom(`watcher:${type}:${profileId}:${hash}:${since}`);

export class ChangeWatcher {
  readonly #d: ChangeWatcherDeps;
  readonly #telemetry: Telemetry;
  readonly #now: () => number;

  constructor(deps: ChangeWatcherDeps) {
    this.#d = deps;
    this.#telemetry = deps.telemetry ?? noTelemetry;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * One run. No check starts at or after `deadline` (ms, on the watcher's clock); checks in flight
   * then finish within the origin's own retry budget; nor after `signal` aborts (a shutdown).
   * Never throws: a hot set that cannot be listed is a failure of the run.
   */
  async run(deadline: number, signal?: AbortSignal): Promise<WatchRun> {
    const started = this.#now();
    const r: WatchRun = {
      listed: 0,
      checked: 0,
      changed: 0,
      deleted: 0,
      skipped: 0,
      failures: 0,
      budgetUsed: 0,
      stoppedBy: 'done',
      durationMs: 0,
      found: [],
    };
    const { hotSet, settings } = this.#d;
    let queue: string[] = [];
    let seen = new Map<string, string>();
    try {
      queue = await hotSet.hot(started, settings.hotMs, settings.maxPerRun);
      seen = await hotSet.seen(queue);
    } catch (err) {
      r.failures++;
      this.#telemetry.warn('watcher: the hot set could not be listed', { error: String(err) });
    }
    r.listed = queue.length;
    let next = 0;
    let inARow = 0;
    let stop: StopReason | undefined;
    const worker = async (): Promise<void> => {
      while (!stop && next < queue.length) {
        if (this.#now() >= deadline || signal?.aborted) {
          stop = 'deadline';
          break;
        }
        const username = queue[next++];
        const outcome = await this.#check(username, seen.get(username), r, () => stop === undefined);
        if (outcome === 'budget') stop ??= 'budget';
        else if (outcome === 'failed') {
          if (++inARow >= MAX_CONSECUTIVE_FAILURES) stop ??= 'failures';
        } else inARow = 0;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, settings.concurrency) }, worker));
    r.stoppedBy = stop ?? 'done';
    r.durationMs = this.#now() - started;
    this.#telemetry.count(MetricNames.WatcherChecked, r.checked);
    this.#telemetry.count(MetricNames.WatcherChanges, r.changed + r.deleted);
    this.#telemetry.count(MetricNames.WatcherBudgetUsed, r.budgetUsed);
    this.#telemetry.count(MetricNames.WatcherFailures, r.failures);
    return r;
  }

  async #check(
    username: string,
    lastSeen: string | undefined,
    r: WatchRun,
    goOn: () => boolean,
  ): Promise<'checked' | 'skipped' | 'budget' | 'failed'> {
    const { cache, origin, budget, changes, hotSet } = this.#d;
    let cached: Snapshot | undefined;
    try {
      cached = await cache.get(username);
    } catch (err) {
      r.failures++;
      this.#telemetry.warn('watcher: the cached copy could not be read', { username, error: String(err) });
      return 'failed';
    }
    // Not cached, or cached as missing (the negative entry's own TTL brings it back): nothing to do.
    if (cached?.kind !== 'profile') {
      r.skipped++;
      await this.#markChecked(hotSet, username, r);
      return 'skipped';
    }
    // Another worker may have found the budget spent (or the deadline passed) meanwhile.
    if (!goOn()) return 'skipped';
    const token = await budget.take().catch(() => ({ allowed: false, retryAfterMs: 0 }));
    if (!token.allowed) return 'budget';
    r.budgetUsed++;
    let fresh: Profile | undefined;
    try {
      fresh = await origin.fetchProfile(username);
    } catch (err) {
      r.failures++;
      this.#telemetry.warn('watcher: origin read failed', { username, error: String(err) });
      // Checked nonetheless: a profile that keeps failing must not hold the head of the line.
      await this.#markChecked(hotSet, username, r);
      return 'failed';
    }
    r.checked++;
    const before = contentHash(cached.profile);
    let after: string | undefined;
    try {
      if (!fresh) {
        const { event } = await changes.apply({
          eventId: watcherEventId(EventTypes.ProfileDeleted, cached.profile.id, before, cached.fetchedAt),
          type: EventTypes.ProfileDeleted,
          occurredAt: new Date(this.#now()).toISOString(),
          data: { profileId: cached.profile.id, username, source: WATCHER_SOURCE },
        });
        r.deleted++;
        r.found.push({ username, type: event.type, eventId: event.id });
      } else {
        after = contentHash(fresh);
        if (after !== before || (lastSeen !== undefined && after !== lastSeen)) {
          const { event } = await changes.apply({
            eventId: watcherEventId(EventTypes.ProfileUpdated, fresh.id, after, cached.fetchedAt),
            type: EventTypes.ProfileUpdated,
            occurredAt: new Date(this.#now()).toISOString(),
            data: { profileId: fresh.id, username, source: WATCHER_SOURCE, contentHash: after },
          });
          r.changed++;
          r.found.push({ username, type: event.type, eventId: event.id });
        }
      }
    } catch (err) {
      // Not marked checked (nor seen): the next run finds the change again.
      r.failures++;
      this.#telemetry.warn('watcher: a change could not be applied', { username, error: String(err) });
      return 'failed';
    }
    await this.#markChecked(hotSet, username, r, after);
    return 'checked';
  }

  async #markChecked(hotSet: HotSet, username: string, r: WatchRun, contentHash?: string): Promise<void> {
    await hotSet.markChecked(username, this.#now(), contentHash).catch((err: unknown) => {
      r.failures++;
      this.#telemetry.warn('watcher: could not note a check', { username, error: String(err) });
    });
  }
}
