// The local delivery queue is fauxqs, in memory: a retry waiting out its delay at shutdown is kept
// in the deliveries spool (next to QUEUE_SPOOL_FILE) and sent back at the next start.
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { DeliveryJob } from '../../lambdas/core/outgoing-webhooks.ts';
import { deliverySpoolFile } from '../../local/webhooks-out-parts.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

const TOKEN = 'e2e-webhooks-spool-token';
let receiver: Server | undefined;
const stacks: SpawnedStack[] = [];
let tmp: string | undefined;

afterAll(async () => {
  for (const s of stacks) await s.stop();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const waitFor = async <T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

it('keeps a delayed retry at shutdown and sends it back at the next start', async () => {
  let attempts = 0;
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      attempts++;
      res.writeHead(503).end();
    });
  });
  await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  tmp = await mkdtemp(path.join(tmpdir(), 'lc-wh-spool-'));
  const spool = path.join(tmp, 'queue-spool.json');
  const env = { ADMIN_TOKEN: TOKEN, QUEUE_SPOOL_FILE: spool, BATCH_WINDOW_S: '1', WEBHOOK_RETRY_S: '600', DATABASE_URL: '' };
  const first = await spawnStack(env, 120_000);
  stacks.push(first);
  const call = (method: string, p: string, body: unknown) =>
    fetch(`${first.url}${p}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const created = await call('POST', '/api/webhook-endpoints', { url, events: ['links.updated'], profiles: ['demo'] });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  expect((await call('PATCH', '/api/profiles/demo/links', { links: [{ id: 'lnk_shop', title: 'Spooled' }] })).status).toBe(200);
  await waitFor('the first attempt', () => (attempts >= 1 ? true : undefined));
  // The attempt is logged just before attempt 2 (600 s away) is enqueued: then a moment for that.
  await waitFor('the attempt in the log', async () => {
    const res = await fetch(`${first.url}/api/webhook-endpoints/${id}/deliveries`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const body = (await res.json()) as { deliveries?: unknown[] };
    return body.deliveries?.length ? true : undefined;
  });
  await new Promise((r) => setTimeout(r, 1_000));
  expect(await first.stop(), first.output()).toBe(0);
  expect(first.output()).toMatch(/webhooks-out: kept 1 delivery job\(s\)/);
  const kept = JSON.parse(await readFile(deliverySpoolFile(spool), 'utf8')) as { queue: { body: string }[] };
  const job = JSON.parse(kept.queue[0]?.body ?? '{}') as DeliveryJob;
  expect(job).toMatchObject({ type: 'links.updated', attempt: 2 });
  expect(job.notBefore).toBeGreaterThan(Date.now() + 500_000);

  const second = await spawnStack(env, 120_000);
  stacks.push(second);
  expect(second.output()).toMatch(/webhooks-out: re-sent 1 delivery job\(s\) kept at the last shutdown/);
  await expect(readFile(deliverySpoolFile(spool), 'utf8')).rejects.toThrow(/ENOENT/);
  expect(attempts).toBe(1); // the retry waits out its notBefore, across the restart
}, 300_000);
