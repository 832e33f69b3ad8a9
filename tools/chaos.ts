// `npm run chaos`: a bounded fault run against the real local stack. It starts its own Redis
// (`redis-server` on a free port) and its own PostgreSQL cluster (Debian's pg_createcluster, so
// it needs root), runs `node bin/start.ts` on them, and sends page-view beacons (each event with
// a client id, resent with the same id after a failure, as a browser would) and link clicks
// while it hangs, kills and restarts Redis, stops and starts Postgres, restarts the stack under
// load, and mixes in malformed requests. At the end it prints what was sent, accepted, counted,
// set aside and dead-lettered, and exits 1 unless nothing accepted was lost or counted twice.
//
//   npm run chaos [-- --duration 90]     (CHAOS_DURATION_S; the run takes about that plus ~40 s)
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

const ROOT = path.resolve(import.meta.dirname, '..');
const argDuration = process.argv.indexOf('--duration');
const DURATION_S = Number(argDuration > 0 ? process.argv[argDuration + 1] : 90);
if (!Number.isFinite(DURATION_S) || DURATION_S < 30 || DURATION_S > 1_800) {
  console.error('usage: npm run chaos [-- --duration S]   (30 ≤ S ≤ 1800; default 90)');
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('npm run chaos needs root: it creates and stops a PostgreSQL cluster of its own (pg_createcluster).');
  process.exit(2);
}

const log = (line: string) => console.log(`[chaos ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

// ---- Redis of our own -------------------------------------------------------------------------
const redisPort = await freePort();
let redis: ChildProcess | undefined;
const startRedis = async () => {
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('redis-cli', ['-p', String(redisPort), 'ping'], { stdio: 'pipe' });
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error('redis-server did not start');
};

// ---- PostgreSQL cluster of our own ------------------------------------------------------------
const PG_VERSION = readdirSync('/etc/postgresql').sort().at(-1) ?? '15';
const pgPort = await freePort();
const cluster = `chaos${process.pid}`;
const pgctl = (action: 'start' | 'stop') =>
  execFileSync(
    'pg_ctlcluster',
    ['--skip-systemctl-redirect', PG_VERSION, cluster, action, ...(action === 'stop' ? ['-m', 'fast'] : [])],
    {
      stdio: 'pipe',
    },
  );
execFileSync('pg_createcluster', [PG_VERSION, cluster, '-p', String(pgPort), '--start', '--', '--auth=trust'], { stdio: 'pipe' });
const DATABASE_URL = `postgresql://postgres@127.0.0.1:${pgPort}/postgres`;

// ---- the stack ----------------------------------------------------------------------------------
const dataDir = mkdtempSync(path.join(tmpdir(), 'lc-chaos-'));
const spoolFile = path.join(dataDir, 'queue-spool.json');
let stack: ChildProcess | undefined;
let base = '';
let stackOut = '';
const startStack = async (): Promise<void> => {
  stackOut = '';
  stack = spawn(process.execPath, ['bin/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_KEY_PREFIX: `chaos${process.pid}:`,
      DATABASE_URL,
      BATCH_WINDOW_S: '1',
      QUEUE_VISIBILITY_TIMEOUT_S: '5',
      CONSUMER_BACKOFF_BASE_S: '2',
      CONSUMER_BACKOFF_CAP_S: '10',
      QUEUE_SPOOL_FILE: spoolFile,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout?.on('data', (d: Buffer) => {
    stackOut += d.toString();
  });
  stack.stderr?.on('data', (d: Buffer) => {
    stackOut += d.toString();
  });
  const started = Date.now();
  while (!/ready\S*\s+(http:\/\/\S+)/.test(stackOut)) {
    if (stack.exitCode !== null) throw new Error(`stack exited ${stack.exitCode} before ready:\n${stackOut}`);
    if (Date.now() - started > 60_000) throw new Error(`stack not ready in 60 s:\n${stackOut}`);
    await sleep(50);
  }
  base = (/ready\S*\s+(http:\/\/\S+)/.exec(stackOut) as RegExpExecArray)[1];
};
const stopStack = async (): Promise<number | null> => {
  const child = stack;
  if (!child || child.exitCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
};

// ---- the load -----------------------------------------------------------------------------------
const stats = {
  viewsSent: 0,
  viewsAccepted: 0,
  viewPostsRetried: 0,
  viewsGivenUp: 0,
  clicksSent: 0,
  clicksRedirected: 0,
  malformedSent: 0,
  malformed4xx: 0,
  malformedNoAnswer: 0,
  malformedOther: new Map<string, number>(),
  answers: new Map<string, number>(),
};
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
let running = true;
let paused = false;

const post = async (body: unknown): Promise<number> => {
  try {
    const res = await fetch(`${base}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) chaos' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(8_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
};

/** A browser's beacon: resent with the same event ids until accepted (a 202), or given up. */
const beaconLoop = async () => {
  while (running) {
    if (paused) {
      await sleep(50);
      continue;
    }
    const n = 1 + Math.floor(Math.random() * 5);
    const events = Array.from({ length: n }, () => ({ type: 'profile.viewed', username: 'demo', id: randomUUID() }));
    stats.viewsSent += n;
    let accepted = false;
    for (let attempt = 0; attempt < 20 && !accepted; attempt++) {
      if (attempt) {
        stats.viewPostsRetried++;
        await sleep(250 * Math.min(attempt, 8));
      }
      const status = await post({ events });
      bump(stats.answers, `POST /api/events ${status || 'no answer'}`);
      accepted = status === 202;
    }
    if (accepted) stats.viewsAccepted += n;
    else stats.viewsGivenUp += n;
  }
};

let linkId = '';
const clickLoop = async () => {
  while (running) {
    if (paused || !linkId) {
      await sleep(50);
      continue;
    }
    stats.clicksSent++;
    try {
      const res = await fetch(`${base}/r/demo/${linkId}`, {
        redirect: 'manual',
        headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) chaos' },
        signal: AbortSignal.timeout(8_000),
      });
      await res.arrayBuffer();
      bump(stats.answers, `GET /r ${res.status}`);
      if (res.status === 302) stats.clicksRedirected++;
    } catch {
      bump(stats.answers, 'GET /r no answer');
    }
    await sleep(20);
  }
};

const MALFORMED: Array<{ method: string; path: string; body?: string }> = [
  {
    method: 'POST',
    path: '/api/events',
    body: '{"events":[{"type":"link.clicked","username":"demo","linkId":"lnk_shop\\u0000x"}]}',
  },
  {
    method: 'POST',
    path: '/api/events',
    body: '{"events":[{"type":"profile.viewed","username":"demo","referrer":"a\\u0007b"}]}',
  },
  { method: 'POST', path: '/api/events', body: '{"events":[{"type":"profile.viewed","username":"demo","referrer":"\\ud800"}]}' },
  { method: 'POST', path: '/api/events', body: '{"events":[{"type":"profile.viewed","username":"de mo"}]}' },
  { method: 'POST', path: '/api/events', body: '{"events":[' },
  { method: 'POST', path: '/api/events', body: `{"events":[${'{"type":"profile.viewed","username":"demo"},'.repeat(100)}{}]}` },
  { method: 'POST', path: '/api/events', body: '{"events":[{"type":"profile.viewed","username":"demo","id":"not-a-uuid"}]}' },
  { method: 'GET', path: '/api/profiles/%00' },
  { method: 'GET', path: '/api/profiles/a%zz' },
  { method: 'GET', path: `/api/profiles/${'a'.repeat(31)}` },
  { method: 'GET', path: '/r/demo/%00' },
  { method: 'PATCH', path: '/api/profiles/demo/links', body: '{"links":[]}' },
  { method: 'POST', path: '/webhooks/linktree', body: '{"type":"profile.updated"}' },
];

/** Bad input over raw HTTP (fetch would normalize some targets): every one must get a 4xx. */
const rawRequest = (method: string, target: string, body?: string): Promise<number> =>
  new Promise((resolve) => {
    const url = new URL(base);
    const socket = net.connect(Number(url.port), url.hostname, () => {
      const b = body ?? '';
      socket.write(
        `${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\nConnection: close\r\n\r\n${b}`,
      );
    });
    let data = '';
    socket.setTimeout(8_000, () => socket.destroy());
    socket.on('data', (d) => {
      data += d.toString('latin1');
    });
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.on('error', () => resolve(0));
  });

const malformedLoop = async () => {
  const targets = ['//', '///', '//a:b', '//%zz', '/\\', '*'];
  let i = 0;
  while (running) {
    if (paused) {
      await sleep(50);
      continue;
    }
    const pick = i++ % (MALFORMED.length + targets.length);
    const status =
      pick < MALFORMED.length
        ? await rawRequest(MALFORMED[pick].method, MALFORMED[pick].path, MALFORMED[pick].body)
        : await rawRequest('GET', targets[pick - MALFORMED.length]);
    stats.malformedSent++;
    if (status >= 400 && status < 500) stats.malformed4xx++;
    else if (status === 0) stats.malformedNoAnswer++;
    else bump(stats.malformedOther, `${status}`);
    await sleep(40);
  }
};

// ---- counting ---------------------------------------------------------------------------------
const db = new pg.Pool({ connectionString: DATABASE_URL, max: 1, connectionTimeoutMillis: 2_000 });
db.on('error', () => {});
let profileId = '';
const counted = async (): Promise<{ views: number; clicks: number; rejected: number }> => {
  const q = await db.query<{ views: string; clicks: string; rejected: string }>(
    // The daily tier plus the raw rows of batches the rollup job has not taken yet, in one
    // statement (one snapshot): every applied event exactly once, whenever the job ran.
    `SELECT coalesce(sum(views), 0) AS views, coalesce(sum(clicks), 0) AS clicks,
            (SELECT count(*) FROM rejected_events) AS rejected
       FROM (SELECT views, clicks FROM analytics_dsig WHERE profile_id = $1
             UNION ALL
             SELECT r.views, r.clicks FROM analytics_pending p
               JOIN analytics_raw r ON r.batch = p.batch AND r.bucket >= p.lo AND r.bucket <= p.hi
              WHERE r.profile_id = $1) t`,
    [profileId],
  );
  const r = q.rows[0];
  return { views: Number(r.views), clicks: Number(r.clicks), rejected: Number(r.rejected) };
};

// ---- the run ----------------------------------------------------------------------------------
const faults: string[] = [];
const exitCodes: Array<number | null> = [];
let ok = false;
try {
  await startRedis();
  await startStack();
  log(`stack at ${base}; Redis :${redisPort}; Postgres cluster ${PG_VERSION}/${cluster} :${pgPort}`);
  const profile = (await (await fetch(`${base}/api/profiles/demo`)).json()) as {
    id: string;
    links: { id: string; enabled: boolean; url: string }[];
  };
  profileId = profile.id;
  linkId = profile.links.find((l) => l.enabled && /^https?:/.test(l.url))?.id ?? '';

  const loops = [beaconLoop(), beaconLoop(), clickLoop(), malformedLoop()];
  const at = (fraction: number) => sleep(Math.max(0, t0 + fraction * DURATION_S * 1000 - performance.now()));
  const fault = (what: string) => {
    faults.push(what);
    log(what);
  };

  await at(0.1);
  fault('Redis hung (SIGSTOP) for 6 s');
  redis?.kill('SIGSTOP');
  await sleep(6_000);
  redis?.kill('SIGCONT');

  await at(0.25);
  fault('Redis killed (SIGKILL), restarted after 4 s');
  redis?.kill('SIGKILL');
  await sleep(4_000);
  await startRedis();

  await at(0.4);
  fault('Postgres stopped for 20 s');
  pgctl('stop');
  await sleep(20_000);
  pgctl('start');

  await at(0.65);
  fault('stack restarted under load (SIGTERM, then npm start again)');
  exitCodes.push(await stopStack());
  paused = true;
  await startStack();
  paused = false;

  await at(0.75);
  fault('Postgres stopped, the stack stopped while it is down (its queue spooled), then both started');
  pgctl('stop');
  await sleep(3_000);
  exitCodes.push(await stopStack());
  pgctl('start');
  paused = true;
  await startStack();
  paused = false;

  await at(1);
  running = false;
  await Promise.all(loops);
  log('load stopped; waiting for the consumer to catch up (up to 90 s)');
  const deadline = Date.now() + 90_000;
  let c = await counted();
  while (Date.now() < deadline && (c.views < stats.viewsAccepted || c.clicks < stats.clicksRedirected)) {
    await sleep(1_000);
    c = await counted();
  }
  exitCodes.push(await stopStack());
  c = await counted();
  const spool = existsSync(spoolFile)
    ? (JSON.parse(readFileSync(spoolFile, 'utf8')) as { queue: unknown[]; dlq: unknown[] })
    : { queue: [], dlq: [] };

  const lostViews = Math.max(0, stats.viewsAccepted - c.views);
  const doubleViews = Math.max(0, c.views - stats.viewsAccepted);
  const lostClicks = Math.max(0, stats.clicksRedirected - c.clicks);
  const doubleClicks = Math.max(0, c.clicks - stats.clicksRedirected);
  const bad5xx = [...stats.malformedOther.entries()].filter(([s]) => s.startsWith('5'));
  console.log('');
  console.log(`faults: ${faults.join('; ')}`);
  console.log(`answers: ${[...stats.answers.entries()].map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  console.log('');
  console.log('| | sent | accepted | counted | set aside | dead-lettered (kept) | lost | counted twice |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(
    `| page views (beacons, client ids, resent on failure) | ${stats.viewsSent} | ${stats.viewsAccepted} | ${c.views} | ${c.rejected} | ${spool.dlq.length} | ${lostViews} | ${doubleViews} |`,
  );
  console.log(
    `| link clicks (/r/...) | ${stats.clicksSent} | ${stats.clicksRedirected} | ${c.clicks} | | | ${lostClicks} | ${doubleClicks} |`,
  );
  console.log(
    `| malformed requests | ${stats.malformedSent} | ${stats.malformed4xx} answered 4xx, ${stats.malformedNoAnswer} unanswered while the stack restarted | | | | | |${stats.malformedOther.size ? ` other: ${[...stats.malformedOther].map(([k, v]) => `${k}×${v}`).join(', ')}` : ''}`,
  );
  console.log('');
  console.log(`beacon posts retried: ${stats.viewPostsRetried}; events given up by the client: ${stats.viewsGivenUp}`);
  console.log(
    `stack exit codes at each SIGTERM: ${exitCodes.join(', ')}; left in the spool at the end: ${spool.queue.length} queued, ${spool.dlq.length} dead-lettered`,
  );
  ok =
    lostViews === 0 &&
    doubleViews === 0 &&
    lostClicks === 0 &&
    doubleClicks === 0 &&
    bad5xx.length === 0 &&
    spool.queue.length === 0 &&
    exitCodes.every((code) => code === 0);
  console.log(ok ? 'chaos: PASS — 0 lost, 0 counted twice' : 'chaos: FAIL');
} catch (err) {
  console.error(
    `chaos: aborted: ${err instanceof Error ? err.stack : String(err)}\n--- stack output ---\n${stackOut.slice(-4_000)}`,
  );
} finally {
  running = false;
  if (stack && stack.exitCode === null) stack.kill('SIGKILL');
  redis?.kill('SIGKILL');
  await db.end().catch(() => {});
  try {
    execFileSync('pg_dropcluster', [PG_VERSION, cluster, '--stop'], { stdio: 'pipe' });
  } catch (err) {
    console.error(`could not drop cluster ${cluster}: ${String(err)}`);
  }
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
