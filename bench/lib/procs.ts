// Child processes for benches: every child is tracked and killed on exit, on SIGINT/SIGTERM, and
// by `killAll()` (call it in a finally), so an interrupted bench leaves nothing running.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

const children = new Set<ChildProcess>();

/** Registers a child to be killed by killAll()/signals. Returns it. */
export const track = <T extends ChildProcess>(child: T): T => {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
};

/** SIGTERM every tracked child, SIGKILL whatever is left after `graceMs`. */
export const killAll = async (graceMs = 5_000): Promise<void> => {
  const alive = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of alive) c.kill('SIGTERM');
  await Promise.all(
    alive.map(async (c) => {
      const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
      if (c.exitCode === null && c.signalCode === null) await once(c, 'exit').catch(() => {});
      clearTimeout(timer);
    }),
  );
};

let installed = false;
/** Installs SIGINT/SIGTERM/exit handlers that kill tracked children (idempotent). */
export const installCleanup = (): void => {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping child processes...`);
    void killAll(2_000).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });
};

export interface NodeChild {
  child: ChildProcess;
  /** Everything printed so far (stdout + stderr). */
  output: () => string;
  /** The first capture group of `ready` (e.g. the URL). */
  ready: string;
  stop: () => Promise<void>;
}

/**
 * Spawns `node [nodeArgs] script [args]` (the running Node, so Node 24 under npm) and waits until
 * its output matches `ready` (first capture group returned).
 */
export const spawnNode = async (
  script: string,
  opts: { args?: string[]; nodeArgs?: string[]; env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number },
): Promise<NodeChild> => {
  const child = track(
    spawn(process.execPath, [...(opts.nodeArgs ?? []), script, ...(opts.args ?? [])], {
      cwd: ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let m = opts.ready.exec(out);
  while (!m) {
    if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}) before ready:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} not ready after ${opts.timeoutMs ?? 30_000} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
    m = opts.ready.exec(out);
  }
  return {
    child,
    output: () => out,
    ready: m[1] ?? m[0],
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
};

const CLK_TCK = 100; // Linux USER_HZ
/** CPU time (user + system, ms) a process has used so far, from /proc; NaN where unavailable. */
export const procCpuMs = (pid: number | undefined): number => {
  if (!pid) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
};

export interface CannedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A bare `node:http` server in its own process that answers `path` with exactly the given
 * status, headers and body (any other path: 404). The baseline for "what does our stack cost".
 */
export const spawnBareServer = async (
  responses: Record<string, CannedResponse>,
  opts: { defer?: boolean } = {},
): Promise<NodeChild> =>
  spawnNode(path.join(ROOT, 'bench/lib/bare-server.ts'), {
    // The canned responses travel as arguments: they are the child's input, not configuration.
    args: [JSON.stringify(responses), opts.defer ? 'defer' : 'now'],
    ready: /listening (http:\/\/\S+)/,
  });
