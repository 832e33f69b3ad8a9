// Visitors without cookies (Plausible's scheme): a visitor is a keyed hash of the client IP, the
// User-Agent and the profile under a random salt of the event's UTC day. The salt is made once per
// day across all containers (SaltStore), never logged and never kept past 48 h, so a hash cannot be
// recomputed once its day's salt is gone, and the same browser on another day is another visitor.
import { createHmac } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { Telemetry } from './ports.ts';

export const DAY_MS = 86_400_000;
/** A salt older than this is refused, whatever the store still holds. */
export const SALT_MAX_AGE_MS = 48 * 3_600_000;
export const SALT_BYTES = 32;

export interface StoredSalt {
  salt: Buffer;
  /** When the salt was made, epoch ms. */
  createdAt: number;
}

/** The day's salts (adapters/dynamo-salt-store.ts). Rejects when the store cannot answer. */
export interface SaltStore {
  /** The salt of `day` ('YYYY-MM-DD', UTC), made now if none exists; exactly one wins across callers. */
  saltFor(day: string): Promise<StoredSalt>;
}

/** 'YYYY-MM-DD' of the UTC day holding `ms`. */
export const utcDay = (ms: number): string => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/** Epoch ms of a 'YYYY-MM-DD' day's start (UTC). */
export const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/** The first 16 bytes of HMAC-SHA256(salt, ip \n userAgent \n username), as 32 lowercase hex characters. */
export const visitorHash = (salt: Buffer, ip: string, userAgent: string, username: string): string =>
  createHmac('sha256', salt).update(`${ip}\n${userAgent}\n${username.toLowerCase()}`).digest().subarray(0, 16).toString('hex');

/** Whether a salt may still be used at `now`: its day is today or yesterday, and it is at most 48 h old. */
export const saltUsable = (day: string, salt: StoredSalt, now: number): boolean => {
  const start = dayStart(day);
  return now < start + 2 * DAY_MS && now - salt.createdAt <= SALT_MAX_AGE_MS && salt.salt.length === SALT_BYTES;
};

export interface VisitorOptions {
  store: SaltStore;
  telemetry: Pick<Telemetry, 'count' | 'warn'>;
  /** Metric counted when an event goes without a visitor because the store failed. */
  metric: string;
  /** The longest an event waits for the store (a redirect waits on it). */
  timeoutMs?: number;
  /** After a failure, the store is not asked again for this long (events go without visitor). */
  backoffMs?: number;
  now?: () => number;
}

export interface VisitorFacts {
  /** Absent when it could not be computed (day too old, store down). */
  visitor?: string;
  /** The UTC day of the event. */
  day: string;
}

/**
 * Computes visitors with salts cached in process (a salt is asked of the store once per day per
 * container; concurrent asks share one request).
 */
export const makeVisitorHasher = (opts: VisitorOptions) => {
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 250;
  const backoffMs = opts.backoffMs ?? 5_000;
  const salts = new Map<string, StoredSalt>();
  const pending = new Map<string, Promise<StoredSalt>>();
  let failedUntil = 0;

  const fetchSalt = (day: string): Promise<StoredSalt> => {
    let p = pending.get(day);
    if (!p) {
      // The salt is kept when it arrives, even after the events that asked for it stopped waiting.
      p = opts.store
        .saltFor(day)
        .then((s) => {
          if (saltUsable(day, s, now())) salts.set(day, s);
          return s;
        })
        .finally(() => pending.delete(day));
      // A refusal (not a slow answer) pauses asking: the store is down or the item unusable.
      p.catch(() => {
        failedUntil = now() + backoffMs;
      });
      pending.set(day, p);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`salt store did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  };

  const saltOf = async (day: string, t: number): Promise<StoredSalt | undefined> => {
    // Drop what can no longer be used, so an old salt does not linger in memory either.
    for (const [d, s] of salts) if (!saltUsable(d, s, t)) salts.delete(d);
    const cached = salts.get(day);
    if (cached) return cached;
    if (t < failedUntil) {
      opts.telemetry.count(opts.metric);
      return undefined;
    }
    try {
      const s = await fetchSalt(day);
      return saltUsable(day, s, now()) ? s : undefined;
    } catch (err) {
      opts.telemetry.count(opts.metric);
      // The reason only: never the salt, the IP or the User-Agent.
      opts.telemetry.warn('visitor salt unavailable; events go without visitor', {
        error: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  };

  return {
    async visitor(occurredAt: number, ip: string | undefined, userAgent: string, username: string): Promise<VisitorFacts> {
      const day = utcDay(occurredAt);
      const t = now();
      // Only today's and yesterday's salts exist: an older event (or one from tomorrow, within the
      // accepted clock skew) cannot be told apart from others.
      const today = utcDay(t);
      if (!ip || (day !== today && day !== utcDay(t - DAY_MS))) return { day };
      const salt = await saltOf(day, t);
      return salt ? { visitor: visitorHash(salt.salt, ip, userAgent, username), day } : { day };
    },
  };
};

export type VisitorHasher = ReturnType<typeof makeVisitorHasher>;

/** A textual IP → its canonical form (IPv4-mapped IPv6 as IPv4), or undefined when it is none. */
export const canonicalIp = (raw: string | undefined): string | undefined => {
  if (!raw) return undefined;
  const s = raw.trim().replace(/^\[(.*)\]$/, '$1');
  if (s.length > 64) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s).toString();
  if (!ipaddr.IPv6.isValid(s)) return undefined;
  return ipaddr.process(s.replace(/%.*$/, '')).toString();
};

/**
 * CloudFront's `CloudFront-Viewer-Address` ("ip:port"; IPv6 unbracketed, the port after the last
 * colon) → the viewer's IP; undefined when it does not parse.
 */
export const viewerAddressIp = (raw: string | undefined): string | undefined => {
  if (!raw) return undefined;
  const at = raw.lastIndexOf(':');
  if (at <= 0 || !/^\d{1,5}$/.test(raw.slice(at + 1))) return undefined;
  return canonicalIp(raw.slice(0, at));
};

/** The client's IP: CloudFront's viewer address when present, else the connection's source. */
export const clientIp = (viewerAddress: string | undefined, sourceIp: string | undefined): string | undefined =>
  viewerAddressIp(viewerAddress) ?? canonicalIp(sourceIp);
