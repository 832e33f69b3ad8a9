// Local analytics Postgres: PGlite (Postgres in WASM, in process) persisted under
// `.data/pglite`, exposed over the Postgres wire protocol by pglite-socket on a free port, so the
// handlers run the same `pg` code path as against Aurora. Local-only: never bundled.
import { mkdir } from 'node:fs/promises';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/** `dataDir` undefined → in memory (tests). */
export const startPglite = async (dataDir: string | undefined): Promise<EmbeddedPostgres> => {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  if (dataDir) await mkdir(dataDir, { recursive: true });
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
    },
  };
};
