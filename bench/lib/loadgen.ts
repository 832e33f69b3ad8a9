// Keep-alive HTTP load generator, run in its own process so it never shares an event loop with
// the server under test. See loadgen-core.ts for the options and the two clients.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { LoadOptions, LoadResult } from './loadgen-core.ts';
import { procCpuMs, ROOT, track } from './procs.ts';

export type { LoadOptions, LoadResult } from './loadgen-core.ts';

export interface RunLoadOptions extends LoadOptions {
  /** Server process(es) whose CPU time is sampled over the measured window. */
  serverPids?: number[];
}

export interface RunLoadResult extends LoadResult {
  /** CPU ms the server process(es) used during the measured window (NaN if not sampled). */
  serverCpuMs: number;
  /** Server CPU per request in microseconds: the cost that doesn't depend on how many cores it got. */
  serverCpuUsPerReq: number;
}

/** Runs one load case in a fresh child process and returns its measurements. */
export const runLoad = async (opts: RunLoadOptions): Promise<RunLoadResult> => {
  const { serverPids = [], ...load } = opts;
  const child = track(
    spawn(process.execPath, [path.join(ROOT, 'bench/lib/loadgen-child.ts'), JSON.stringify(load)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const cpu = () => serverPids.reduce((s, pid) => s + procCpuMs(pid), 0);
  let cpuAtStart = Number.NaN;
  let result: LoadResult | undefined;
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for await (const line of lines) {
    if (line === 'phase measure') cpuAtStart = cpu();
    else if (line.startsWith('result ')) {
      const serverCpuMs = cpu() - cpuAtStart;
      result = JSON.parse(line.slice(7)) as LoadResult;
      const code = await exited;
      if (code !== 0) throw new Error(`load generator exited with ${code}`);
      return { ...result, serverCpuMs, serverCpuUsPerReq: result.requests ? (serverCpuMs * 1000) / result.requests : Number.NaN };
    }
  }
  throw new Error(`load generator exited (${await exited}) without a result`);
};

export interface BurstResult {
  statuses: Record<string, number>;
  errors: string[];
  latencyMs: number[];
}

/**
 * Fires `n` requests at once (one fresh connection each, no pooling limit) from this process and
 * waits for all of them. For stampede/thundering-herd cases, not throughput.
 */
export const burst = async (url: string, n: number, headers: Record<string, string> = {}): Promise<BurstResult> => {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const statuses: Record<string, number> = {};
  const errors: string[] = [];
  const latencyMs: number[] = [];
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve) => {
          const t0 = performance.now();
          const req = http.get(url, { agent, headers }, (res) => {
            res.resume();
            res.on('end', () => {
              statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
              latencyMs.push(performance.now() - t0);
              resolve();
            });
          });
          req.on('error', (err) => {
            errors.push(err.message);
            resolve();
          });
        }),
    ),
  );
  agent.destroy();
  return { statuses, errors, latencyMs };
};

/** A single GET returning status, headers and body (for fetching the bytes a baseline must serve). */
export const httpGet = (
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> =>
  new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });
