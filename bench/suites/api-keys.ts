// What the private routes' key check costs per request, in process: the root key (constant-time
// compare), a scoped key whose lookup is cached (the common case within L1_TTL_S), an unknown key
// (negatively cached), and a scoped key with the cache off, each lookup a GetItem on dynalite in a
// child process (DynamoDB's own latency in AWS is a few ms; dynalite's is not AWS's).
import { spawn } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoApiKeyStore } from '../../lambdas/adapters/dynamo-api-key-store.ts';
import { ApiKeys } from '../../lambdas/core/api-keys.ts';
import { authorize } from '../../lambdas/shared/auth.ts';
import { UnauthorizedError } from '../../lambdas/shared/errors.ts';
import { ensureApiKeysTable } from '../../local/api-keys-part.ts';
import { apiEvent } from '../../test/helpers/events.ts';
import { ROOT } from '../lib/procs.ts';
import { round, summarize } from '../lib/stats.ts';
import type { Goal, Row, SuiteResult } from '../lib/types.ts';

export const description =
  'Private-route key check per request: root, cached scoped key, unknown key, uncached (dynalite GetItem).';

const N = 5_000;
const N_UNCACHED = 500;
// p50: on a shared 2-core machine the tail is the scheduler's, not the check's.
const CACHED_P50_GOAL_US = 50;
const ROOT_TOKEN = 'bench-root-token-0123456789abcdef';

const DYNALITE = `
import dynalite from 'dynalite';
const d = dynalite({ createTableMs: 0 });
await new Promise((r) => d.listen(0, '127.0.0.1', r));
process.stdout.write('endpoint http://127.0.0.1:' + d.address().port + '\\n');
process.on('SIGTERM', () => { d.close(); process.exit(0); });
`;

const startDynalite = async (): Promise<{ endpoint: string; stop: () => void }> => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', DYNALITE], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /endpoint (\S+)/.exec(out);
      if (m) resolve({ endpoint: m[1], stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`dynalite exited (${code}): ${out}`)));
  });
};

export default async function run(): Promise<SuiteResult> {
  const dynamo = await startDynalite();
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await ensureApiKeysTable(client, 'bench-api-keys');
    const store = new DynamoApiKeyStore({ client, table: 'bench-api-keys' });
    const cached = new ApiKeys({ store, cacheTtlMs: 3_600_000, cacheMax: 1_000 });
    const uncached = new ApiKeys({ store, cacheTtlMs: 0, cacheMax: 1_000 });
    const { key } = await cached.create({ scopes: ['analytics:read'], profiles: ['demo'] });
    const unknown = `lck_${'B'.repeat(43)}`;
    const event = (token: string) =>
      apiEvent({
        route: '/api/profiles/{username}/analytics',
        pathParameters: { username: 'demo' },
        headers: { authorization: `Bearer ${token}` },
      });

    const measure = async (scenario: string, n: number, token: string, keys: ApiKeys, expect: 'ok' | 401): Promise<Row> => {
      const auth = { adminToken: async () => ROOT_TOKEN, verifyKey: (k: string) => keys.authenticate(k) };
      const e = event(token);
      const samples = new Float64Array(n);
      let wrong = 0;
      // Warm-up: the first lookup fills the cache and JITs the path.
      for (let i = 0; i < 50; i++) await authorize(e, 'analytics:read', auth).catch(() => {});
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        try {
          await authorize(e, 'analytics:read', auth);
          if (expect !== 'ok') wrong++;
        } catch (err) {
          if (!(err instanceof UnauthorizedError) || expect !== 401) wrong++;
        }
        samples[i] = performance.now() - t0;
      }
      const s = summarize(samples);
      return {
        scenario,
        n: s.n,
        wrong,
        'p50 µs': round(s.p50 * 1000, 1),
        'p99 µs': round(s.p99 * 1000, 1),
        'max µs': round(s.max * 1000, 0),
      };
    };

    const rows = [
      await measure('root key (ADMIN_TOKEN)', N, ROOT_TOKEN, cached, 'ok'),
      await measure('scoped key, lookup cached', N, key, cached, 'ok'),
      await measure('unknown key, negatively cached', N, unknown, cached, 401),
      await measure('scoped key, cache off (GetItem on dynalite)', N_UNCACHED, key, uncached, 'ok'),
    ];
    const goals: Goal[] = [
      {
        goal: `a cached scoped-key check ≤ ${CACHED_P50_GOAL_US} µs at p50`,
        met: Number(rows[1]['p50 µs']) <= CACHED_P50_GOAL_US,
      },
      { goal: 'every check answered as expected (200 / 401)', met: rows.every((r) => r.wrong === 0) },
    ];
    return {
      name: 'api-keys',
      rows,
      goals,
      notes: [
        'In process, one request at a time: authorize() = bearer parse + root compare (SHA-256, timingSafeEqual) + lookup + scope/profile check.',
        'The uncached row is dynalite over loopback, not DynamoDB: within L1_TTL_S a key costs one GetItem per process.',
      ],
    };
  } finally {
    client.destroy();
    dynamo.stop();
  }
}
