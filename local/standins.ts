// The stand-ins process of `npm start` (spawned by local/standins-process.ts): runs the
// stand-ins asked for in argv[2] (JSON StandInsRequest) — fauxqs (SQS), dynalite (DynamoDB, in
// memory), PGlite behind pglite-socket (it takes the PGlite directory lock, so the lock names
// this process) — each on a free port, started concurrently, then prints one JSON line:
//   {"standins":"ready","pid":…,"endpoints":{"fauxqs":"http://…","dynalite":"http://…","pglite":"postgresql://…"}}
// or {"standins":"error","pid":…,"message":"…"} and exits 1. Stops everything on SIGTERM/SIGINT,
// and when the IPC channel to its parent closes (the parent exited, even by SIGKILL).
// Queue, table and schema set-up stay in the parent, over the wire, as against real services.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPglite } from './postgres.ts';
import type { StandInName, StandInsMessage, StandInsRequest } from './standins-process.ts';

const request = JSON.parse(process.argv[2] || '{}') as StandInsRequest;
const stops: Array<() => Promise<void>> = [];

// A parent that is gone closes our stdout; never die of EPIPE while stopping.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
const reply = (msg: StandInsMessage): void => {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
};

const startFauxqs = async (region: string): Promise<string> => {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: 0, logger: false, defaultRegion: region });
  stops.push(() => server.stop());
  return server.address;
};

const startDynalite = async (): Promise<string> => {
  const { default: dynalite } = await import('dynalite');
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  stops.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const startDatabase = async (dir: string): Promise<string> => {
  const embedded = await startPglite(dir);
  stops.push(() => embedded.stop());
  return embedded.url;
};

const startup = (async () => {
  // All settle before an error is reported, so every stand-in that did start is stopped by shutdown().
  const settled = await Promise.allSettled([
    request.fauxqs ? startFauxqs(request.fauxqs.region).then((url) => ['fauxqs', url] as const) : undefined,
    request.dynalite ? startDynalite().then((url) => ['dynalite', url] as const) : undefined,
    request.pglite ? startDatabase(request.pglite.dir).then((url) => ['pglite', url] as const) : undefined,
  ]);
  const endpoints: Partial<Record<StandInName, string>> = {};
  for (const s of settled) {
    if (s.status === 'rejected') throw s.reason;
    if (s.value) endpoints[s.value[0]] = s.value[1];
  }
  return endpoints;
})();

let stopping: Promise<void> | undefined;
const shutdown = (code: number): Promise<void> => {
  stopping ??= (async () => {
    setTimeout(() => process.exit(code || 1), 10_000).unref();
    await startup.catch(() => {}); // a stand-in still starting is stopped too (and unlocks its directory)
    await Promise.allSettled(stops.map((stop) => stop()));
    process.exit(code);
  })();
  return stopping;
};
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
process.on('disconnect', () => void shutdown(0));
if (process.send && !process.connected) void shutdown(0); // the parent went away before we listened

try {
  const endpoints = await startup;
  reply({ standins: 'ready', pid: process.pid, endpoints });
} catch (err) {
  reply({ standins: 'error', pid: process.pid, message: err instanceof Error ? err.message : String(err) });
  await shutdown(1);
}
