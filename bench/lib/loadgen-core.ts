// The load loop itself (runs inside the load-generator child; see loadgen.ts for the API).
// Fixed concurrency: each of `concurrency` keep-alive connections sends a request, waits for the
// full response, sends the next. Two clients:
//   'raw'  - node:net sockets, one pre-encoded request buffer, a minimal HTTP/1.1 response parser
//            (Content-Length, chunked, no-body statuses). Cheap per request, so on a small machine
//            the generator steals less CPU from the server under test. The default.
//   'http' - node:http http.request with a keep-alive Agent (maxSockets = concurrency).
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Concurrent keep-alive connections (default 32). */
  concurrency?: number;
  /** Measured window (default 5000 ms). */
  durationMs?: number;
  /** Unmeasured warm-up before it (default 1000 ms). */
  warmupMs?: number;
  /** Stop the measured window after this many responses (default 2,000,000). */
  maxRequests?: number;
  /** Statuses that count as success (default [200]). */
  expectStatus?: number[];
  client?: 'raw' | 'http';
}

export interface LoadResult {
  client: 'raw' | 'http';
  concurrency: number;
  /** Responses completed in the measured window. */
  requests: number;
  /** Responses with an unexpected status, plus connection errors. */
  errors: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  rps: number;
  latencyMs: { min: number; mean: number; p50: number; p90: number; p99: number; max: number };
  bytesPerResponse: number;
  /** CPU the generator itself used during the measured window (ms). */
  clientCpuMs: number;
}

type Sink = (status: number, bodyBytes: number, startedAt: number) => void;
type Conn = { send: (startedAt: number) => void; close: () => void };

const NO_BODY = (status: number, method: string) =>
  method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);

const rawConn = (target: URL, request: Buffer, method: string, done: Sink, onError: (err: Error) => void): Conn => {
  let socket: net.Socket;
  let startedAt = 0;
  let buf: Buffer = Buffer.alloc(0);
  // Parse state for the current response.
  let status = 0;
  let headerDone = false;
  let remaining = 0; // body bytes left (Content-Length mode)
  let chunked = false;
  let bodyBytes = 0;
  let closeAfter = false;
  let waiting = false;

  const reset = () => {
    status = 0;
    headerDone = false;
    remaining = 0;
    chunked = false;
    bodyBytes = 0;
    closeAfter = false;
  };

  const connect = () => {
    const s = net.connect({ host: target.hostname, port: Number(target.port || 80), noDelay: true });
    socket = s;
    s.on('data', onData);
    s.on('error', (err) => {
      if (s === socket && waiting) {
        waiting = false;
        onError(err);
      }
    });
    s.on('close', () => {
      if (s === socket && waiting) {
        waiting = false;
        onError(new Error('connection closed mid-response'));
      }
    });
  };

  const finish = () => {
    waiting = false;
    const s = status;
    const b = bodyBytes;
    const reconnect = closeAfter;
    reset();
    if (reconnect) {
      socket.destroy();
      connect();
    }
    done(s, b, startedAt);
  };

  const onData = (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (!headerDone) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        buf = buf.subarray(end + 4);
        status = Number(head.slice(9, 12));
        headerDone = true;
        const lower = head.toLowerCase();
        closeAfter = /\r\nconnection:\s*close/.test(lower);
        if (NO_BODY(status, method)) {
          remaining = 0;
        } else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
          chunked = true;
        } else {
          const m = /\r\ncontent-length:\s*(\d+)/.exec(lower);
          remaining = m ? Number(m[1]) : 0;
        }
        if (!chunked && remaining === 0) {
          finish();
          return;
        }
      }
      if (!chunked) {
        const take = Math.min(remaining, buf.length);
        remaining -= take;
        bodyBytes += take;
        buf = buf.subarray(take);
        if (remaining === 0) finish();
        return;
      }
      // Chunked: <hex>\r\n<data>\r\n ... 0\r\n\r\n (no trailers expected).
      const lineEnd = buf.indexOf('\r\n');
      if (lineEnd < 0) return;
      const size = Number.parseInt(buf.toString('latin1', 0, lineEnd), 16);
      if (size === 0) {
        if (buf.length < lineEnd + 4) return;
        buf = buf.subarray(lineEnd + 4);
        finish();
        return;
      }
      if (buf.length < lineEnd + 2 + size + 2) return;
      bodyBytes += size;
      buf = buf.subarray(lineEnd + 2 + size + 2);
    }
  };

  connect();
  return {
    send: (at) => {
      startedAt = at;
      waiting = true;
      socket.write(request);
    },
    close: () => socket.destroy(),
  };
};

const httpConn = (target: URL, opts: LoadOptions, agent: http.Agent, done: Sink, onError: (err: Error) => void): Conn => ({
  send: (startedAt) => {
    const req = http.request(target, { method: opts.method ?? 'GET', headers: opts.headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => done(res.statusCode ?? 0, bytes, startedAt));
      res.on('error', onError);
    });
    req.on('error', onError);
    req.end(opts.body);
  },
  close: () => {},
});

/** Runs the load in this process; `onPhase('measure')` fires when the measured window starts. */
export const loadLoop = (opts: LoadOptions, onPhase: (phase: 'measure') => void = () => {}): Promise<LoadResult> => {
  const target = new URL(opts.url);
  const method = opts.method ?? 'GET';
  const concurrency = opts.concurrency ?? 32;
  const durationMs = opts.durationMs ?? 5_000;
  const warmupMs = opts.warmupMs ?? 1_000;
  const maxRequests = opts.maxRequests ?? 2_000_000;
  const expect = new Set(opts.expectStatus ?? [200]);
  const client = opts.client ?? 'raw';
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const headerLines = Object.entries({
    host: target.host,
    ...opts.headers,
    ...(body ? { 'content-length': String(body.length) } : {}),
  })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const request = Buffer.concat([
    Buffer.from(`${method} ${target.pathname}${target.search} HTTP/1.1\r\n${headerLines}\r\n`, 'latin1'),
    body ?? Buffer.alloc(0),
  ]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

  const samples = new Float64Array(Math.min(maxRequests, 5_000_000));
  const statuses: Record<string, number> = {};
  let n = 0;
  let errors = 0;
  let bytes = 0;
  let measuring = false;
  let stopped = false;
  let measureStart = 0;
  let measureEnd = 0;
  let lastDone = 0;
  let cpuStart = process.cpuUsage();
  let inflight = 0;

  return new Promise<LoadResult>((resolve) => {
    const conns: Conn[] = [];
    const finishIfIdle = () => {
      if (!stopped || inflight > 0) return;
      const cpu = process.cpuUsage(cpuStart);
      for (const c of conns) c.close();
      agent.destroy();
      const elapsedMs = (lastDone || measureEnd) - measureStart;
      const s = samples.subarray(0, n).sort();
      let sum = 0;
      for (let i = 0; i < s.length; i++) sum += s[i];
      const pct = (p: number) =>
        s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : Number.NaN;
      resolve({
        client,
        concurrency,
        requests: n,
        errors,
        statuses,
        elapsedMs,
        rps: elapsedMs > 0 ? (n * 1000) / elapsedMs : 0,
        latencyMs: {
          min: s[0] ?? Number.NaN,
          mean: n ? sum / n : Number.NaN,
          p50: pct(50),
          p90: pct(90),
          p99: pct(99),
          max: s[n - 1] ?? Number.NaN,
        },
        bytesPerResponse: n ? bytes / n : 0,
        clientCpuMs: (cpu.user + cpu.system) / 1000,
      });
    };
    const next = (conn: Conn) => {
      const now = performance.now();
      if (measuring && (now >= measureEnd || n >= maxRequests)) {
        measuring = false;
        stopped = true;
      }
      if (stopped) {
        finishIfIdle();
        return;
      }
      inflight++;
      conn.send(now);
    };
    const make = (): Conn => {
      let conn: Conn;
      const done: Sink = (status, b, startedAt) => {
        inflight--;
        const now = performance.now();
        if (measuring && startedAt >= measureStart) {
          if (n < samples.length) samples[n] = now - startedAt;
          n++;
          bytes += b;
          lastDone = now;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (!expect.has(status)) errors++;
        }
        next(conn);
      };
      const onError = (_err: Error) => {
        inflight--;
        if (measuring) errors++;
        // Back off a little so a dead server doesn't spin the loop.
        setTimeout(() => next(conn), 10);
      };
      conn = client === 'raw' ? rawConn(target, request, method, done, onError) : httpConn(target, opts, agent, done, onError);
      return conn;
    };
    for (let i = 0; i < concurrency; i++) conns.push(make());
    setTimeout(() => {
      measuring = true;
      measureStart = performance.now();
      measureEnd = measureStart + durationMs;
      cpuStart = process.cpuUsage();
      onPhase('measure');
    }, warmupMs);
    for (const c of conns) next(c);
  });
};
