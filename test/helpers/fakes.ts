// In-memory fakes of the read path's ports, with the same semantics as the adapters
// (lock-guarded writes, invalidation dropping the lock), and a controllable clock.
import type { ProfileOrigin, Snapshot, SnapshotCache } from '../../lambdas/core/ports.ts';
import type { LinkUpdate, Profile } from '../../lambdas/core/profile.ts';
import type { Clock } from '../../lambdas/core/retry.ts';
import type { CacheConfig } from '../../lambdas/core/settings.ts';
import { OriginUnavailableError } from '../../lambdas/shared/errors.ts';

export const cacheConfig = (over: Partial<CacheConfig> = {}): CacheConfig => ({
  profileTtlS: 300,
  linksTtlS: 120,
  analyticsTtlS: 900,
  l1TtlS: 5,
  l1MaxEntries: 100,
  l1MaxBytes: 1024 * 1024,
  staleTtlS: 86_400,
  negativeTtlS: 60,
  lockTtlMs: 5_000,
  l2BreakerFailures: 3,
  l2BreakerCooldownMs: 10_000,
  ...over,
});

export const makeProfile = (username: string, over: Partial<Profile> = {}): Profile => ({
  id: `prof_${username}`,
  username,
  displayName: `The ${username}`,
  bio: 'bio',
  avatarUrl: 'https://example.com/a.png',
  theme: {},
  lastModified: '2026-01-01T00:00:00.000Z',
  links: [
    { id: 'b', title: 'B', url: 'https://example.com/b', position: 2, enabled: true },
    { id: 'a', title: 'A', url: 'https://example.com/a', position: 1, enabled: true },
    { id: 'off', title: 'Off', url: 'https://example.com/off', position: 0, enabled: false },
  ],
  ...over,
});

/** A clock tests move by hand; sleeps resolve on the next macrotask so polling loops advance. */
export class FakeClock implements Clock {
  t = Date.parse('2026-06-01T00:00:00Z');
  now = (): number => this.t;
  sleep = async (ms: number): Promise<void> => {
    this.t += ms;
    await new Promise((r) => setImmediate(r));
  };
  random = (): number => 0.5;
  advance(ms: number): void {
    this.t += ms;
  }
}

export class FakeSnapshotCache implements SnapshotCache {
  readonly data = new Map<string, Snapshot>();
  readonly locks = new Map<string, string>();
  readonly ids = new Map<string, string>();
  down = false;
  /**
   * When set, every call waits `timeoutMs` on `clock` and then fails, as a command time-out does
   * on a connection that stays up (a SIGSTOPped Redis): `available()` keeps saying true.
   */
  stalled: { clock: Clock; timeoutMs: number } | undefined;
  /** When set, every call first takes this long on `clock` (a slow but answering Redis). */
  latency: { clock: Clock; ms: number } | undefined;
  /** Every call made, by method name (`available()` aside). */
  readonly calls: string[] = [];
  invalidations: string[] = [];
  #n = 0;

  available(): boolean {
    return !this.down;
  }
  async #check(method: string): Promise<void> {
    this.calls.push(method);
    if (this.down) throw new Error('ECONNREFUSED (fake redis down)');
    if (this.stalled) {
      await this.stalled.clock.sleep(this.stalled.timeoutMs);
      throw new Error('Command timed out (fake redis stalled)');
    }
    if (this.latency) await this.latency.clock.sleep(this.latency.ms);
  }
  async get(u: string) {
    await this.#check('get');
    return this.data.get(u);
  }
  async poll(u: string) {
    await this.#check('poll');
    return { snapshot: this.data.get(u), locked: this.locks.has(u) };
  }
  async set(u: string, s: Snapshot, _ttlS: number, lockToken?: string) {
    await this.#check('set');
    if (lockToken && this.locks.get(u) !== lockToken) return false;
    this.data.set(u, s);
    if (s.kind === 'profile') this.ids.set(s.profile.id, u);
    return true;
  }
  async tryLock(u: string) {
    await this.#check('tryLock');
    if (this.locks.has(u)) return undefined;
    const token = `t${++this.#n}`;
    this.locks.set(u, token);
    return token;
  }
  async unlock(u: string, token: string) {
    await this.#check('unlock');
    if (this.locks.get(u) === token) this.locks.delete(u);
  }
  async invalidate(u: string) {
    await this.#check('invalidate');
    this.invalidations.push(u);
    this.locks.delete(u);
    return this.data.delete(u) ? 1 : 0;
  }
  async usernameForId(id: string) {
    await this.#check('usernameForId');
    return this.ids.get(id);
  }
}

/** Telemetry that keeps what it was told. */
export class RecordingTelemetry {
  readonly counts = new Map<string, number>();
  readonly warnings: { message: string; extra?: Record<string, unknown> }[] = [];
  count = (metric: string, value = 1): void => {
    this.counts.set(metric, (this.counts.get(metric) ?? 0) + value);
  };
  warn = (message: string, extra?: Record<string, unknown>): void => {
    this.warnings.push({ message, extra });
  };
}

export class FakeOrigin implements ProfileOrigin {
  readonly profiles = new Map<string, Profile>();
  calls = 0;
  failing = false;
  /** When set, fetches wait on it: lets a test hold a fill open. */
  gate: Promise<void> | undefined;

  constructor(...seed: Profile[]) {
    for (const p of seed) this.profiles.set(p.username, p);
  }
  async fetchProfile(username: string): Promise<Profile | undefined> {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.failing) throw new OriginUnavailableError('origin down (fake)', 7);
    const p = this.profiles.get(username);
    return p ? structuredClone(p) : undefined;
  }
  async updateLinks(_profileId: string, _links: LinkUpdate[]): Promise<Profile> {
    throw new Error('not used');
  }
}

export const deferred = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};
