// `npm run keys -- create|list|revoke`: scoped API keys (docs/api-keys.md) over HTTP, with the root
// key. Talks to a base URL (the local stack by default, or the deployed API's URL), so it works the
// same against `npm start` and AWS; the root key comes from ADMIN_TOKEN or --token-file.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const usage = `usage: npm run keys -- create --scope <scope> [--scope ...] [--profile <username> ...] [--expires <when>]
       npm run keys -- list
       npm run keys -- revoke <key id>

options: --url <base URL>      the API (default http://127.0.0.1:3000; in AWS the stack's API URL output)
         --token-file <path>   a file holding the root key (else the ADMIN_TOKEN environment variable)
         --json                print the API's JSON answer as is
scopes:  analytics:read, links:write, cache:invalidate, webhooks:manage
--expires: an ISO-8601 time (2027-01-01T00:00:00Z) or a span from now: 30d, 12h, 90m
The key is printed once, by create: it is stored only as a hash and cannot be shown again.`;

export interface KeysCommand {
  command: 'create' | 'list' | 'revoke';
  url: string;
  token: string;
  json: boolean;
  scopes: string[];
  profiles: string[];
  expiresAt?: string;
  id?: string;
}

const SPAN_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30d` / `12h` / `90m` from `now`, or an ISO-8601 time as given; undefined when neither. */
export const parseExpires = (value: string, now = Date.now()): string | undefined => {
  const span = /^(\d{1,6})([mhd])$/.exec(value);
  if (span) return new Date(now + Number(span[1]) * SPAN_MS[span[2]]).toISOString();
  return Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}T/.test(value) ? undefined : value;
};

/** The command line as a command, or a message saying what is wrong. */
export const parseKeysArgs = (
  argv: string[],
  env: { ADMIN_TOKEN?: string },
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  now = Date.now(),
): KeysCommand | { error: string } => {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:3000' },
        'token-file': { type: 'string' },
        scope: { type: 'string', multiple: true, default: [] },
        profile: { type: 'string', multiple: true, default: [] },
        expires: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
  }
  try {
    parsed = parse();
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { values, positionals } = parsed;
  const [command, id, ...extra] = positionals;
  if (command !== 'create' && command !== 'list' && command !== 'revoke') return { error: `unknown command "${command ?? ''}"` };
  if (extra.length || (command !== 'revoke' && id)) return { error: `unexpected argument "${extra[0] ?? id}"` };
  if (command === 'revoke' && !id) return { error: 'revoke needs the key id' };
  if (command === 'create' && values.scope.length === 0) return { error: 'create needs at least one --scope' };
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    return { error: `--url "${values.url}" is not a URL` };
  }
  let token = env.ADMIN_TOKEN ?? '';
  if (values['token-file']) {
    try {
      token = readFile(values['token-file']).trim();
    } catch (err) {
      return { error: `cannot read --token-file: ${(err as Error).message}` };
    }
  }
  if (!token) return { error: 'no root key: set ADMIN_TOKEN or pass --token-file' };
  let expiresAt: string | undefined;
  if (values.expires !== undefined) {
    expiresAt = parseExpires(values.expires, now);
    if (!expiresAt) return { error: `--expires "${values.expires}" is neither an ISO-8601 time nor a span like 30d` };
  }
  return {
    command,
    url: url.toString().replace(/\/+$/, ''),
    token,
    json: values.json,
    scopes: values.scope,
    profiles: values.profile,
    ...(expiresAt ? { expiresAt } : {}),
    ...(id ? { id } : {}),
  };
};

interface KeyRow {
  id: string;
  scopes: string[];
  profiles: string[] | null;
  expiresAt: string | null;
  createdAt?: string;
  revoked?: boolean;
}

const describeKey = (k: KeyRow, now: number): string => {
  const state = k.revoked ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= now ? 'expired' : 'active';
  return [
    k.id,
    state.padEnd(7),
    k.scopes.join(','),
    `profiles=${k.profiles ? k.profiles.join(',') : '*'}`,
    `expires=${k.expiresAt ?? 'never'}`,
    ...(k.createdAt ? [`created=${k.createdAt}`] : []),
  ].join('  ');
};

/** Runs one command; resolves to the exit code. Output through `out`/`err`. */
export const runKeys = async (
  cmd: KeysCommand,
  io: { fetch?: typeof fetch; out: (line: string) => void; err: (line: string) => void; now?: number },
): Promise<number> => {
  const doFetch = io.fetch ?? fetch;
  const headers = { authorization: `Bearer ${cmd.token}`, 'content-type': 'application/json' };
  const [method, path, body] =
    cmd.command === 'create'
      ? ([
          'POST',
          '/api/keys',
          JSON.stringify({
            scopes: cmd.scopes,
            ...(cmd.profiles.length ? { profiles: cmd.profiles } : {}),
            ...(cmd.expiresAt ? { expiresAt: cmd.expiresAt } : {}),
          }),
        ] as const)
      : cmd.command === 'list'
        ? (['GET', '/api/keys', undefined] as const)
        : (['DELETE', `/api/keys/${encodeURIComponent(cmd.id ?? '')}`, undefined] as const);
  let res: Response;
  try {
    res = await doFetch(`${cmd.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    io.err(`cannot reach ${cmd.url}: ${(err as Error).message}`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 500);
    try {
      const e = JSON.parse(text) as { error?: { code: string; message: string } };
      if (e.error) message = `${e.error.code}: ${e.error.message}`;
    } catch {}
    io.err(`${method} ${path} → ${res.status} ${message}`);
    return 1;
  }
  if (cmd.json) {
    io.out(text);
    return 0;
  }
  const answer = JSON.parse(text) as KeyRow & { key?: string; keys?: KeyRow[] };
  const now = io.now ?? Date.now();
  if (cmd.command === 'create') {
    io.out(`key:  ${answer.key}`);
    io.out(`      (shown once: it is stored only as a hash; keep it in a secret store)`);
    io.out(describeKey(answer, now));
  } else if (cmd.command === 'list') {
    if (!answer.keys?.length) io.out('no keys');
    for (const k of answer.keys ?? []) io.out(describeKey(k, now));
  } else {
    io.out(`revoked ${cmd.id} (refused everywhere within L1_TTL_S)`);
  }
  return 0;
};

if (import.meta.main) {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv.some((a) => a === '--help' || a === '-h' || a === 'help')) {
    console.log(usage);
    process.exit(argv.length === 0 ? 2 : 0);
  }
  const cmd = parseKeysArgs(argv, { ADMIN_TOKEN: process.env.ADMIN_TOKEN });
  if ('error' in cmd) {
    console.error(`${cmd.error}\n\n${usage}`);
    process.exit(2);
  }
  process.exitCode = await runKeys(cmd, { out: (l) => console.log(l), err: (l) => console.error(l) });
}
