// L1: an in-process LRU per container, bounded in entries and bytes. An entry keeps the snapshot
// and, memoized, each rendered view (body + ETag), so a hit does no JSON or hashing work.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Snapshot } from '../core/ports.ts';

export interface Rendered {
  body: string;
  etag: string;
  /** The profile's lastModified as an HTTP date, formatted once with the body. */
  lastModified: string | undefined;
}

export interface L1Entry {
  snapshot: Snapshot;
  storedAt: number;
  views: Map<string, Rendered>;
}

export interface MemoryCacheOptions {
  maxEntries: number;
  maxBytes: number;
  /** How long an entry may be kept at all (it is only *fresh* for the L1 TTL). */
  retainMs: number;
}

export const strongEtag = (body: string): string => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

export class MemoryProfileCache {
  readonly #lru: LRUCache<string, L1Entry>;

  constructor(options: MemoryCacheOptions) {
    this.#lru = new LRUCache<string, L1Entry>({
      max: Math.max(1, options.maxEntries),
      maxSize: Math.max(1024, options.maxBytes),
      // Rendered views are memoized later; reserve room for them (≈ body + one view per route).
      sizeCalculation: (e) => 3 * (e.snapshot.kind === 'profile' ? JSON.stringify(e.snapshot.profile).length : 64),
      ttl: Math.max(1, options.retainMs),
      // Eviction age only (freshness is checked by the caller): a coarse clock is cheaper per get.
      ttlResolution: 1_000,
      updateAgeOnGet: false,
    });
  }

  get(username: string): L1Entry | undefined {
    return this.#lru.get(username);
  }

  set(username: string, snapshot: Snapshot, now: number): L1Entry {
    const entry: L1Entry = { snapshot, storedAt: now, views: new Map() };
    this.#lru.set(username, entry);
    return entry;
  }

  delete(username: string): void {
    this.#lru.delete(username);
  }

  clear(): void {
    this.#lru.clear();
  }

  get stats(): { entries: number; bytes: number } {
    return { entries: this.#lru.size, bytes: this.#lru.calculatedSize };
  }
}

/** The rendered view of an entry, computed once per entry. */
export const renderOnce = (entry: L1Entry, name: string, render: () => string): Rendered => {
  let r = entry.views.get(name);
  if (!r) {
    const body = render();
    r = { body, etag: strongEtag(body), lastModified: httpDate(entry.snapshot) };
    entry.views.set(name, r);
  }
  return r;
};

const httpDate = (snapshot: Snapshot): string | undefined => {
  if (snapshot.kind !== 'profile') return undefined;
  const t = Date.parse(snapshot.profile.lastModified);
  return Number.isNaN(t) ? undefined : new Date(t).toUTCString();
};
