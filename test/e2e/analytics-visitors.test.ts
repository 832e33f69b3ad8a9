// Visitors and dimensions over HTTP through the whole local pipeline: redirects and beacons from
// different loopback source addresses (the client socket bound to 127.0.0.2, 127.0.0.3) and
// User-Agents → the edge's salted visitor hash, device and families → fauxqs → consumer → PGlite
// → the analytics route, its filters and its CSV answer.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const WINDOWS_CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const TOKEN = 'e2e-admin-token';

let stack: SpawnedStack;
let dataDir: string;
const startedAt = Date.now();

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pglite-e2e-visitors-'));
  // No answer cache: every poll reads the database.
  stack = await spawnStack({
    BATCH_WINDOW_S: '1',
    PGLITE_DIR: dataDir,
    ADMIN_TOKEN: TOKEN,
    DATABASE_URL: '',
    ANALYTICS_TTL_S: '0',
    // Counts here are exact: on a loaded machine the salt may take longer than the production bound.
    VISITOR_SALT_TIMEOUT_MS: '5000',
  });
});
afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request from a chosen loopback source address (what the edge hashes as the client IP). */
const request = (
  from: string,
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const url = new URL(urlPath, stack.url);
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        localAddress: from,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });

const click = (from: string, ua: string, linkId: string, extra: Record<string, string> = {}, query = '') =>
  request(from, 'GET', `/r/demo/${linkId}${query}`, { 'user-agent': ua, ...extra });

const view = (from: string, ua: string) =>
  request(
    from,
    'POST',
    '/api/events',
    { 'user-agent': ua, 'content-type': 'application/json' },
    JSON.stringify({ events: [{ type: 'profile.viewed', username: 'demo' }] }),
  );

interface Report {
  totals: { views: number; clicks: number; visitors: number };
  series: Array<{ t: string; views: number; clicks: number; visitors: number }>;
  links: Array<{ linkId: string; clicks: number; uniqueClicks: number }>;
  countries: Array<{ country: string; clicks: number }>;
  regions: Array<{ country: string; region: string; clicks: number }>;
  cities: Array<{ country: string; city: string; clicks: number }>;
  devices: Array<{ device: string; views: number; clicks: number }>;
  browsers: Array<{ browser: string; views: number; clicks: number }>;
  os: Array<{ os: string; views: number; clicks: number }>;
  utm: { source: Array<{ value: string; views: number; clicks: number }> };
}

const range = () => ({
  from: new Date(startedAt - 60_000).toISOString(),
  to: new Date(Date.now() + 60_000).toISOString(),
  interval: '1m',
});

const analytics = async (query: Record<string, string> = {}): Promise<Answer> => {
  const res = await fetch(`${stack.url}/api/profiles/demo/analytics?${new URLSearchParams({ ...range(), ...query })}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
};
const report = async (query: Record<string, string> = {}): Promise<Report> => {
  const a = await analytics(query);
  expect(a.status, a.body).toBe(200);
  return JSON.parse(a.body) as Report;
};

describe('visitors without cookies over HTTP', () => {
  let a: string;
  let b: string;

  it('counts one visitor per IP + User-Agent, unique clicks per link, and the edge dimensions', async () => {
    const links = JSON.parse((await request('127.0.0.1', 'GET', '/api/profiles/demo/links', {})).body) as {
      links: Array<{ id: string }>;
    };
    [a, b] = links.links.map((l) => l.id);
    // Visitor 1 (127.0.0.2, iPhone): two clicks on a (one from a campaign link) and a page view.
    expect((await click('127.0.0.2', IPHONE, a)).status).toBe(302);
    expect((await click('127.0.0.2', IPHONE, a, {}, '?utm_source=ig&utm_campaign=spring')).status).toBe(302);
    expect((await view('127.0.0.2', IPHONE)).status).toBe(202);
    // Visitor 2 (same IP, another User-Agent): one click on a.
    expect((await click('127.0.0.2', WINDOWS_CHROME, a)).status).toBe(302);
    // Visitor 3 (127.0.0.3, iPhone), from Berlin: one click on b.
    const berlin = {
      'cloudfront-viewer-country': 'DE',
      'cloudfront-viewer-country-region': 'BE',
      'cloudfront-viewer-city': 'Berlin',
    };
    expect((await click('127.0.0.3', IPHONE, b, berlin)).status).toBe(302);

    let last: Report | undefined;
    await expect
      .poll(
        async () => {
          last = await report();
          return last.totals;
        },
        { timeout: 45_000, interval: 500 },
      )
      .toEqual({ views: 1, clicks: 4, visitors: 3 });
    const r = last as Report;
    expect(r.links).toEqual(
      expect.arrayContaining([
        { linkId: a, clicks: 3, uniqueClicks: 2 },
        { linkId: b, clicks: 1, uniqueClicks: 1 },
      ]),
    );
    expect(r.links).toHaveLength(2);
    // The series' visitors sum to the total (each visitor counted where first seen that day).
    expect(r.series.reduce((n, p) => n + p.visitors, 0)).toBe(3);
    expect(r.devices).toEqual(
      expect.arrayContaining([
        { device: 'mobile', views: 1, clicks: 3 },
        { device: 'desktop', views: 0, clicks: 1 },
      ]),
    );
    expect(r.browsers).toEqual(
      expect.arrayContaining([
        { browser: 'Safari', views: 1, clicks: 3 },
        { browser: 'Chrome', views: 0, clicks: 1 },
      ]),
    );
    expect(r.os).toEqual(
      expect.arrayContaining([
        { os: 'iOS', views: 1, clicks: 3 },
        { os: 'Windows', views: 0, clicks: 1 },
      ]),
    );
    expect(r.regions).toEqual([{ country: 'DE', region: 'BE', clicks: 1 }]);
    expect(r.cities).toEqual([{ country: 'DE', city: 'Berlin', clicks: 1 }]);
    expect(r.utm.source).toEqual([{ value: 'ig', views: 0, clicks: 1 }]);
  });

  it('the country, device and link filters narrow every number', async () => {
    const de = await report({ country: 'de' });
    expect(de.totals).toEqual({ views: 0, clicks: 1, visitors: 1 });
    expect(de.links).toEqual([{ linkId: b, clicks: 1, uniqueClicks: 1 }]);
    const mobile = await report({ device: 'mobile' });
    expect(mobile.totals).toEqual({ views: 1, clicks: 3, visitors: 2 });
    const desktop = await report({ device: 'desktop' });
    expect(desktop.totals).toEqual({ views: 0, clicks: 1, visitors: 1 });
    expect(desktop.browsers).toEqual([{ browser: 'Chrome', views: 0, clicks: 1 }]);
    const onA = await report({ linkId: a });
    expect(onA.totals.clicks).toBe(3);
    expect(onA.links).toEqual([{ linkId: a, clicks: 3, uniqueClicks: 2 }]);
    for (const bad of [{ country: 'Germany' }, { device: 'phone' }, { format: 'xml' }] as Record<string, string>[]) {
      expect((await analytics(bad)).status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('answers the series as CSV with format=csv', async () => {
    const csv = await analytics({ format: 'csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="analytics-demo-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv"$/);
    const [head, ...rows] = csv.body.trimEnd().split('\r\n');
    expect(head).toBe('t,views,clicks,visitors');
    const sums = rows
      .map((row) => row.split(','))
      .reduce(
        (s, [, v, c, u]) => ({ views: s.views + Number(v), clicks: s.clicks + Number(c), visitors: s.visitors + Number(u) }),
        {
          views: 0,
          clicks: 0,
          visitors: 0,
        },
      );
    expect(sums).toEqual({ views: 1, clicks: 4, visitors: 3 });
  });
});
