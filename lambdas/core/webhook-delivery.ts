// One attempt of one outgoing webhook delivery (the deliver function's work, per queue record):
// wait out `notBefore`, load the endpoint, claim the attempt, sign, send, log, then schedule the
// next attempt or disable the endpoint (core/outgoing-webhooks.ts `decide`).
//
// Delays beyond SQS's 900 s DelaySeconds: the next attempt is a NEW message carrying `notBefore`,
// sent with a delay of min(remaining, 900); a record received before its time is sent again the
// same way and acknowledged. Every message is received about once, so the queue's
// maxReceiveCount counts infrastructure failures, never the retry schedule (changing the
// visibility instead would spend one receive per hop, and is capped at 12 h per receive).
import {
  type AttemptResult,
  type DeliveryJob,
  type DeliveryLog,
  type DeliveryQueue,
  decide,
  type EndpointStore,
  isSuccess,
  type SignedRequest,
  type WebhookEndpoint,
  type WebhookSender,
} from './outgoing-webhooks.ts';

/** SQS's longest DelaySeconds. */
export const MAX_QUEUE_DELAY_S = 900;

export interface DeliveryDeps {
  endpoints: Pick<EndpointStore, 'get' | 'disable' | 'setFailingSince'>;
  log: DeliveryLog;
  queue: DeliveryQueue;
  sender: WebhookSender;
  /** Standard Webhooks signature header value for (id, time, body) with the endpoint's secret. */
  sign: (secret: string, webhookId: string, at: Date, body: string) => string;
  /** Delays (s) after each failed attempt (`WEBHOOK_RETRY_S`). */
  schedule: readonly number[];
  /** How long a claimed attempt is someone's before another receive may make it (> the send time-out). */
  leaseMs: number;
  now?: () => number;
  count?: (metric: 'delivered' | 'failed' | 'disabled' | 'deferred' | 'skipped', n?: number) => void;
  warn?: (message: string, extra: Record<string, unknown>) => void;
}

export type JobOutcome = 'deferred' | 'skipped' | 'duplicate' | 'delivered' | 'retry-scheduled' | 'disabled';

export const signedRequest = (
  e: Pick<WebhookEndpoint, 'url' | 'secret'>,
  job: Pick<DeliveryJob, 'webhookId' | 'payload'>,
  at: Date,
  sign: DeliveryDeps['sign'],
): SignedRequest => ({
  url: e.url,
  headers: {
    'content-type': 'application/json',
    'webhook-id': job.webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': sign(e.secret, job.webhookId, at, job.payload),
  },
  body: job.payload,
});

/**
 * Processes one job. Resolves with what happened; rejects when the job must come back (a store
 * or the queue failed), in which case nothing was sent, or the attempt's claim was released so
 * the redelivery sends it again with the same webhook-id.
 */
export const deliverJob = async (job: DeliveryJob, deps: DeliveryDeps): Promise<JobOutcome> => {
  const now = deps.now ?? Date.now;
  const count = deps.count ?? (() => {});
  if (job.notBefore !== undefined && job.notBefore - now() > 1_000) {
    const remainingS = Math.ceil((job.notBefore - now()) / 1000);
    await deps.queue.send([{ job, delayS: Math.min(MAX_QUEUE_DELAY_S, remainingS) }]);
    count('deferred');
    return 'deferred';
  }
  const endpoint = await deps.endpoints.get(job.endpointId);
  if (!endpoint?.enabled) {
    // Deleted or disabled since: its pending deliveries end here.
    count('skipped');
    return 'skipped';
  }
  const claim = await deps.log.claim(job.webhookId, job.attempt, deps.leaseMs);
  if (claim !== 'claimed') return 'duplicate';

  const startedAt = now();
  let result: AttemptResult;
  try {
    result = await deps.sender.send(signedRequest(endpoint, job, new Date(startedAt), deps.sign));
  } catch (err) {
    result = { status: null, durationMs: now() - startedAt, error: err instanceof Error ? err.message : String(err) };
  }
  try {
    await deps.log
      .append({
        endpointId: endpoint.id,
        webhookId: job.webhookId,
        type: job.type,
        attempt: job.attempt,
        at: new Date(startedAt).toISOString(),
        responseCode: result.status,
        durationMs: Math.round(result.durationMs),
        ...(result.error ? { error: result.error.slice(0, 300) } : {}),
      })
      .catch((err: unknown) => {
        // The attempt happened; a missing log line must not make it happen twice.
        deps.warn?.('delivery log entry not written', { webhookId: job.webhookId, error: String(err) });
      });

    const failingSince = endpoint.failingSince ? Date.parse(endpoint.failingSince) : null;
    const decision = decide(job, result, deps.schedule, failingSince, now());
    if (decision.kind === 'delivered') {
      count('delivered');
      if (endpoint.failingSince) await deps.endpoints.setFailingSince(endpoint.id, null);
      await deps.log.complete(job.webhookId, job.attempt);
      return 'delivered';
    }
    count('failed');
    if (!isSuccess(result.status) && !endpoint.failingSince)
      await deps.endpoints.setFailingSince(endpoint.id, new Date(startedAt).toISOString());
    if (decision.kind === 'disable') {
      await deps.endpoints.disable(endpoint.id, decision.reason);
      count('disabled');
      deps.warn?.('webhook endpoint disabled', { endpointId: endpoint.id, reason: decision.reason });
      await deps.log.complete(job.webhookId, job.attempt);
      return 'disabled';
    }
    const next: DeliveryJob = { ...job, attempt: job.attempt + 1, notBefore: now() + decision.delayS * 1000 };
    await deps.queue.send([{ job: next, delayS: Math.min(MAX_QUEUE_DELAY_S, decision.delayS) }]);
    await deps.log.complete(job.webhookId, job.attempt);
    return 'retry-scheduled';
  } catch (err) {
    // The next step was not recorded: free the attempt so the record's redelivery makes it again.
    await deps.log.release(job.webhookId, job.attempt).catch(() => {});
    throw err;
  }
};

/** A queue record's body → a job, or undefined when it is not one (acknowledged and logged). */
export const parseJob = (body: string): DeliveryJob | undefined => {
  try {
    const j = JSON.parse(body) as Partial<DeliveryJob>;
    if (
      typeof j.webhookId === 'string' &&
      typeof j.endpointId === 'string' &&
      typeof j.eventId === 'string' &&
      typeof j.type === 'string' &&
      typeof j.payload === 'string' &&
      Number.isInteger(j.attempt) &&
      (j.attempt as number) >= 1 &&
      (j.notBefore === undefined || typeof j.notBefore === 'number')
    )
      return j as DeliveryJob;
  } catch {
    // not JSON
  }
  return undefined;
};
