// Secrets: locally from plain variables (`WEBHOOK_SECRET`, ...); in AWS the variable is absent and
// `<NAME>_SECRET_ARN` names a Secrets Manager secret, read through the AWS Parameters and Secrets
// Lambda Extension (localhost:2773, cached by the extension) so no SDK lands in the bundle.
// A secret's value is either a plain string or JSON; `field` picks a key out of JSON secrets.

const EXTENSION_PORT = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773';
/** Re-read after this long, so a rotated secret reaches warm containers too. */
const SECRET_TTL_MS = Number(process.env.SECRET_TTL_MS ?? 300_000);
const memo = new Map<string, { value: Promise<string>; at: number }>();

export const secret = (name: string, field?: string): Promise<string> => {
  const key = field ? `${name}#${field}` : name;
  const hit = memo.get(key);
  if (hit && Date.now() - hit.at < SECRET_TTL_MS) return hit.value;
  const value = readSecret(name, field);
  memo.set(key, { value, at: Date.now() });
  // A failed read is retried on the next call instead of being cached.
  value.catch(() => memo.delete(key));
  return value;
};

const readSecret = async (name: string, field?: string): Promise<string> => {
  const plain = process.env[name];
  if (plain) return plain;
  const arn = process.env[`${name}_SECRET_ARN`];
  if (!arn) throw new Error(`Neither ${name} nor ${name}_SECRET_ARN is set`);
  const res = await fetch(`http://localhost:${EXTENSION_PORT}/secretsmanager/get?secretId=${encodeURIComponent(arn)}`, {
    headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' },
    signal: AbortSignal.timeout(3_000),
  });
  if (!res.ok) throw new Error(`Secrets extension answered ${res.status} for ${name}`);
  const { SecretString } = (await res.json()) as { SecretString?: string };
  if (!SecretString) throw new Error(`Secret ${name} has no string value`);
  if (!field) return SecretString;
  const value = (JSON.parse(SecretString) as Record<string, unknown>)[field];
  if (typeof value !== 'string') throw new Error(`Secret ${name} has no "${field}" field`);
  return value;
};
