// Local analytics Postgres: PGlite (Postgres in WASM) persisted under `.data/pglite`, exposed
// over the Postgres wire protocol by pglite-socket on a free port, so the handlers run the same
// `pg` code path as against Aurora. `npm start` runs it in the stand-ins child process
// (local/standins.ts), never in the API's; tests run it in memory. Local-only: never bundled.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/** `dataDir` undefined → in memory (tests). */
export const startPglite = async (dataDir: string | undefined): Promise<EmbeddedPostgres> => {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  let unlock = async () => {};
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    unlock = await lockDataDir(dataDir);
  }
  const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  // PGlite is one session; pglite-socket multiplexes connections onto it (keeping a transaction's
  // statements together). Clients use a pool of 1 (PG_POOL_MAX=1); the slack here only covers a
  // discarded connection still closing while its replacement connects.
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 4 });
  let port = 0;
  server.addEventListener('listening', (e) => {
    port = (e as CustomEvent<{ port: number }>).detail.port;
  });
  await server.start();
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    stop: async () => {
      await server.stop();
      await db.close();
      await unlock();
    },
  };
};

/**
 * PGlite's directory is one process's at a time; a second one aborts deep in WASM. Claim it
 * with a pid file first, so a second `npm start` says what is wrong instead.
 */
const lockDataDir = async (dataDir: string): Promise<() => Promise<void>> => {
  const lockFile = path.join(dataDir, '.linkcache.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(lockFile, 'utf8').catch(() => ''));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `the embedded database in ${dataDir} is in use by process ${holder} (another npm start?); ` +
            'stop it, or set PGLITE_DIR to another directory or DATABASE_URL to a Postgres server',
        );
      }
      await rm(lockFile, { force: true }); // left by a process that is gone
    }
  }
  throw new Error(`could not lock ${dataDir}`);
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};
