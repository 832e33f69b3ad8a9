// The migrate Lambda as the deploy-time Trigger calls it: a result on success, a throw on failure.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeHandler } from '../../lambdas/migrate/handler.ts';
import { openTestDb, type TestDb } from '../helpers/pg.ts';

let db: TestDb;
beforeAll(async () => {
  db = await openTestDb('postgres', 'migfn');
});
afterAll(async () => {
  await db?.close();
});

it('applies the pending migrations once and reports them', async () => {
  const handler = makeHandler({ pool: () => db.pool() });
  expect(await handler()).toEqual({
    status: 'ok',
    applied: ['001_init', '002_applied_events_uuid', '003_rejected_events', '004_analytics_tiers', '005_analytics_rollup'],
    version: 5,
  });
  expect(await handler()).toEqual({ status: 'ok', applied: [], version: 5 });
});

it('throws (failing the deploy) when a migration fails, and applies none of the batch', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mig-'));
  try {
    await writeFile(path.join(dir, '001_ok.sql'), 'CREATE TABLE mig_ok (x int);');
    await writeFile(path.join(dir, '002_broken.sql'), 'CREATE TABLE oops (;');
    const other = await openTestDb('postgres', 'migbad');
    try {
      await expect(makeHandler({ pool: () => other.pool(), dir })()).rejects.toThrow(/syntax error/);
      const { rows } = await other.pool().query(`SELECT to_regclass('mig_ok') AS t`);
      expect(rows[0].t).toBeNull();
    } finally {
      await other.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
