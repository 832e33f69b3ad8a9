// The Linktree public-page origin against a local node:http server that serves the fixtures of
// test/fixtures/linktree and the cases only a server can give: 404, 429 with Retry-After, 403,
// a flaky 500, redirects (same host followed, other host refused, too many refused), oversized
// bodies (declared and streamed) and a page that never answers.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LinktreePageOrigin, MAX_PAGE_BYTES } from '../../lambdas/adapters/linktree-page-origin.ts';
import { MetricNames } from '../../lambdas/contracts/metrics.ts';
import type { Telemetry } from '../../lambdas/core/ports.ts';
import type { OriginConfig } from '../../lambdas/core/settings.ts';
import { LocalTokenBucket } from '../../lambdas/core/token-bucket.ts';
import { NotSupportedError, OriginShapeError, OriginUnavailableError } from '../../lambdas/shared/errors.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/linktree/${name}.html`, import.meta.url), 'utf8');
const PAGES: Record<string, string> = {
  janedoe: fixture('modern'),
  oldtimer: fixture('old-account-links'),
  withheaders: fixture('headers'),
  youtuber: fixture('youtube'),
  jslink: fixture('javascript-link'),
  challenge: fixture('no-next-data'),
  ghost: fixture('no-account'),
};

const UA = 'linkcache-test/1.0 (+https://example.test; ops@example.test)';

let server: http.Server;
let base: string;
let port: number;
const hits = new Map<string, number>();
const seen: { path: string; ua?: string; accept?: string }[] = [];
let streamAborted = false;

const hit = (path: string) => {
  hits.set(path, (hits.get(path) ?? 0) + 1);
  return hits.get(path) ?? 0;
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
    seen.push({ path, ua: req.headers['user-agent'], accept: req.headers.accept });
    const n = hit(path);
    const html = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(body);
    };
    if (PAGES[path]) return html(200, PAGES[path]);
    switch (path) {
      case 'busy':
        return html(429, 'slow down', { 'retry-after': '2' });
      case 'forbidden':
        return html(403, 'blocked');
      case 'flaky':
        return n === 1 ? html(500, 'oops') : html(200, PAGES.janedoe);
      case 'moved':
        return html(301, '', { location: '/janedoe' });
      case 'hop1':
        return html(302, '', { location: `${base}/hop2` });
      case 'hop2':
        return html(307, '', { location: 'hop3' });
      case 'hop3':
        return html(308, '', { location: '/janedoe' });
      case 'hop0':
        return html(301, '', { location: '/hop1' });
      case 'garbled':
        return html(302, '', { location: 'http://[::1' });
      case 'away':
        return html(302, '', { location: `http://localhost:${port}/janedoe` });
      case 'huge-declared':
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(MAX_PAGE_BYTES + 1) });
        res.write('<html>');
        return; // never finishes: the client must not wait for it
      case 'huge-streamed': {
        res.writeHead(200, { 'content-type': 'text/html' });
        const chunk = 'x'.repeat(64 * 1024);
        let sent = 0;
        res.on('close', () => {
          if (!res.writableFinished) streamAborted = true;
        });
        const pump = () => {
          while (sent < MAX_PAGE_BYTES * 2) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      case 'hang':
        return; // never answers
      default:
        return html(404, 'Page not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const config = (over: Partial<OriginConfig> = {}): OriginConfig => ({
  url: 'http://unused.invalid',
  timeoutMs: 1_000,
  retryBudgetMs: 1_500,
  maxAttempts: 3,
  backoffBaseMs: 10,
  backoffCapMs: 50,
  ratePerMin: 1_000,
  ...over,
});

const recording = () => {
  const counts = new Map<string, number>();
  const telemetry: Telemetry = { count: (m, v = 1) => counts.set(m, (counts.get(m) ?? 0) + v), warn: () => {} };
  return { telemetry, counts };
};

const make = (over: { config?: Partial<OriginConfig>; ratePerMin?: number } = {}) => {
  const rec = recording();
  const origin = new LinktreePageOrigin({
    config: config(over.config),
    baseUrl: base,
    userAgent: UA,
    limiter: new LocalTokenBucket(over.ratePerMin ?? 1_000),
    telemetry: rec.telemetry,
  });
  return { origin, ...rec };
};

beforeEach(() => {
  hits.clear();
  seen.length = 0;
  streamAborted = false;
});

describe('LinktreePageOrigin', () => {
  it('reads a modern page: GET /{username} with Accept text/html and the configured User-Agent', async () => {
    const { origin } = make();
    const p = await origin.fetchProfile('janedoe');
    expect(seen).toEqual([{ path: 'janedoe', ua: UA, accept: 'text/html' }]);
    expect(p).toEqual({
      id: '2f9c7a10-5b1e-4c3d-9e8f-0a1b2c3d4e5f',
      username: 'janedoe',
      displayName: 'Jane Doe',
      bio: 'Designer & photographer. <b>not html</b>',
      avatarUrl: 'https://ugc.production.linktr.ee/avatar.jpg',
      links: [
        { id: '301', title: 'My website', url: 'https://janedoe.example.com', position: 0, enabled: true, type: 'link' },
        { id: '302', title: 'Shop', url: 'https://shop.example.com/jane?ref=lt', position: 1, enabled: true, type: 'link' },
        { id: '303', title: 'Newsletter', url: 'https://newsletter.example.com/', position: 2, enabled: true, type: 'link' },
      ],
      theme: expect.objectContaining({ key: 'custom', colors: expect.objectContaining({ body: '#f3f3f1' }) }),
      lastModified: new Date(1717171717171).toISOString(),
      socials: [
        { type: 'INSTAGRAM', url: 'https://www.instagram.com/jane.doe' },
        { type: 'EMAIL_ADDRESS', url: 'mailto:jane@example.com' },
      ],
    });
    expect(origin.health()).toEqual({ status: 'up' });
  });

  it('reads an old page (account.links only, numeric ids, attributes in another order)', async () => {
    const p = await make().origin.fetchProfile('oldtimer');
    expect(p?.id).toBe('8765432');
    expect(p?.displayName).toBe('Old Timer');
    expect(p?.bio).toBe('');
    expect(p?.avatarUrl).toBe('');
    expect(p?.links.map((l) => [l.id, l.url])).toEqual([
      ['11', 'https://blog.example.org'],
      ['12', 'http://podcast.example.org/feed'],
    ]);
    expect(p?.theme).toEqual({ key: 'basics' });
  });

  it('keeps headers (single-quoted attributes), YouTube links, and drops javascript: links and avatars', async () => {
    const { origin } = make();
    const h = await origin.fetchProfile('withheaders');
    expect(h?.links.map((l) => [l.id, l.type, l.url])).toEqual([
      ['401', 'header', ''],
      ['402', 'link', 'https://music.example.com/album'],
      ['403', 'header', ''],
      ['404', 'link', 'https://tour.example.com'],
    ]);
    const yt = await origin.fetchProfile('youtuber');
    expect(yt?.links[0]).toMatchObject({ id: '501', type: 'link', url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ' });
    expect(yt?.bio).toBe('Account description');
    const js = await origin.fetchProfile('jslink');
    expect(js?.links.map((l) => l.id)).toEqual(['603']);
    expect(js?.avatarUrl).toBe('');
  });

  it('404 is "no such profile", without a retry', async () => {
    const { origin } = make();
    expect(await origin.fetchProfile('nobody')).toBeUndefined();
    expect(hits.get('nobody')).toBe(1);
    expect(await origin.fetchProfile('..')).toBeUndefined();
  });

  it('a page without __NEXT_DATA__, or without an account, is a shape change: OriginShapeError, its metric, health down', async () => {
    const { origin, counts } = make();
    await expect(origin.fetchProfile('challenge')).rejects.toBeInstanceOf(OriginShapeError);
    await expect(origin.fetchProfile('ghost')).rejects.toBeInstanceOf(OriginShapeError);
    expect(counts.get(MetricNames.OriginShapeChanged)).toBe(2);
    // No retry: another attempt would read the same page.
    expect(hits.get('challenge')).toBe(1);
    expect(origin.health().status).toBe('down');
    const err = await origin.fetchProfile('ghost').catch((e) => e);
    expect(err).toBeInstanceOf(OriginUnavailableError);
    expect(err.status).toBe(503);
  });

  it('429 with Retry-After is throttling: the call gives up, and every call pauses until then', async () => {
    const { origin, counts } = make();
    const err = await origin.fetchProfile('busy').catch((e) => e);
    expect(err).toBeInstanceOf(OriginUnavailableError);
    expect(err.retryAfterS).toBeGreaterThanOrEqual(1);
    expect(counts.get(MetricNames.OriginThrottled)).toBeGreaterThanOrEqual(1);
    const calls = hits.get('busy');
    // Paused: the next call, even for another profile, sends nothing.
    await expect(origin.fetchProfile('janedoe')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(hits.get('janedoe')).toBeUndefined();
    expect(hits.get('busy')).toBe(calls);
  });

  it('403 is throttling too, retried within the budget', async () => {
    const { origin, counts } = make();
    await expect(origin.fetchProfile('forbidden')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(hits.get('forbidden')).toBeGreaterThan(1);
    expect(counts.get(MetricNames.OriginThrottled)).toBe(hits.get('forbidden'));
  });

  it('a 5xx is retried', async () => {
    const p = await make().origin.fetchProfile('flaky');
    expect(p?.username).toBe('janedoe');
    expect(hits.get('flaky')).toBe(2);
  });

  it('follows up to 3 redirects on the same host', async () => {
    const { origin } = make();
    expect((await origin.fetchProfile('moved'))?.username).toBe('janedoe');
    expect((await origin.fetchProfile('hop1'))?.username).toBe('janedoe');
    expect(seen.map((s) => s.path)).toEqual(['moved', 'janedoe', 'hop1', 'hop2', 'hop3', 'janedoe']);
  });

  it('refuses a fourth redirect, and a redirect to another host, without retrying', async () => {
    const { origin } = make();
    await expect(origin.fetchProfile('hop0')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(hits.get('hop0')).toBe(1);
    expect(hits.get('janedoe')).toBeUndefined();
    await expect(origin.fetchProfile('away')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(hits.get('away')).toBe(1);
    expect(hits.get('janedoe')).toBeUndefined();
    expect(origin.health()).toEqual({ status: 'down', detail: expect.stringContaining('another host') });
    await expect(origin.fetchProfile('garbled')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(hits.get('garbled')).toBe(1);
  });

  it('refuses a body over 5 MiB, declared or streamed, and stops reading it', async () => {
    const { origin } = make({ config: { timeoutMs: 5_000, retryBudgetMs: 6_000 } });
    await expect(origin.fetchProfile('huge-declared')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(hits.get('huge-declared')).toBe(1);
    await expect(origin.fetchProfile('huge-streamed')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(hits.get('huge-streamed')).toBe(1);
    await expect.poll(() => streamAborted).toBe(true);
  });

  it('a page that never answers times out per attempt and the call ends within its budget', async () => {
    const { origin, counts } = make({ config: { timeoutMs: 100, retryBudgetMs: 400, maxAttempts: 10 } });
    await expect(origin.fetchProfile('hang')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(hits.get('hang')).toBeGreaterThan(1);
    expect(counts.get(MetricNames.OriginErrors)).toBe(hits.get('hang'));
  });

  it('every attempt takes a token: with the budget spent, nothing is sent', async () => {
    const { origin } = make({ ratePerMin: 1 });
    await origin.fetchProfile('janedoe');
    await expect(origin.fetchProfile('janedoe')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(hits.get('janedoe')).toBe(1);
  });

  it('writes are not supported: 501 NOT_SUPPORTED', async () => {
    const err = await make()
      .origin.updateLinks('x', [{ id: '1', title: 't' }])
      .catch((e) => e);
    expect(err).toBeInstanceOf(NotSupportedError);
    expect(err.status).toBe(501);
    expect(err.code).toBe('NOT_SUPPORTED');
    expect(hits.size).toBe(0);
  });
});
