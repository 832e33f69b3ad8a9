// Purging CloudFront after a profile changes (context `cdn=true`). CloudFront can only be purged by
// path, so the work is in two halves, both plain functions here:
//   - the consumer collects the usernames of a batch's change events and sends them on in as few
//     notices as it can (`planNotices`, `sendNotices` over the InvalidationNotifier port);
//   - the invalidator (lambdas/cdn-invalidator) turns one notice into the paths those profiles
//     are cached under (`invalidationPaths`) and asks CloudFront to drop them, in batches within
//     CloudFront's limits.
import { EventTypes } from '../contracts/events.ts';
import { USERNAME_RE } from '../shared/username.ts';

/**
 * The event types after which a profile's cached answers are stale: the types the webhook
 * processor drops the read path's copies for (core/webhook.ts INVALIDATING_TYPES) before it
 * enqueues them, as the admin PATCH does; a test keeps the two lists equal.
 */
export const CHANGE_TYPES: ReadonlySet<string> = new Set([
  EventTypes.ProfileUpdated,
  EventTypes.LinksUpdated,
  EventTypes.ProfileDeleted,
]);

/** Usernames per notice: at 5 paths each, one notice is one CloudFront call (at most 3,000 paths). */
export const MAX_USERNAMES_PER_NOTICE = 500;

/** What the consumer publishes and the invalidator receives (the SNS message body, as JSON). */
export interface InvalidationNotice {
  /** Lower-case usernames, each once. */
  usernames: string[];
  /**
   * Epoch ms: when the last of these changes was enqueued (SQS SentTimestamp). The producers drop
   * the read path's shared copies before they enqueue, so from then on only an in-process (L1)
   * copy can still be old, and only for L1_TTL_S: the invalidator waits that long past it, or
   * CloudFront could refill from such a copy.
   */
  changedAt?: number;
}

/** The port the consumer publishes through (adapters/sns-invalidation-notifier.ts). */
export interface InvalidationNotifier {
  /** Resolves once the notice is accepted; rejects when it was not. */
  notify(notice: InvalidationNotice): Promise<void>;
}

/** A queue record as the consumer sees it: id, body, and when SQS accepted it. */
export interface ChangeRecord {
  id: string;
  body: string;
  /** Epoch ms (SQS SentTimestamp), when known. */
  sentAt?: number;
}

export interface PlannedNotice {
  notice: InvalidationNotice;
  /** The records whose usernames it carries: if it is not sent, they must come back. */
  recordIds: string[];
}

export interface NoticePlan {
  notices: PlannedNotice[];
  /** Change events naming no valid username (a webhook with only a profileId the read path never cached). */
  unresolved: number;
}

// The producers serialize events with JSON.stringify, which writes these type names verbatim: a
// body without any of them is no change event, so most of a 10,000-record batch of clicks and
// views is never parsed twice. A body that has one is parsed and its type checked.
const MARKERS = [...CHANGE_TYPES].map((t) => `"${t}"`);

const changeUsername = (body: string): string | null | undefined => {
  if (!MARKERS.some((m) => body.includes(m))) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { type, data } = json as { type?: unknown; data?: unknown };
  if (typeof type !== 'string' || !CHANGE_TYPES.has(type)) return undefined;
  const username = typeof data === 'object' && data !== null ? (data as { username?: unknown }).username : undefined;
  // The read path caches under the lower-case name (shared/username.ts); anything else is no path of ours.
  return typeof username === 'string' && USERNAME_RE.test(username) ? username.toLowerCase() : null;
};

/**
 * The notices for a batch: every changed username once, at most `max` per notice, with the records
 * each notice answers for. Records that are not change events are not part of any notice.
 */
export const planNotices = (records: readonly ChangeRecord[], max = MAX_USERNAMES_PER_NOTICE): NoticePlan => {
  const byUsername = new Map<string, { ids: string[]; sentAt?: number }>();
  let unresolved = 0;
  for (const r of records) {
    const username = changeUsername(r.body);
    if (username === undefined) continue;
    if (username === null) {
      unresolved++;
      continue;
    }
    const entry = byUsername.get(username);
    if (entry) {
      entry.ids.push(r.id);
      if (r.sentAt !== undefined) entry.sentAt = Math.max(entry.sentAt ?? r.sentAt, r.sentAt);
    } else {
      byUsername.set(username, { ids: [r.id], ...(r.sentAt !== undefined ? { sentAt: r.sentAt } : {}) });
    }
  }
  const entries = [...byUsername];
  const notices: PlannedNotice[] = [];
  for (let i = 0; i < entries.length; i += max) {
    const chunk = entries.slice(i, i + max);
    const times = chunk.flatMap(([, e]) => (e.sentAt !== undefined ? [e.sentAt] : []));
    notices.push({
      notice: { usernames: chunk.map(([u]) => u), ...(times.length ? { changedAt: Math.max(...times) } : {}) },
      recordIds: chunk.flatMap(([, e]) => e.ids),
    });
  }
  return { notices, unresolved };
};

export interface SendOutcome {
  /** Notices accepted. */
  sent: number;
  usernames: number;
  unresolved: number;
  /** Records of the notices that were not accepted: they go back to the queue, to be sent again. */
  failedIds: string[];
  errors: unknown[];
}

/** Plans the batch's notices and sends them all at once; a notice refused fails only its own records. */
export const sendNotices = async (
  records: readonly ChangeRecord[],
  notifier: InvalidationNotifier,
  max = MAX_USERNAMES_PER_NOTICE,
): Promise<SendOutcome> => {
  const plan = planNotices(records, max);
  const results = await Promise.allSettled(plan.notices.map((p) => notifier.notify(p.notice)));
  const out: SendOutcome = { sent: 0, usernames: 0, unresolved: plan.unresolved, failedIds: [], errors: [] };
  results.forEach((r, i) => {
    const planned = plan.notices[i];
    if (r.status === 'fulfilled') {
      out.sent++;
      out.usernames += planned.notice.usernames.length;
    } else {
      out.failedIds.push(...planned.recordIds);
      out.errors.push(r.reason);
    }
  });
  return out;
};

// ---------------------------------------------------------------------------------------------
// The invalidator's side

/**
 * The paths a profile is cached under at CloudFront: the GET routes that answer with its data and
 * a public Cache-Control (lambdas/contracts/routes.ts; test/infra checks that every `{username}`
 * GET route is either here or uncached at the edge). The dashboard shell is one: it is rendered
 * from the cached profile (name, link titles) with the same public Cache-Control. Exact paths:
 * with the query string in the cache key, `/alice?utm_source=x` is its own object, which only
 * its max-age bounds.
 */
export const PROFILE_PATH_TEMPLATES = [
  '/api/profiles/{username}',
  '/api/profiles/{username}/links',
  '/{username}',
  '/embed/{username}',
  '/dashboard/{username}',
] as const;

/**
 * oEmbed answers are keyed by the page URL in their query (`/oembed?url=…&maxwidth=…`), in forms
 * we cannot list: one wildcard per notice covers them all (CloudFront allows 15 wildcards in
 * progress at once, against 3,000 exact paths).
 */
export const OEMBED_WILDCARD = '/oembed*';

/** CloudFront's limit on exact paths in progress at once, hence per call. */
export const MAX_PATHS_PER_CALL = 3_000;

/** The exact paths of `usernames` (valid ones only, lower-cased, each once), in a stable order. */
export const invalidationPaths = (usernames: readonly string[]): string[] => {
  const seen = new Set<string>();
  const paths: string[] = [];
  for (const raw of usernames) {
    if (typeof raw !== 'string' || !USERNAME_RE.test(raw)) continue;
    const u = raw.toLowerCase();
    if (seen.has(u)) continue;
    seen.add(u);
    for (const t of PROFILE_PATH_TEMPLATES) paths.push(t.replace('{username}', u));
  }
  return paths;
};

/** `items` in consecutive chunks of at most `size`. */
export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** Reads a notice from a message body; undefined when it is not one (logged and dropped by the caller). */
export const parseNotice = (body: string): InvalidationNotice | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { usernames, changedAt } = json as { usernames?: unknown; changedAt?: unknown };
  if (!Array.isArray(usernames) || !usernames.every((u) => typeof u === 'string')) return undefined;
  return {
    usernames,
    ...(typeof changedAt === 'number' && Number.isFinite(changedAt) ? { changedAt } : {}),
  };
};

/** The CDN side's port (adapters/cloudfront-invalidator.ts). */
export interface PathInvalidator {
  /**
   * Starts one invalidation of `paths`. The same `callerReference` with the same paths starts
   * nothing new (CloudFront answers with the first one), so a retried notice is not paid twice.
   * Rejects with TooManyInvalidationsError when CloudFront has too many in progress.
   */
  invalidate(paths: readonly string[], callerReference: string): Promise<void>;
}

/** CloudFront refused: too many paths (3,000) or wildcards (15) in progress. Worth retrying later. */
export class TooManyInvalidationsError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('CloudFront has too many invalidations in progress', options);
    this.name = 'TooManyInvalidationsError';
  }
}
