// Clicks and views over HTTP through the whole local pipeline: /r redirects and beacon events →
// fauxqs → the SQS poller (1-second window) → the consumer → PGlite → the analytics route.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const TOKEN = 'e2e-admin-token';

let stack: SpawnedStack;
let dataDir: string;
const startedAt = Date.now();

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pglite-e2e-'));
  stack = await spawnStack({ BATCH_WINDOW_S: '1', PGLITE_DIR: dataDir, ADMIN_TOKEN: TOKEN, DATABASE_URL: '' });
});
afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const get = (p: string, headers: Record<string, string> = {}, method = 'GET') =>
  fetch(`${stack.url}${p}`, { method, headers, redirect: 'manual' });

const analytics = async (query: Record<string, string>) => {
  const res = await get(`/api/profiles/demo/analytics?${new URLSearchParams(query)}`, { authorization: `Bearer ${TOKEN}` });
  return { res, body: res.status === 200 ? await res.json() : undefined };
};

describe('analytics pipeline over HTTP', () => {
  it('counts exactly the human clicks and views, and the analytics API returns them', async () => {
    const links = ((await (await get('/api/profiles/demo/links')).json()) as { links: Array<{ id: string; url: string }> }).links;
    const [a, b] = links;
    const timings: number[] = [];
    // 7 counted redirects: 4 on a (from Instagram, DE), 3 on b (direct, US).
    for (let i = 0; i < 7; i++) {
      const link = i < 4 ? a : b;
      const headers: Record<string, string> = { 'user-agent': CHROME, 'cloudfront-viewer-country': i < 4 ? 'DE' : 'US' };
      if (i < 4) headers.referer = 'https://www.instagram.com/some/post';
      const t0 = performance.now();
      const res = await get(`/r/demo/${link.id}`, headers);
      timings.push(performance.now() - t0);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(link.url);
    }
    // Not counted: bots and HEAD requests (still redirected).
    expect((await get(`/r/demo/${a.id}`, { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' })).status).toBe(302);
    expect((await get(`/r/demo/${a.id}`, { 'user-agent': 'facebookexternalhit/1.1' })).status).toBe(302);
    expect((await get(`/r/demo/${a.id}`, { 'user-agent': CHROME }, 'HEAD')).status).toBe(302);
    // 404s: unknown link.
    expect((await get('/r/demo/no-such-link', { 'user-agent': CHROME })).status).toBe(404);

    // Beacons: 5 views and 2 clicks on b counted; one bot batch and one invalid batch not.
    const beacon = (events: unknown[], ua = CHROME) =>
      fetch(`${stack.url}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': ua },
        body: JSON.stringify({ events }),
      });
    const views = Array.from({ length: 5 }, () => ({ type: 'profile.viewed', username: 'demo', referrer: 'https://t.co/abc' }));
    expect(
      (
        await beacon([
          ...views,
          { type: 'link.clicked', username: 'demo', linkId: b.id },
          { type: 'link.clicked', username: 'demo', linkId: b.id },
        ])
      ).status,
    ).toBe(202);
    expect((await beacon(views, 'Googlebot/2.1')).status).toBe(202);
    expect((await beacon([{ type: 'link.clicked', username: 'demo' }])).status).toBe(400);

    const from = new Date(startedAt - 60_000).toISOString();
    let last: unknown;
    const deadline = Date.now() + 30_000;
    let body: Record<string, unknown> | undefined;
    // Each poll asks for a slightly different range, so a cached answer from before the batch
    // landed is never what is read back.
    for (let i = 0; Date.now() < deadline; i++) {
      const r = await analytics({ from, to: new Date(Date.now() + 60_000 + i * 10_000).toISOString(), interval: '1m' });
      expect(r.res.status).toBe(200);
      last = r.body;
      if (
        (r.body as { totals: { clicks: number; views: number } }).totals.clicks >= 9 &&
        (r.body as { totals: { views: number } }).totals.views >= 5
      ) {
        body = r.body as Record<string, unknown>;
        break;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(body, `analytics never reached the expected counts; last: ${JSON.stringify(last)}`).toBeDefined();
    const report = body as {
      totals: { views: number; clicks: number; visitors: number };
      series: Array<{ t: string; views: number; clicks: number; visitors: number }>;
      links: Array<{ linkId: string; clicks: number; uniqueClicks: number }>;
      referrers: Array<{ referrer: string; clicks: number }>;
      countries: Array<{ country: string; clicks: number }>;
    };
    expect(report.totals).toMatchObject({ views: 5, clicks: 9 });
    expect(report.series.reduce((n, p) => n + p.clicks, 0)).toBe(9);
    expect(report.series.reduce((n, p) => n + p.views, 0)).toBe(5);
    expect(report.series.reduce((n, p) => n + p.visitors, 0)).toBe(report.totals.visitors);
    expect(report.links.map(({ linkId, clicks }) => ({ linkId, clicks }))).toEqual([
      { linkId: b.id, clicks: 5 },
      { linkId: a.id, clicks: 4 },
    ]);
    expect(report.referrers).toEqual([
      { referrer: '(direct)', clicks: 5 },
      { referrer: 'www.instagram.com', clicks: 4 },
    ]);
    expect(report.countries).toEqual(
      [
        { country: 'US', clicks: 3 },
        { country: 'DE', clicks: 4 },
        // beacon clicks carry no CloudFront header here
        { country: '(unknown)', clicks: 2 },
      ].sort((x, y) => y.clicks - x.clicks || (x.country < y.country ? -1 : 1)),
    );

    // Nothing more arrives later (no double counting from redelivery); and the same query is
    // now a cache hit.
    await new Promise((res) => setTimeout(res, 2_500));
    const query = { from, to: new Date(Date.now() + 3_600_000).toISOString(), interval: '1h' };
    const fresh = await analytics(query);
    expect((fresh.body as { totals: unknown }).totals).toEqual(report.totals);
    const cached = await analytics(query);
    expect(cached.body).toEqual(fresh.body);
    // Cached in Redis when the stack has one (REDIS_URL unreachable → in-process tier only).
    if (!/unreachable/.test(stack.output())) expect(cached.res.headers.get('x-cache')).toBe('HIT');
    console.log(`redirect latency over HTTP (ms): ${timings.map((t) => t.toFixed(1)).join(', ')}`);
  });

  it('the analytics route needs the admin token and validates its query', async () => {
    expect((await get('/api/profiles/demo/analytics')).status).toBe(401);
    expect((await get('/api/profiles/demo/analytics', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await analytics({ interval: '5m' })).res.status).toBe(400);
    expect((await analytics({ from: '2020-01-01T00:00:00Z', to: '2020-06-01T00:00:00Z', interval: '1d' })).res.status).toBe(400);
    const unknown = await get('/api/profiles/nobody_here/analytics', { authorization: `Bearer ${TOKEN}` });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('PROFILE_NOT_FOUND');
  });

  it('on SIGTERM the consumer drains pending events and the stack exits 0', async () => {
    const res = await fetch(`${stack.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': CHROME },
      body: JSON.stringify({ events: [{ type: 'profile.viewed', username: 'demo' }] }),
    });
    expect(res.status).toBe(202);
    const code = await stack.stop();
    expect(code).toBe(0);
    expect(stack.output()).toMatch(/consumer: drained \(\d+ batch\(es\), \d+ event\(s\) consumed, 0 failed\)/);
  });
});
