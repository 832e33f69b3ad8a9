// Outgoing webhooks (docs/webhooks-out.md): the endpoints the teams that embed profiles register,
// which change events each one receives, and the attempt policy of a delivery. Pure domain over
// ports: the stores, the delivery queue and the HTTP sender are adapters.
//
// A delivery is identified by its webhook-id, derived from (event id, endpoint id): the same
// change event fanned out twice (a redelivered queue record) makes the same ids, and the deliver
// worker claims (webhook-id, attempt) once, so a receiver never gets a second delivery for it.
import { createHash, randomBytes } from 'node:crypto';
import type { QueueEvent } from '../contracts/events.ts';

export const OUTGOING_EVENT_TYPES = ['profile.updated', 'links.updated', 'profile.deleted'] as const;
export type OutgoingEventType = (typeof OUTGOING_EVENT_TYPES)[number];

export const isOutgoingEventType = (t: string): t is OutgoingEventType => (OUTGOING_EVENT_TYPES as readonly string[]).includes(t);

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: OutgoingEventType[];
  /** Lower-cased usernames; null: every profile (only for a key that reaches every profile). */
  profiles: string[] | null;
  /** `whsec_` + base64 of 32 random bytes; never listed. */
  secret: string;
  enabled: boolean;
  disabledReason: string | null;
  /** Start of the current run of failed deliveries (ISO); null while the last one succeeded. */
  failingSince: string | null;
  createdAt: string;
  /** The key that created it (`root` for ADMIN_TOKEN). */
  createdBy: string;
}

/** What a Scan reads: every attribute but `secret` in the endpoints table (lib/outgoing-webhooks.ts allows the consumer these alone). */
export const LISTED_ATTRIBUTES = [
  'id',
  'url',
  'events',
  'profiles',
  'enabled',
  'disabledReason',
  'failingSince',
  'createdAt',
  'createdBy',
  'deletedAt',
] as const;

/** What the API shows: never the secret, nor the internal failure clock. */
export interface EndpointView {
  id: string;
  url: string;
  events: OutgoingEventType[];
  profiles: string[] | null;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
}

export const endpointView = (e: WebhookEndpoint): EndpointView => ({
  id: e.id,
  url: e.url,
  events: e.events,
  profiles: e.profiles,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  createdAt: e.createdAt,
});

export const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

export const newEndpointId = (): string => `ep_${randomBytes(12).toString('hex')}`;

/** The Standard Webhooks message id of one event's delivery to one endpoint, stable across retries. */
export const webhookIdFor = (eventId: string, endpointId: string): string =>
  `msg_${createHash('sha256').update(`${eventId}\n${endpointId}`).digest('base64url').slice(0, 32)}`;

/** The username a change event is about (lower case), when it names one. */
export const eventUsername = (event: Pick<QueueEvent, 'data'>): string | undefined => {
  const u = event.data.username;
  return typeof u === 'string' && u ? u.toLowerCase() : undefined;
};

/**
 * Whether an endpoint receives an event: enabled, subscribed to its type, and the event's profile
 * among its profiles (an event that names no username reaches only the endpoints for every profile).
 */
export const matches = (e: WebhookEndpoint, event: Pick<QueueEvent, 'type' | 'data'>): boolean => {
  if (!e.enabled || !isOutgoingEventType(event.type) || !e.events.includes(event.type)) return false;
  if (e.profiles === null) return true;
  const username = eventUsername(event);
  return username !== undefined && e.profiles.includes(username);
};

/** One attempt to make: what the deliver worker receives on its queue. */
export interface DeliveryJob {
  webhookId: string;
  endpointId: string;
  eventId: string;
  type: OutgoingEventType;
  /** 1 for the first attempt. */
  attempt: number;
  /** The exact body of every attempt (JSON text), so retries send the same bytes. */
  payload: string;
  /** Epoch ms before which the attempt is not made (a delay longer than the queue's 900 s). */
  notBefore?: number;
}

/** The body receivers get: `{type, timestamp, data: {profileId, username, ...}}`. */
export const payloadFor = (event: QueueEvent): string => {
  // The incoming webhook's own id is ours, not the receiver's business.
  const { webhookId: _incoming, ...data } = event.data;
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt, data });
};

/** Event → one first-attempt job per matching endpoint. */
export const fanOut = (event: QueueEvent, endpoints: readonly WebhookEndpoint[]): DeliveryJob[] => {
  if (!isOutgoingEventType(event.type)) return [];
  const type = event.type;
  const payload = payloadFor(event);
  return endpoints
    .filter((e) => matches(e, event))
    .map((e) => ({ webhookId: webhookIdFor(event.id, e.id), endpointId: e.id, eventId: event.id, type, attempt: 1, payload }));
};

/** `WEBHOOK_RETRY_S` → the delays (s) after attempt 1, 2, …; attempts = delays + 1. */
export const parseSchedule = (text: string): number[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0);

/** The longest Retry-After honoured: a receiver cannot park a delivery for longer than a day. */
export const MAX_RETRY_AFTER_S = 86_400;

/** A run of failures this long disables the endpoint even while its schedules still run. */
export const FAILING_DISABLE_MS = 3 * 86_400_000;

export interface AttemptResult {
  /** null: no answer (time-out, refused connection, forbidden address). */
  status: number | null;
  durationMs: number;
  /** Retry-After of the answer, in seconds, when it had one. */
  retryAfterS?: number;
  error?: string;
}

export type AttemptDecision = { kind: 'delivered' } | { kind: 'retry'; delayS: number } | { kind: 'disable'; reason: string };

export const isSuccess = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

/**
 * What follows an attempt. 2xx: done. 410: the endpoint is disabled, no retry. Anything else is
 * retried after the schedule's next delay (or the answer's Retry-After when later, capped at a
 * day); with the schedule exhausted, or failures running for more than three days, the endpoint
 * is disabled.
 */
export const decide = (
  job: Pick<DeliveryJob, 'attempt'>,
  result: AttemptResult,
  schedule: readonly number[],
  failingSinceMs: number | null,
  nowMs: number,
): AttemptDecision => {
  if (isSuccess(result.status)) return { kind: 'delivered' };
  if (result.status === 410) return { kind: 'disable', reason: 'the endpoint answered 410 Gone' };
  if (failingSinceMs !== null && nowMs - failingSinceMs > FAILING_DISABLE_MS)
    return { kind: 'disable', reason: 'every delivery failed for more than 3 days' };
  const next = schedule[job.attempt - 1];
  if (next === undefined)
    return {
      kind: 'disable',
      reason: `a delivery failed on all ${job.attempt} attempts of the retry schedule (last: ${describe(result)})`,
    };
  const retryAfter = result.retryAfterS !== undefined ? Math.min(MAX_RETRY_AFTER_S, Math.max(0, result.retryAfterS)) : 0;
  return { kind: 'retry', delayS: Math.max(next, retryAfter) };
};

const describe = (r: AttemptResult): string => (r.status !== null ? `HTTP ${r.status}` : (r.error ?? 'no answer'));

/** `Retry-After` as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export const parseRetryAfter = (value: string | undefined, nowMs: number): number | undefined => {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
};

/** One attempt in the delivery log (`GET /api/webhook-endpoints/{id}/deliveries`). */
export interface DeliveryLogEntry {
  endpointId: string;
  webhookId: string;
  type: OutgoingEventType;
  attempt: number;
  /** ISO-8601, when the attempt started. */
  at: string;
  responseCode: number | null;
  durationMs: number;
  error?: string;
}

// Ports.

export interface EndpointStore {
  put(e: WebhookEndpoint): Promise<void>;
  get(id: string): Promise<WebhookEndpoint | undefined>;
  /** Every endpoint, its `secret` left empty (a table scan per batch with change events: endpoints are few). */
  list(): Promise<WebhookEndpoint[]>;
  delete(id: string): Promise<boolean>;
  disable(id: string, reason: string): Promise<void>;
  /** Records a failure run's start (only when none is running) or its end (null). */
  setFailingSince(id: string, since: string | null): Promise<void>;
}

export type ClaimState = 'claimed' | 'done' | 'in_progress';

export interface DeliveryLog {
  append(entry: DeliveryLogEntry): Promise<void>;
  /** Newest first. */
  list(endpointId: string, limit: number): Promise<DeliveryLogEntry[]>;
  /** Claims one attempt of one delivery; `done` and `in_progress` mean: do not send. */
  claim(webhookId: string, attempt: number, leaseMs: number): Promise<ClaimState>;
  complete(webhookId: string, attempt: number): Promise<void>;
  release(webhookId: string, attempt: number): Promise<void>;
}

export interface DeliveryQueue {
  /** Enqueues jobs (each after `delayS`, at most 900); rejects unless every one is accepted. */
  send(jobs: readonly { job: DeliveryJob; delayS?: number }[]): Promise<void>;
}

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookSender {
  send(req: SignedRequest): Promise<AttemptResult>;
}
