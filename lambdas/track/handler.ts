import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { isCountable } from '../core/bots.ts';
import type { ProfileService } from '../core/profile-service.ts';
import { isHttpUrl, type Profile } from '../core/profile.ts';
import type { Telemetry } from '../core/ports.ts';
import type { CacheConfig } from '../core/settings.ts';
import { DependencyUnavailableError, LinkNotFoundError, ValidationError } from '../shared/errors.ts';
import { type EventPublisher, MAX_FUTURE_SKEW_MS, newEvent, type QueueEvent } from '../core/events.ts';
import { header, type HttpEvent, type HttpResult, json, rawBody } from '../shared/http.ts';
import { parseUsername, USERNAME_RE } from '../shared/username.ts';
import { firstIssue, headerText, safeText, safeTextCheck } from '../shared/validation.ts';
import { routedHandler } from '../shared/router.ts';
import { MetricNames } from '../contracts/metrics.ts';
import { type UserAgentFacts, userAgentFacts } from '../core/user-agent.ts';
import { clientIp, type VisitorHasher } from '../core/visitors.ts';

export interface TrackDeps {
  service: Pick<ProfileService, 'profile'>;
  config: { cache: Pick<CacheConfig, 'linksTtlS'> };
  /** Publishes single clicks; should retry briefly (the redirect waits on it). */
  clickPublisher: EventPublisher;
  /** Publishes beacon batches (SendMessageBatch, partial failures retried). */
  publisher: EventPublisher;
  /** Upper bound on the wait for a click's publish (`CLICK_PUBLISH_BUDGET_MS`). */
  clickBudgetMs: number;
  /** The events queue's retention (`QUEUE_RETENTION_S`): older beacon events are refused. */
  queueRetentionS: number;
  /** Visitors (daily salted hashes); absent: events go without visitor. */
  visitors?: Pick<VisitorHasher, 'visitor'>;
  /** User-Agent → device and families; cached (core/user-agent.ts). */
  userAgent?: (ua: string | undefined) => UserAgentFacts;
  telemetry: Telemetry;
  log: { error(message: string, extra?: Record<string, unknown>): void };
  now?: () => number;
}

export { MAX_FUTURE_SKEW_MS } from '../core/events.ts';
export const MAX_REFERRER = 2_048;
export const MAX_LINK_ID = 128;
export const MAX_UTM = 200;
/** What the consumer accepts for a country; CloudFront sends two letters. */
export const MAX_COUNTRY = 16;
/** ISO 3166-2 subdivision codes are 1-3 characters; the interface allows 16. */
export const MAX_REGION = 16;
export const MAX_CITY = 128;
/** What of the User-Agent goes into the visitor hash (browsers send ~150 characters). */
const MAX_UA = 512;
/** An ISO-8601 timestamp with nanoseconds and an offset is 35 characters. */
export const MAX_TIMESTAMP = 40;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const utmValue = z.optional(safeText({ max: MAX_UTM }));

// Every string is safe text (shared/validation.ts): what the queue carries must be storable.
const beaconEventSchema = z
  .object({
    type: z.enum(['profile.viewed', 'link.clicked']),
    username: z.string().check(safeTextCheck, z.regex(USERNAME_RE, 'username must be 1-30 letters, digits, "." or "_"')),
    linkId: z.optional(safeText({ min: 1, max: MAX_LINK_ID })),
    referrer: z.optional(safeText({ max: MAX_REFERRER })),
    occurredAt: z.optional(z.iso.datetime({ offset: true }).check(z.maxLength(MAX_TIMESTAMP))),
    /** The client's own id for the event: a resend of the same beacon counts once. */
    id: z.optional(z.string().check(safeTextCheck, z.regex(UUID_RE, 'must be a UUID'))),
    utm: z.optional(z.object({ source: utmValue, medium: utmValue, campaign: utmValue, term: utmValue, content: utmValue })),
  })
  .check(
    z.refine((e) => e.type !== 'link.clicked' || e.linkId !== undefined, {
      message: 'linkId is required for link.clicked',
      path: ['linkId'],
    }),
  );

export const beaconBodySchema = z.object({ events: z.array(beaconEventSchema).check(z.minLength(1), z.maxLength(100)) });
export type BeaconBody = z.infer<typeof beaconBodySchema>;

/** The body of `POST /api/events`, validated; throws ValidationError (400) with the first problem. */
export const parseBeacon = (raw: string, now: number, retentionS: number): BeaconBody => {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ValidationError('The body must be JSON: {"events": [...]}.');
  }
  const parsed = beaconBodySchema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(`Invalid events: ${firstIssue(parsed.error, 'body')}.`);
  }
  parsed.data.events.forEach((e, i) => {
    if (!e.occurredAt) return;
    const t = Date.parse(e.occurredAt);
    if (t > now + MAX_FUTURE_SKEW_MS)
      throw new ValidationError(`Invalid events: events.${i}.occurredAt is more than 5 minutes in the future.`);
    if (t < now - retentionS * 1000)
      throw new ValidationError(`Invalid events: events.${i}.occurredAt is older than the queue retention (${retentionS} s).`);
  });
  return parsed.data;
};

// Headers are copied into events sanitized: a garbled one is dropped, never a 400 or a poison event.
const country = (event: HttpEvent): string | undefined =>
  headerText(header(event, 'cloudfront-viewer-country'), MAX_COUNTRY, 'drop');
const referer = (event: HttpEvent): string | undefined => headerText(header(event, 'referer'), MAX_REFERRER);
const region = (event: HttpEvent): string | undefined => {
  const r = headerText(header(event, 'cloudfront-viewer-country-region'), MAX_REGION, 'drop');
  return r && /^[A-Za-z0-9-]+$/.test(r) ? r.toUpperCase() : undefined;
};
/** CloudFront URL-encodes non-ASCII city names ("S%C3%A3o%20Paulo"). */
const city = (event: HttpEvent): string | undefined => {
  const raw = header(event, 'cloudfront-viewer-city');
  let decoded = raw;
  if (raw?.includes('%')) {
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
  }
  return headerText(decoded, MAX_CITY, 'drop')?.trim() || undefined;
};

const UTM_FIELDS = ['source', 'medium', 'campaign', 'term', 'content'] as const;
/** `utm_*` query parameters of a redirect; a bad one is dropped (a redirect never fails for it). */
const queryUtm = (event: HttpEvent): Partial<Utm> | undefined => {
  const q = event.queryStringParameters ?? {};
  const out: Partial<Utm> = {};
  for (const f of UTM_FIELDS) {
    const v = headerText(q[`utm_${f}`], MAX_UTM, 'drop');
    if (v) out[f] = v;
  }
  return Object.keys(out).length ? out : undefined;
};

/**
 * The queue event id of a beacon event that carries the client's id: a UUID (version 8) from
 * SHA-256 over the profile, the type and the client id, so a resend dedupes in the consumer's
 * ledger, while a client can collide neither with server ids (time-ordered version 7 UUIDs, or version
 * 8 ones hashed under another prefix) nor with another profile's or type's events.
 */
export const beaconEventId = (profileId: string, type: string, clientId: string): string => {
  const h = createHash('sha256').update(`beacon\0${profileId}\0${type}\0${clientId.toLowerCase()}`).digest();
  h[6] = (h[6] & 0x0f) | 0x80; // version 8 (custom)
  h[8] = (h[8] & 0x3f) | 0x80; // RFC 9562 variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
};

type Utm = NonNullable<BeaconBody['events'][number]['utm']>;

/** The utm values that say something; undefined when none does. */
const utmData = (utm: Utm | undefined): Partial<Utm> | undefined => {
  if (!utm) return undefined;
  const kept = Object.fromEntries(Object.entries(utm).filter(([, v]) => v)) as Partial<Utm>;
  return Object.keys(kept).length ? kept : undefined;
};

const findLink = (profile: Profile, username: string, linkId: string) => {
  const link = profile.links.find((l) => l.id === linkId);
  // Disabled, unknown, or not http(s) (javascript:, data:, ...): never redirected to.
  if (!link?.enabled || !isHttpUrl(link.url)) throw new LinkNotFoundError(username, linkId);
  return link;
};

/** Resolves `p` or rejects after `ms`, whichever is first. */
const within = <T>(p: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not accepted within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
};

export const makeHandler = (deps: TrackDeps) => {
  const now = deps.now ?? Date.now;
  const classify = deps.userAgent ?? userAgentFacts;

  /** What the edge knows of the viewer, shared by every event of one request. */
  const viewer = (event: HttpEvent) => {
    const ua = header(event, 'user-agent') ?? '';
    const facts = classify(ua);
    const r = region(event);
    const c = city(event);
    return {
      ua: ua.slice(0, MAX_UA),
      ip: clientIp(header(event, 'cloudfront-viewer-address'), event.requestContext.http.sourceIp),
      data: {
        ...(r ? { region: r } : {}),
        ...(c ? { city: c } : {}),
        device: facts.device,
        browser: facts.browser,
        os: facts.os,
      },
    };
  };

  /** `visitor` and `day` of one event (no visitor when it cannot be computed; never throws). */
  const visitorData = async (
    v: ReturnType<typeof viewer>,
    at: number,
    username: string,
  ): Promise<{ visitor?: string; day?: string }> => {
    if (!deps.visitors) return {};
    try {
      const { visitor, day } = await deps.visitors.visitor(at, v.ip, v.ua, username);
      return visitor ? { visitor, day } : { day };
    } catch {
      deps.telemetry.count(MetricNames.VisitorSaltUnavailable);
      return {};
    }
  };

  const publishClick = async (event: QueueEvent): Promise<void> => {
    try {
      await within(deps.clickPublisher.publish(event), deps.clickBudgetMs);
    } catch (err) {
      deps.telemetry.count(MetricNames.ClickEventsDropped);
      // The full event, so it can be replayed (same id: the consumer counts it at most once).
      deps.log.error('click event dropped: not enqueued in time', {
        event,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };

  const redirect = async (event: HttpEvent): Promise<HttpResult> => {
    const username = parseUsername(event.pathParameters?.username);
    const linkId = event.pathParameters?.linkId ?? '';
    const { profile } = await deps.service.profile(username, deps.config.cache.linksTtlS);
    const link = findLink(profile, username, linkId);
    const method = event.requestContext.http.method;
    if (isCountable(method, header(event, 'user-agent'))) {
      const referrer = referer(event);
      const viewerCountry = country(event);
      const v = viewer(event);
      const at = now();
      const utm = queryUtm(event);
      const visitor = await visitorData(v, at, username);
      await publishClick(
        newEvent(
          'link.clicked',
          {
            linkId: link.id,
            profileId: profile.id,
            username,
            ...(referrer ? { referrer } : {}),
            ...(viewerCountry ? { country: viewerCountry } : {}),
            ...v.data,
            ...visitor,
            ...(utm ? { utm } : {}),
          },
          new Date(at),
        ),
      );
    } else {
      deps.telemetry.count(MetricNames.ClicksNotCounted);
    }
    return { statusCode: 302, headers: { location: link.url, 'cache-control': 'private, no-store' }, body: '' };
  };

  const beacon = async (event: HttpEvent): Promise<HttpResult> => {
    const body = parseBeacon(rawBody(event).toString('utf8'), now(), deps.queueRetentionS);
    const n = body.events.length;
    if (!isCountable('POST', header(event, 'user-agent'))) {
      deps.telemetry.count(MetricNames.BeaconEventsNotCounted, n);
      return json(202, { accepted: n, counted: 0 }, { 'cache-control': 'no-store' });
    }
    // Analytics key on the profile id (a username can change hands): resolve each username
    // through the cached read path. Unknown → 404, nothing enqueued.
    const usernames = [...new Set(body.events.map((e) => e.username.toLowerCase()))];
    const profiles = new Map(
      await Promise.all(
        usernames.map(async (u) => [u, (await deps.service.profile(u, deps.config.cache.linksTtlS)).profile] as const),
      ),
    );
    const viewerCountry = country(event);
    const v = viewer(event);
    const events = await Promise.all(
      body.events.map(async (e) => {
        const username = e.username.toLowerCase();
        const profile = profiles.get(username) as Profile;
        const utm = utmData(e.utm);
        const at = e.occurredAt ? Date.parse(e.occurredAt) : now();
        const visitor = await visitorData(v, at, username);
        const queued = newEvent(
          e.type,
          {
            profileId: profile.id,
            username,
            ...(e.linkId ? { linkId: e.linkId } : {}),
            ...(e.referrer ? { referrer: e.referrer } : {}),
            ...(viewerCountry ? { country: viewerCountry } : {}),
            ...v.data,
            ...visitor,
            ...(utm ? { utm } : {}),
          },
          new Date(at),
        );
        return e.id ? { ...queued, id: beaconEventId(profile.id, e.type, e.id) } : queued;
      }),
    );
    try {
      await deps.publisher.publishBatch(events);
    } catch (err) {
      throw new DependencyUnavailableError('event queue', { cause: err });
    }
    return json(202, { accepted: n, counted: n }, { 'cache-control': 'no-store' });
  };

  const routes: Record<string, (event: HttpEvent) => Promise<HttpResult>> = {
    'GET /r/{username}/{linkId}': redirect,
    'HEAD /r/{username}/{linkId}': redirect,
    'POST /api/events': beacon,
  };

  return routedHandler(routes);
};
