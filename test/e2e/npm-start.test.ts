// `npm start` itself, as a supervisor runs it: a SIGTERM sent to the npm process alone (not its
// process group) must reach the stack, which drains and exits 0, leaving no process behind.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Every descendant of `pid`, found through `ps --ppid` level by level. */
const descendants = (pid: number): number[] => {
  const out: number[] = [];
  let level = [pid];
  while (level.length) {
    let next: number[] = [];
    for (const p of level) {
      let listed = '';
      try {
        listed = execFileSync('ps', ['-o', 'pid=', '--ppid', String(p)], { encoding: 'utf8' });
      } catch {
        // ps exits 1 when there are none
      }
      next = next.concat(
        listed
          .split('\n')
          .map((s) => Number(s.trim()))
          .filter((n) => n > 0),
      );
    }
    out.push(...next);
    level = next;
  }
  return out;
};

const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

const commandOf = (pid: number): string => {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
};

let npm: ChildProcess | undefined;
let pids: number[] = [];
let tmp: string | undefined;

afterEach(async () => {
  // Whatever the assertions found, leave nothing running for the next test.
  for (const pid of [...pids, npm?.pid ?? 0]) {
    if (pid && !gone(pid)) process.kill(pid, 'SIGKILL');
  }
  if (tmp) await rm(tmp, { recursive: true, force: true });
  npm = tmp = undefined;
  pids = [];
});

it('a SIGTERM to the npm process alone drains the stack, exits 0 and leaves no process behind', async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'lc-npm-start-'));
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      PGLITE_DIR: path.join(tmp, 'pglite'),
      QUEUE_SPOOL_FILE: path.join(tmp, 'queue-spool.json'),
      DATABASE_URL: '',
      AWS_ENDPOINT_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  npm = child;
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const until = Date.now() + 60_000;
  while (!/ready\S*\s+http:\/\/\S+/.test(out)) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}) before ready:\n${out}`);
    if (Date.now() > until) throw new Error(`npm start not ready after 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = (/ready\S*\s+(http:\/\/\S+)/.exec(out) as RegExpExecArray)[1];
  expect((await fetch(`${url}/api/profiles/demo`)).status).toBe(200);

  pids = descendants(child.pid as number);
  const described = pids.map((p) => `${p} ${commandOf(p)}`).join('\n');
  // The stack is there to be stopped: node bin/start.ts and the stand-ins process at least.
  expect(described).toMatch(/bin\/start\.ts/);
  expect(described).toMatch(/local\/standins\.ts/);

  child.kill('SIGTERM');
  const [code, signal] = await exited;
  expect({ code, signal }, out).toEqual({ code: 0, signal: null });
  expect(out).toMatch(/SIGTERM: draining/);
  expect(out).toMatch(/consumer: drained/);

  await expect(fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  const deadline = Date.now() + 5_000;
  while (pids.some((p) => !gone(p)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const left = pids.filter((p) => !gone(p)).map((p) => `${p} ${commandOf(p)}`);
  expect(left, `processes of the stack still running after npm exited:\n${left.join('\n')}\n${out}`).toEqual([]);
});
