// Outgoing webhooks end to end against the spawned local stack: endpoints made with the root
// token, a change (an admin PATCH of demo's links) fanned out by the consumer and delivered by
// the deliver poller to receivers on loopback, signed with each endpoint's own secret.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let stack: SpawnedStack;
let receiver: Server;
let receiverUrl = '';
const received: Received[] = [];
/** Path → statuses to answer in turn (the last one repeats); 200 when unlisted. */
const answers = new Map<string, number[]>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body });
      const queue = answers.get(path) ?? [200];
      const status = queue.length > 1 ? (queue.shift() as number) : (queue[0] as number);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // A 1-second retry schedule of two retries: the whole schedule fits in a test.
  stack = await spawnStack({ BATCH_WINDOW_S: '1', WEBHOOK_RETRY_S: '1,1', DATABASE_URL: '' });
}, 90_000);

afterAll(async () => {
  const code = await stack?.stop();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  expect(code).toBe(0);
});

const api = async (method: string, path: string, body?: unknown, token = stack.adminToken as string) => {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
};

interface Created {
  id: string;
  secret: string;
  profiles: string[] | null;
  events: string[];
}

const create = async (path: string, extra: Record<string, unknown> = {}): Promise<Created> => {
  const res = await api('POST', '/api/webhook-endpoints', { url: `${receiverUrl}${path}`, events: ['links.updated'], ...extra });
  expect(res.status).toBe(201);
  return res.body as unknown as Created;
};

let titleN = 0;
const changeDemoLinks = async () => {
  const res = await api('PATCH', '/api/profiles/demo/links', { links: [{ id: 'lnk_shop', title: `Print shop ${++titleN}` }] });
  expect(res.status).toBe(200);
};

const waitFor = async <T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 30_000): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${stack.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const at = (path: string) => received.filter((r) => r.path === path);

describe('outgoing webhooks', () => {
  it('POST answers 201 with a whsec_ secret; GET lists it without the secret', async () => {
    const e = await create('/listed', { profiles: ['Demo'] });
    expect(e.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(e.profiles).toEqual(['demo']);
    const list = await api('GET', '/api/webhook-endpoints');
    expect(list.status).toBe(200);
    const listed = ((list.body?.endpoints ?? []) as Record<string, unknown>[]).find((x) => x.id === e.id);
    expect(listed).toMatchObject({ id: e.id, enabled: true, disabledReason: null, profiles: ['demo'] });
    expect(listed && 'secret' in listed).toBe(false);
    expect((await api('DELETE', `/api/webhook-endpoints/${e.id}`)).status).toBe(204);
    expect((await api('GET', `/api/webhook-endpoints/${e.id}/deliveries`)).status).toBe(404);
  });

  it('refuses forbidden URLs with 400, unknown ids with 404, and no key with 401', async () => {
    for (const url of [
      'https://10.0.0.1/hook',
      'http://example.com/hook',
      'https://169.254.169.254/latest',
      'ftp://127.0.0.1/x',
    ]) {
      const res = await api('POST', '/api/webhook-endpoints', { url, events: ['links.updated'] });
      expect(res.status, url).toBe(400);
    }
    expect((await api('POST', '/api/webhook-endpoints', { url: `${receiverUrl}/x`, events: ['nope'] })).status).toBe(400);
    expect((await api('DELETE', '/api/webhook-endpoints/ep_000000000000000000000000')).status).toBe(404);
    expect((await api('GET', '/api/webhook-endpoints', undefined, 'wrong')).status).toBe(401);
  });

  it('a change reaches a demo endpoint signed with its secret; one for another profile gets nothing', async () => {
    const mine = await create('/signed', { profiles: ['demo'] });
    const other = await create('/alice-only', { profiles: ['alice'] });
    await changeDemoLinks();
    const got = await waitFor(() => at('/signed')[0], 'a delivery to /signed');
    const payload = new Webhook(mine.secret).verify(got.body, {
      'webhook-id': got.headers['webhook-id'] as string,
      'webhook-timestamp': got.headers['webhook-timestamp'] as string,
      'webhook-signature': got.headers['webhook-signature'] as string,
    }) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(payload.type).toBe('links.updated');
    expect(payload.data).toMatchObject({ profileId: 'prof_demo', username: 'demo' });
    // Another endpoint's secret does not verify it.
    expect(() =>
      new Webhook(other.secret).verify(got.body, {
        'webhook-id': got.headers['webhook-id'] as string,
        'webhook-timestamp': got.headers['webhook-timestamp'] as string,
        'webhook-signature': got.headers['webhook-signature'] as string,
      }),
    ).toThrow();
    // The delivery to /signed and any to /alice-only would come from the same fan-out job batch.
    await waitFor(async () => {
      const d = await api('GET', `/api/webhook-endpoints/${mine.id}/deliveries`);
      return ((d.body?.deliveries ?? []) as unknown[]).length ? true : undefined;
    }, 'the delivery log entry');
    expect(at('/alice-only')).toHaveLength(0);
    const otherLog = await api('GET', `/api/webhook-endpoints/${other.id}/deliveries`);
    expect(otherLog.body?.deliveries).toEqual([]);
    await api('DELETE', `/api/webhook-endpoints/${mine.id}`);
    await api('DELETE', `/api/webhook-endpoints/${other.id}`);
  });

  it('a receiver answering 500 then 200 gets the same webhook-id twice; the log lists both, newest first', async () => {
    answers.set('/flaky', [500, 200]);
    const e = await create('/flaky');
    await changeDemoLinks();
    const [first, second] = await waitFor(() => (at('/flaky').length >= 2 ? at('/flaky') : undefined), 'two attempts');
    expect(first?.headers['webhook-id']).toBeTruthy();
    expect(second?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(second?.body).toBe(first?.body);
    const log = await waitFor(async () => {
      const d = await api('GET', `/api/webhook-endpoints/${e.id}/deliveries`);
      const list = d.body?.deliveries as { attempt: number; responseCode: number | null; webhookId: string; at: string }[];
      return list.length >= 2 ? list : undefined;
    }, 'two log entries');
    expect(log.map((d) => [d.attempt, d.responseCode])).toEqual([
      [2, 200],
      [1, 500],
    ]);
    expect(log[0]?.webhookId).toBe(first?.headers['webhook-id']);
    expect(Date.parse(log[0]?.at as string)).toBeGreaterThanOrEqual(Date.parse(log[1]?.at as string));
    const listed = (await api('GET', '/api/webhook-endpoints')).body?.endpoints as { id: string; enabled: boolean }[];
    expect(listed.find((x) => x.id === e.id)?.enabled).toBe(true);
    await api('DELETE', `/api/webhook-endpoints/${e.id}`);
  });

  it('410 disables the endpoint at once, without a retry', async () => {
    answers.set('/gone', [410]);
    const e = await create('/gone');
    await changeDemoLinks();
    const view = await waitFor(async () => {
      const listed = (await api('GET', '/api/webhook-endpoints')).body?.endpoints as {
        id: string;
        enabled: boolean;
        disabledReason: string | null;
      }[];
      const x = listed.find((l) => l.id === e.id);
      return x && !x.enabled ? x : undefined;
    }, 'the endpoint disabled');
    expect(view.disabledReason).toMatch(/410/);
    // Past the 1-second schedule: a retry would have come by now.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(at('/gone')).toHaveLength(1);
    await api('DELETE', `/api/webhook-endpoints/${e.id}`);
  });
});
