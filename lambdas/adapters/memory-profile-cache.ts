// L1: an in-process LRU per container, bounded in entries and bytes. An entry keeps the snapshot
// and, memoized, each rendered view (body + ETag), so a hit does no JSON or hashing work.
import { createHash } from 'node:crypto';
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

/**
 * A Map keeps insertion order, so delete-and-reinsert on read makes it an LRU in a few lines.
 * Purpose-built instead of lru-cache: freshness is the caller's (storedAt), so no TTL machinery
 * runs per get, and the profile Lambda's bundle stays small (lru-cache is 18 KB minified).
 */
export class MemoryProfileCache {
  readonly #map = new Map<string, { entry: L1Entry; size: number }>();
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
    // Most recently used goes last.
    this.#map.delete(username);
    this.#map.set(username, slot);
    return slot.entry;
  }

  set(username: string, snapshot: Snapshot, now: number): L1Entry {
    const entry: L1Entry = { snapshot, storedAt: now, views: new Map() };
    // Rendered views are memoized later; reserve room for them (≈ body + one view per route).
    const size = 3 * (snapshot.kind === 'profile' ? JSON.stringify(snapshot.profile).length : 64);
    this.delete(username);
    if (size > this.#maxBytes) return entry; // served once, never kept
    this.#map.set(username, { entry, size });
    this.#bytes += size;
    for (const oldest of this.#map.keys()) {
      if (this.#map.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.delete(oldest);
    }
    return entry;
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
