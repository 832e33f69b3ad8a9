// L1: an in-process LRU per container, bounded in entries and bytes. An entry keeps the snapshot
// and, memoized by the read path, each rendered view, so a hit does no JSON or hashing work.
import type { L1Entry, LocalProfileCache, Snapshot } from '../core/ports.ts';

export interface MemoryCacheOptions {
  maxEntries: number;
  maxBytes: number;
  /** How long an entry may be kept at all (it is only *fresh* for the L1 TTL). */
  retainMs: number;
}

interface Slot {
  entry: L1Entry;
  size: number;
  /** Read since it was last passed over by eviction (CLOCK's reference bit). */
  used: boolean;
}

/**
 * LRU-approximating CLOCK over a Map (which keeps insertion order): a read only sets a flag, and
 * eviction gives flagged entries a second chance. Hits stay O(1) with no Map writes.
 * Purpose-built instead of lru-cache: freshness is the caller's (storedAt), so no TTL machinery
 * runs per get, and the profile Lambda's bundle stays small (lru-cache is 18 KB minified).
 */
export class MemoryProfileCache implements LocalProfileCache {
  readonly #map = new Map<string, Slot>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #retainMs: number;
  #bytes = 0;

  constructor(options: MemoryCacheOptions) {
    this.#maxEntries = Math.max(1, options.maxEntries);
    this.#maxBytes = Math.max(1024, options.maxBytes);
    this.#retainMs = Math.max(1, options.retainMs);
  }

  /** `now` on the same clock as `set`'s, so callers with their own clock stay consistent. */
  get(username: string, now: number): L1Entry | undefined {
    const slot = this.#map.get(username);
    if (!slot) return undefined;
    if (now - slot.entry.storedAt >= this.#retainMs) {
      this.delete(username);
      return undefined;
    }
    slot.used = true;
    return slot.entry;
  }

  set(username: string, snapshot: Snapshot, now: number): L1Entry {
    const entry: L1Entry = { snapshot, storedAt: now, views: new Map() };
    // Rendered views are memoized later; reserve room for them (≈ body + one view per route).
    const size = 3 * (snapshot.kind === 'profile' ? JSON.stringify(snapshot.profile).length : 64);
    this.delete(username);
    if (size > this.#maxBytes) return entry; // served once, never kept
    this.#map.set(username, { entry, size, used: false });
    this.#bytes += size;
    this.#evict(username);
    return entry;
  }

  /** Oldest first; a used entry is moved to the back once (second chance) instead of evicted. */
  #evict(keep: string): void {
    for (const [name, slot] of this.#map) {
      if (this.#map.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) return;
      if (name === keep) continue;
      if (slot.used) {
        slot.used = false;
        this.#map.delete(name);
        this.#map.set(name, slot);
      } else {
        this.delete(name);
      }
    }
  }

  delete(username: string): void {
    const slot = this.#map.get(username);
    if (!slot) return;
    this.#map.delete(username);
    this.#bytes -= slot.size;
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  get stats(): { entries: number; bytes: number } {
    return { entries: this.#map.size, bytes: this.#bytes };
  }
}
