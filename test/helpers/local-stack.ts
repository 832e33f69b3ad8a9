// Spawns the real local stack (`node bin/start.ts`) as a child process, as a user's `npm start`
// would, and reads what it prints: the base URL, the demo origin, the dev secrets.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEST_KEY_PREFIX } from './redis.ts';

export interface SpawnedStack {
  url: string;
  originUrl: string | undefined;
  webhookSecret: string | undefined;
  adminToken: string | undefined;
  output: () => string;
  child: ChildProcess;
  /** The stack's REDIS_KEY_PREFIX: the test run's own unless the caller chose one. */
  keyPrefix: string;
  /** SIGTERM, then resolves with the exit code. */
  stop: () => Promise<number | null>;
}

const root = path.resolve(import.meta.dirname, '../..');

export const spawnStack = async (env: Record<string, string> = {}, timeoutMs = 60_000): Promise<SpawnedStack> => {
  // The embedded database directory belongs to one process at a time: each stack gets its own.
  const ownDataDir =
    env.PGLITE_DIR === undefined && !env.DATABASE_URL ? mkdtempSync(path.join(tmpdir(), 'lc-pglite-')) : undefined;
  // So is the spool its in-memory queue leaves at shutdown: another stack would re-send it.
  const ownSpoolDir = env.QUEUE_SPOOL_FILE === undefined ? mkdtempSync(path.join(tmpdir(), 'lc-spool-')) : undefined;
  // Stacks of one test run share a key space (as one deployment's containers do), never a dev
  // stack's `lc:` keys or another run's.
  const keyPrefix = env.REDIS_KEY_PREFIX ?? TEST_KEY_PREFIX;
  const child = spawn(process.execPath, ['bin/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      REDIS_KEY_PREFIX: keyPrefix,
      ...(ownDataDir ? { PGLITE_DIR: ownDataDir } : {}),
      ...(ownSpoolDir ? { QUEUE_SPOOL_FILE: path.join(ownSpoolDir, 'queue-spool.json') } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.once('exit', () => {
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    if (ownSpoolDir) rmSync(ownSpoolDir, { recursive: true, force: true });
  });
  const started = Date.now();
  while (!/ready\S*\s+(http:\/\/\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`local stack exited (${child.exitCode}) before ready:\n${out}`);
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`local stack not ready after ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = (/ready\S*\s+(http:\/\/\S+)/.exec(out) as RegExpExecArray)[1];
  return {
    url,
    originUrl: /demo origin at (http:\/\/\S+)/.exec(out)?.[1],
    webhookSecret: env.WEBHOOK_SECRET ?? /webhook secret \(dev\): (\S+)/.exec(out)?.[1],
    adminToken: env.ADMIN_TOKEN ?? /admin token \(dev\): (\S+)/.exec(out)?.[1],
    output: () => out,
    child,
    keyPrefix,
    stop: async () => {
      // Already gone (a signal leaves exitCode null): 'exit' will not fire again.
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
};
