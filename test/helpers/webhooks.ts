// Signed Standard Webhooks requests for tests, made with the reference library (as a sender would).
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export interface SignedWebhook {
  id: string;
  body: string;
  headers: Record<string, string>;
}

export const webhookBody = (
  over: { type?: string; profileId?: string; username?: string; data?: Record<string, unknown> } = {},
): string =>
  JSON.stringify({
    type: over.type ?? 'profile.updated',
    timestamp: new Date().toISOString(),
    data: {
      profileId: over.profileId ?? 'prof_test',
      ...(over.username !== undefined ? { username: over.username } : {}),
      ...over.data,
    },
  });

/** Signs `body` with every secret given (key rotation: several space-separated signatures). */
export const signWebhook = (
  secrets: string | string[],
  body: string,
  opts: { id?: string; timestampS?: number } = {},
): SignedWebhook => {
  const id = opts.id ?? `msg_${randomUUID()}`;
  const ts = opts.timestampS ?? Math.floor(Date.now() / 1000);
  const signatures = (Array.isArray(secrets) ? secrets : [secrets]).map((s) =>
    new Webhook(s).sign(id, new Date(ts * 1000), body),
  );
  return {
    id,
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signatures.join(' '),
    },
  };
};
