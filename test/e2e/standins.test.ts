// The stand-ins child process of `npm start` (local/standins.ts): it holds the PGlite
// directory lock, it does not outlive a SIGKILLed `npm start`, and its death stops the API loudly.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

/** Alive and not a zombie waiting for its (new) parent to reap it. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const waitFor = async (cond: () => boolean, timeoutMs: number): Promise<boolean> => {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
};

const exitOf = (stack: SpawnedStack): Promise<number | null> =>
  stack.child.exitCode !== null
    ? Promise.resolve(stack.child.exitCode)
    : new Promise((resolve) => stack.child.once('exit', (code) => resolve(code)));

describe('the stand-ins process', () => {
  let stack: SpawnedStack | undefined;
  let dataDir: string | undefined;
  let standinsPid: number | undefined;

  afterEach(async () => {
    await stack?.stop();
    if (standinsPid && alive(standinsPid)) process.kill(standinsPid, 'SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    stack = dataDir = standinsPid = undefined;
  });

  const start = async (): Promise<number> => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'lc-standins-'));
    stack = await spawnStack({ PGLITE_DIR: dataDir, DATABASE_URL: '', AWS_ENDPOINT_URL: '' });
    const m = /stand-ins: process (\d+) runs fauxqs, dynalite, PGlite/.exec(stack.output());
    expect(m, stack.output()).not.toBeNull();
    standinsPid = Number(m?.[1]);
    expect(standinsPid).not.toBe(stack.child.pid);
    expect(alive(standinsPid)).toBe(true);
    return standinsPid;
  };

  it('holds the PGlite lock and exits (unlocking it) when npm start is SIGKILLed', async () => {
    const pid = await start();
    const lock = path.join(dataDir as string, '.linkcache.lock');
    expect(await readFile(lock, 'utf8')).toBe(String(pid));

    stack?.child.kill('SIGKILL');
    await exitOf(stack as SpawnedStack);
    expect(await waitFor(() => !alive(pid), 15_000)).toBe(true);
    await expect(readFile(lock, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes npm start down with a non-zero exit and a loud message when it dies', async () => {
    const pid = await start();
    process.kill(pid, 'SIGKILL');
    const code = await exitOf(stack as SpawnedStack);
    expect(code).toBe(1);
    expect(stack?.output()).toMatch(new RegExp(`!!! the stand-ins process \\(pid ${pid}: [^)]*\\) exited with SIGKILL`));
  });
});
