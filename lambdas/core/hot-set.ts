// The hot set: profiles read recently (within WATCH_HOT_S), which the change watcher re-reads
// from the origin, least recently checked first. The read path records a read on its L2/origin
// path only (never on an L1 hit, which is the benchmarked path; a hot profile reaches L2 at least
// once per L1_TTL_S per container anyway). The Redis adapter is redis-hot-set.ts; this in-memory
// one serves a process without Redis (the local in-process tier alone) and the tests.

/** The read path's side: fire and forget, never throws, never delays a read. */
export interface ReadRecorder {
  recordRead(username: string): void;
}

export interface HotSet extends ReadRecorder {
  /**
   * Up to `limit` usernames read within `hotMs` of `now`, least recently checked first (never
   * checked first of all); entries read longer ago are pruned on the way.
   */
  hot(now: number, hotMs: number, limit: number): Promise<string[]>;
  /**
   * Notes that the watcher checked the profile at `now`, so it goes to the back of the line, and
   * the content hash it saw (kept while the profile is hot; left as it was when not given).
   */
  markChecked(username: string, now: number, contentHash?: string): Promise<void>;
  /** The content hash the watcher last saw of each profile (absent: never seen). */
  seen(usernames: string[]): Promise<Map<string, string>>;
}

/** Orders by last check (absent = 0), then by name, so runs are deterministic. */
export const byLeastRecentlyChecked = (rows: { username: string; checkedAt: number }[]): string[] =>
  rows
    .sort((a, b) => a.checkedAt - b.checkedAt || (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
    .map((r) => r.username);

/** Most profiles a hot set keeps (the most recently read): far more than any budget re-checks. */
export const MAX_HOT_PROFILES = 10_000;

export class MemoryHotSet implements HotSet {
  /** In order of last read (a read moves its entry to the end). */
  readonly #reads = new Map<string, number>();
  readonly #checked = new Map<string, number>();
  readonly #seen = new Map<string, string>();
  readonly #now: () => number;
  readonly #max: number;

  constructor(now: () => number = Date.now, maxProfiles = MAX_HOT_PROFILES) {
    this.#now = now;
    this.#max = maxProfiles;
  }

  recordRead(username: string): void {
    this.#reads.delete(username);
    this.#reads.set(username, this.#now());
    if (this.#reads.size > this.#max) {
      const oldest = this.#reads.keys().next().value as string;
      this.#reads.delete(oldest);
      this.#checked.delete(oldest);
      this.#seen.delete(oldest);
    }
  }

  async hot(now: number, hotMs: number, limit: number): Promise<string[]> {
    const cutoff = now - hotMs;
    const rows: { username: string; checkedAt: number }[] = [];
    for (const [username, readAt] of this.#reads) {
      if (readAt < cutoff) {
        this.#reads.delete(username);
        this.#checked.delete(username);
        this.#seen.delete(username);
      } else {
        rows.push({ username, checkedAt: this.#checked.get(username) ?? 0 });
      }
    }
    return byLeastRecentlyChecked(rows).slice(0, Math.max(0, limit));
  }

  async markChecked(username: string, now: number, contentHash?: string): Promise<void> {
    // Only for profiles still hot: a check must not resurrect a pruned entry.
    if (!this.#reads.has(username)) return;
    this.#checked.set(username, now);
    if (contentHash) this.#seen.set(username, contentHash);
  }

  async seen(usernames: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const u of usernames) {
      const h = this.#seen.get(u);
      if (h) out.set(u, h);
    }
    return out;
  }
}
