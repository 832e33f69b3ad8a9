// Secrets: locally from plain variables (`WEBHOOK_SECRET`, ...); in AWS the variable is absent and
// `<NAME>_SECRET_ARN` names a Secrets Manager secret, read through the AWS Parameters and Secrets
// Lambda Extension (localhost:2773, cached by the extension) so no SDK lands in the bundle.
// A secret's value is either a plain string or JSON; `field` picks a key out of JSON secrets.

import { config } from '../config/config.ts';
import type { SecretName } from '../config/variables.ts';

const memo = new Map<string, { value: Promise<string>; at: number }>();

export const secret = (name: SecretName, field?: string): Promise<string> => {
  const key = field ? `${name}#${field}` : name;
  const hit = memo.get(key);
  // Re-read after SECRET_TTL_MS, so a rotated secret reaches warm containers too.
  if (hit && Date.now() - hit.at < config().SECRET_TTL_MS) return hit.value;
  const value = readSecret(name, field);
  memo.set(key, { value, at: Date.now() });
  // A failed read is retried on the next call instead of being cached.
  value.catch(() => memo.delete(key));
  return value;
};

const readSecret = async (name: SecretName, field?: string): Promise<string> => {
  const c = config();
  const plain = c[name];
  if (plain) return plain;
  const arn = c[`${name}_SECRET_ARN`];
  if (!arn) throw new Error(`Neither ${name} nor ${name}_SECRET_ARN is set`);
  const res = await fetch(
    `http://localhost:${c.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT}/secretsmanager/get?secretId=${encodeURIComponent(arn)}`,
    {
      headers: { 'X-Aws-Parameters-Secrets-Token': c.AWS_SESSION_TOKEN ?? '' },
      signal: AbortSignal.timeout(3_000),
    },
  );
  if (!res.ok) throw new Error(`Secrets extension answered ${res.status} for ${name}`);
  const { SecretString } = (await res.json()) as { SecretString?: string };
  if (!SecretString) throw new Error(`Secret ${name} has no string value`);
  if (!field) return SecretString;
  const value = (JSON.parse(SecretString) as Record<string, unknown>)[field];
  if (typeof value !== 'string') throw new Error(`Secret ${name} has no "${field}" field`);
  return value;
};
