// The API process's side of the stand-ins child (local/standins.ts): fauxqs, dynalite and
// PGlite (+ pglite-socket) run in a process `npm start` spawns and owns, so the API process runs
// only what Lambda would run (the handlers behind the adapter) plus the SQS poller. In one process
// they cost the read path ~15-20% of its throughput, PGlite's synchronous WASM queries stalled the
// API's event loop past Redis' 250 ms command timeout under load, and a PGlite abort killed the API.
//
// The `standins` part starts first and asks the child for whatever the environment does not
// provide (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, DATABASE_URL); the queue, idempotency and
// database parts then read their endpoints from it and print the same lines as before. It stops
// last, after the poller has drained through the child's queue into its database.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { LocalPart } from './stack.ts';
import { type Environment, parseConfig } from '../lambdas/config/variables.ts';

export type StandInName = 'fauxqs' | 'dynalite' | 'pglite';

/** What the parent asks for: one key per stand-in to run (argv[2] of the child, as JSON). */
export interface StandInsRequest {
  fauxqs?: { region: string };
  dynalite?: Record<string, never>;
  pglite?: { dir: string };
}

/** The child's one machine-readable line on stdout: ready with endpoints, or why it could not start. */
export type StandInsMessage =
  | { standins: 'ready'; pid: number; endpoints: Partial<Record<StandInName, string>> }
  | { standins: 'error'; pid: number; message: string };

const ENTRY = path.join(import.meta.dirname, 'standins.ts');
const LABEL: Record<StandInName, string> = { fauxqs: 'fauxqs', dynalite: 'dynalite', pglite: 'PGlite' };

/** The stand-ins `npm start` must run itself; read before any part changes the environment. */
export const standInsRequest = (env: Environment): StandInsRequest => {
  const c = parseConfig(env);
  return {
    ...(c.AWS_ENDPOINT_URL ? {} : { fauxqs: { region: c.AWS_REGION || 'us-east-1' } }),
    ...(c.AWS_ENDPOINT_URL_DYNAMODB || c.AWS_ENDPOINT_URL ? {} : { dynalite: {} }),
    ...(c.DATABASE_URL ? {} : { pglite: { dir: path.resolve(c.PGLITE_DIR) } }),
  };
};

export interface StartOptions {
  /** Called when the child dies while not being stopped. */
  onUnexpectedExit: (why: string) => void;
  readyTimeoutMs?: number;
}

export class StandIns {
  #child: ChildProcess | undefined;
  #endpoints: Partial<Record<StandInName, string>> = {};
  #stopping = false;
  #stderrTail = '';

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): StandInName[] {
    return Object.keys(this.#endpoints) as StandInName[];
  }

  /** The endpoint of a stand-in the child runs; throws if it was not asked for. */
  endpoint(name: StandInName): string {
    const url = this.#endpoints[name];
    if (!url) throw new Error(`${LABEL[name]} is not running: the 'standins' part must start before the parts that use it`);
    return url;
  }

  async start(request: StandInsRequest, options: StartOptions): Promise<void> {
    if (this.#child) throw new Error('the stand-ins process is already started');
    // Same Node (type stripping), own process group: a terminal's Ctrl-C reaches only `npm start`,
    // which drains through the stand-ins before it stops them. The IPC channel is how the child
    // notices the parent is gone, even after a SIGKILL.
    const child = spawn(process.execPath, [ENTRY, JSON.stringify(request)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    this.#child = child;
    eachLine(child.stderr, (line) => {
      this.#stderrTail = `${this.#stderrTail}${line}\n`.slice(-4_000);
      process.stderr.write(`stand-ins: ${line}\n`);
    });

    const ready = new Promise<void>((resolve, reject) => {
      let answered = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the stand-ins process was not ready after ${options.readyTimeoutMs ?? 60_000} ms`));
      }, options.readyTimeoutMs ?? 60_000);
      eachLine(child.stdout, (line) => {
        const msg = answered ? undefined : parseMessage(line);
        if (!msg) {
          process.stdout.write(`stand-ins: ${line}\n`);
          return;
        }
        answered = true;
        clearTimeout(timer);
        if (msg.standins === 'ready') {
          this.#endpoints = msg.endpoints;
          resolve();
        } else {
          reject(new Error(msg.message));
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const why = `the stand-ins process (pid ${child.pid}: ${this.#describe(request)}) exited with ${signal ?? `code ${code}`}`;
        if (!answered) {
          reject(new Error(`${why} before it was ready${this.#stderrTail ? `:\n${this.#stderrTail}` : ''}`));
        } else if (!this.#stopping) {
          options.onUnexpectedExit(`${why}${this.#stderrTail ? `; its last output:\n${this.#stderrTail}` : ''}`);
        }
      });
    });
    await ready;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.#child;
    this.#stopping = true;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  #describe(request: StandInsRequest): string {
    return (Object.keys(request) as StandInName[]).map((n) => LABEL[n]).join(', ');
  }
}

const eachLine = (stream: Readable | null, onLine: (line: string) => void): void => {
  let buffered = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line) onLine(line);
  });
  stream?.on('end', () => {
    if (buffered) onLine(buffered);
  });
};

const parseMessage = (line: string): StandInsMessage | undefined => {
  if (!line.startsWith('{"standins":')) return undefined;
  try {
    return JSON.parse(line) as StandInsMessage;
  } catch {
    return undefined;
  }
};

/**
 * The part that owns the child. If the child dies while the API serves, the API exits non-zero
 * rather than restart it: fauxqs and dynalite hold the queued events and idempotency records in
 * memory, so a restarted child would silently lose them (and PGlite's abort usually means a
 * broken data directory); failing loudly is the honest answer for a dev stack.
 */
export const standInsPart = (standins: StandIns): LocalPart => ({
  name: 'standins',
  async start(env, log) {
    const request = standInsRequest(env);
    if (!Object.keys(request).length) return;
    const t0 = performance.now();
    await standins.start(request, {
      onUnexpectedExit: (why) => {
        console.error(`\n!!! ${why}.\n!!! The API cannot serve without its stand-ins; npm start exits. Run it again.\n`);
        process.exit(1);
      },
    });
    log(
      `stand-ins: process ${standins.pid} runs ${standins.running.map((n) => LABEL[n]).join(', ')} ` +
        `(up in ${Math.round(performance.now() - t0)} ms; stopped by npm start)`,
    );
  },
  stop: () => standins.stop(),
});
