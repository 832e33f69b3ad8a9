// The profile read path over HTTP against the real local stack (`node bin/start.ts`).
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProfile } from '../helpers/fakes.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';
import { freePort, RedisServer } from '../helpers/redis-server.ts';

const uname = (p: string) => `${p}_${randomBytes(4).toString('hex')}`;

const origin = (stack: SpawnedStack) => {
  const base = stack.originUrl as string;
  return {
    put: (username: string, bio = 'hello') =>
      fetch(`${base}/__profiles/${username}`, { method: 'PUT', body: JSON.stringify(makeProfile(username, { bio })) }),
    mode: (mode: string, extra: Record<string, unknown> = {}) =>
      fetch(`${base}/__control`, { method: 'POST', body: JSON.stringify({ mode, ...extra }) }),
    calls: async (username: string): Promise<number> =>
      ((await (await fetch(`${base}/__stats`)).json()).byUsername[username] ?? 0) as number,
  };
};

describe('read path over HTTP (shared Redis)', () => {
  let stack: SpawnedStack;
  beforeAll(async () => {
    stack = await spawnStack({ PROFILE_TTL_S: '2', LINKS_TTL_S: '2', L1_TTL_S: '1' });
  });
  afterAll(async () => {
    expect(await stack.stop()).toBe(0); // drains and exits 0 on SIGTERM
  });

  it('prints a ready line with the base URL and serves the demo profile', async () => {
    expect(stack.output()).toMatch(/ready.*http:\/\/127\.0\.0\.1:\d+/);
    const res = await fetch(`${stack.url}/api/profiles/demo`);
    expect(res.status).toBe(200);
    expect((await res.json()).username).toBe('demo');
  });

  it('misses once, then hits; the origin is called once', async () => {
    const u = uname('hit');
    await origin(stack).put(u);
    const first = await fetch(`${stack.url}/api/profiles/${u}`);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const second = await fetch(`${stack.url}/api/profiles/${u}`);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(await origin(stack).calls(u)).toBe(1);
  });

  it('answers 304 to If-None-Match with the current ETag', async () => {
    const u = uname('etag');
    await origin(stack).put(u);
    const first = await fetch(`${stack.url}/api/profiles/${u}`);
    const etag = first.headers.get('etag') as string;
    const again = await fetch(`${stack.url}/api/profiles/${u}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('answers 404 for an unknown profile and caches that answer', async () => {
    const u = uname('ghost');
    const a = await fetch(`${stack.url}/api/profiles/${u}`);
    const b = await fetch(`${stack.url}/api/profiles/${u}`);
    expect([a.status, b.status]).toEqual([404, 404]);
    expect((await b.json()).error.code).toBe('PROFILE_NOT_FOUND');
    expect(await origin(stack).calls(u)).toBe(1);
  });

  /** One raw HTTP/1.1 request, as curl --path-as-is sends it; resolves with the status line. */
  const rawStatus = (target: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const { port, hostname } = new URL(stack.url);
      const socket = connect(Number(port), hostname, () => {
        socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (d) => {
        data += d.toString('latin1');
      });
      socket.on('end', () => resolve(data.split('\r\n')[0]));
      socket.on('error', reject);
    });

  it('answers request targets that are not plain paths (//, ///, //a:b, //%zz, /\\) and keeps serving', async () => {
    for (const target of ['//', '///', '//a:b', '//%zz', '/\\']) {
      expect({ target, status: await rawStatus(target) }).toMatchObject({
        target,
        status: expect.stringMatching(/^HTTP\/1\.1 4\d\d /),
      });
    }
    expect(stack.child.exitCode).toBeNull();
    expect((await fetch(`${stack.url}/api/profiles/demo`)).status).toBe(200);
  });

  it('answers 400 for a bad username', async () => {
    const res = await fetch(`${stack.url}/api/profiles/no!pe`);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('INVALID_USERNAME');
  });

  it('serves the links route', async () => {
    const u = uname('links');
    await origin(stack).put(u);
    const res = await fetch(`${stack.url}/api/profiles/${u}/links`);
    expect((await res.json()).links.map((l: { id: string }) => l.id)).toEqual(['a', 'b']);
  });

  it('serves STALE at once when the origin fails after the TTL, and 503 when nothing is cached', async () => {
    const u = uname('stale');
    await origin(stack).put(u);
    expect((await fetch(`${stack.url}/api/profiles/${u}`)).status).toBe(200);
    await origin(stack).mode('500');
    try {
      await new Promise((r) => setTimeout(r, 2_200));
      const started = Date.now();
      const stale = await fetch(`${stack.url}/api/profiles/${u}`);
      const took = Date.now() - started;
      expect(stale.status).toBe(200);
      expect(stale.headers.get('x-cache')).toBe('STALE');
      // The origin's retries take up to the 5 s budget; the stale answer must not wait for them.
      expect(took).toBeLessThan(2_000);

      const cold = await fetch(`${stack.url}/api/profiles/${uname('cold')}`);
      expect(cold.status).toBe(503);
      expect(Number(cold.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await cold.json()).error.code).toBe('ORIGIN_UNAVAILABLE');
    } finally {
      await origin(stack).mode('none');
    }
  });
});

describe('Redis killed mid-run', () => {
  let redis: RedisServer;
  let stack: SpawnedStack;
  beforeAll(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
    stack = await spawnStack({ REDIS_URL: redis.url, L1_TTL_S: '1' });
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.kill();
  });

  const timed = async (url: string) => {
    const started = Date.now();
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return { res, ms: Date.now() - started };
  };

  it('keeps answering from L1 and the origin without hanging, reports degraded, and recovers', async () => {
    const warm = uname('warm');
    await origin(stack).put(warm);
    expect((await fetch(`${stack.url}/api/profiles/${warm}`)).status).toBe(200);
    expect((await (await fetch(`${stack.url}/health`)).json()).status).toBe('ok');

    await redis.kill();

    const cached = await timed(`${stack.url}/api/profiles/${warm}`);
    expect(cached.res.status).toBe(200);
    expect(['HIT', 'STALE']).toContain(cached.res.headers.get('x-cache'));

    const fresh = uname('fresh');
    await origin(stack).put(fresh);
    const uncached = await timed(`${stack.url}/api/profiles/${fresh}`);
    expect(uncached.res.status).toBe(200);
    expect(uncached.res.headers.get('x-cache')).toBe('MISS');
    // Fail-fast Redis: no 10 s connect timeouts or queued commands on the request path.
    expect(uncached.ms).toBeLessThan(1_500);

    const health = await (await fetch(`${stack.url}/health`)).json();
    expect(health.status).toBe('degraded');
    expect(health.dependencies.redis.status).toBe('down');

    await redis.start();
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      await new Promise((r) => setTimeout(r, 200));
      recovered = (await (await fetch(`${stack.url}/health`)).json()).status === 'ok';
    }
    expect(recovered).toBe(true);

    // L2 is in use again: a second read past the L1 TTL comes from Redis, not the origin.
    const again = uname('again');
    await origin(stack).put(again);
    await fetch(`${stack.url}/api/profiles/${again}`);
    await new Promise((r) => setTimeout(r, 1_100));
    const viaL2 = await fetch(`${stack.url}/api/profiles/${again}`);
    expect(viaL2.headers.get('x-cache')).toBe('HIT');
    expect(await origin(stack).calls(again)).toBe(1);
  });
});
