// Standard Webhooks verification (the reference `standardwebhooks` library) over the raw body,
// with headers checked first so each refusal says which check failed.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { InvalidSignatureError } from '../shared/errors.ts';
import type { HttpEvent } from '../shared/http.ts';

/** The reference library's tolerance, both ways: 5 minutes. */
export const TOLERANCE_S = 5 * 60;
const MAX_ID_LENGTH = 256;

export interface VerifiedHeaders {
  id: string;
  timestamp: number;
}

const verifiers = new Map<string, Webhook>();

/** One Webhook (decoded key) per secret value, so the base64 decode happens once per container. */
const verifierFor = (secret: string): Webhook => {
  let wh = verifiers.get(secret);
  if (!wh) {
    wh = new Webhook(secret);
    verifiers.set(secret, wh);
  }
  return wh;
};

/**
 * Throws InvalidSignatureError unless `webhook-id`, `webhook-timestamp` and `webhook-signature`
 * are present and well formed, the timestamp is within 5 minutes of now either way, and one of
 * the space-separated `v1,<base64>` signatures is the HMAC-SHA256 of `id.timestamp.body`.
 */
export const verifyWebhook = (event: HttpEvent, body: Buffer, secret: string): VerifiedHeaders => {
  const h = event.headers ?? {};
  const id = h['webhook-id'];
  const ts = h['webhook-timestamp'];
  const sig = h['webhook-signature'];
  const missing = [!id && 'webhook-id', !ts && 'webhook-timestamp', !sig && 'webhook-signature'].filter(Boolean);
  if (missing.length) throw new InvalidSignatureError(`Missing Standard Webhooks header(s): ${missing.join(', ')}.`);
  if ((id as string).length > MAX_ID_LENGTH)
    throw new InvalidSignatureError(`webhook-id is longer than ${MAX_ID_LENGTH} characters.`);
  if (!/^\d{1,12}$/.test((ts as string).trim())) {
    throw new InvalidSignatureError('webhook-timestamp is not a Unix time in seconds.');
  }
  if (!(sig as string).split(' ').some((s) => /^v1,[A-Za-z0-9+/]+={0,2}$/.test(s))) {
    throw new InvalidSignatureError('webhook-signature has no "v1,<base64>" signature.');
  }
  try {
    verifierFor(secret).verify(
      body,
      { 'webhook-id': id as string, 'webhook-timestamp': ts as string, 'webhook-signature': sig as string },
      { jsonParse: false },
    );
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    const reason = /too old/i.test(err.message)
      ? `webhook-timestamp is more than ${TOLERANCE_S / 60} minutes in the past.`
      : /too new/i.test(err.message)
        ? `webhook-timestamp is more than ${TOLERANCE_S / 60} minutes in the future.`
        : /no matching signature/i.test(err.message)
          ? 'No webhook-signature matches the body: wrong secret, or the body was changed.'
          : `Webhook verification failed: ${err.message}.`;
    throw new InvalidSignatureError(reason, { cause: err });
  }
  return { id: id as string, timestamp: Number(ts) };
};
