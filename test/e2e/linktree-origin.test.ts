// ORIGIN=linktree end to end: the real local stack (`npm start`) reading the Linktree-shaped
// public pages of a demo origin this test owns (LINKTREE_BASE_URL = the demo's URL), offline.
// The API and the page serve what the page holds; an edit at the demo shows after an
// invalidation; writes through the API are 501; an origin failure with nothing cached is 503.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoOrigin } from '../../local/demo-origin.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';
import { TEST_KEY_PREFIX } from '../helpers/redis.ts';

const API_KEY = 'linktree-e2e-key';
let demo: DemoOrigin;
let demoUrl: string;
let stack: SpawnedStack;

beforeAll(async () => {
  demo = new DemoOrigin(API_KEY);
  demoUrl = await demo.listen(0);
  stack = await spawnStack({
    ORIGIN: 'linktree',
    LINKTREE_BASE_URL: demoUrl,
    ORIGIN_URL: demoUrl,
    ORIGIN_API_KEY: API_KEY,
    // A key space of its own: other files' stacks cache `demo` from the HTTP origin.
    REDIS_KEY_PREFIX: `${TEST_KEY_PREFIX}lt${randomBytes(3).toString('hex')}:`,
    WATCH_INTERVAL_S: '0',
    L1_TTL_S: '1',
  });
});

afterAll(async () => {
  expect(await stack?.stop()).toBe(0);
  await demo?.close();
});

const admin = () => ({ authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' });

describe('ORIGIN=linktree against the demo pages', () => {
  it('serves /api/profiles/demo mapped from the page, reading the page once', async () => {
    demo.calls.clear();
    const res = await fetch(`${stack.url}/api/profiles/demo`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cache')).toBe('MISS');
    const body = await res.json();
    expect(body).toMatchObject({ id: 'prof_demo', username: 'demo', displayName: 'Demo Creator', socials: [] });
    expect(body.links.map((l: { id: string }) => l.id)).toEqual(['lnk_portfolio', 'lnk_shop', 'lnk_newsletter']);
    expect(body.links.every((l: { type: string }) => l.type === 'link')).toBe(true);
    const again = await fetch(`${stack.url}/api/profiles/demo`);
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(demo.calls.get('demo')).toBe(1);
  });

  it('serves the page of the profile', async () => {
    const res = await fetch(`${stack.url}/demo`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Demo Creator');
    expect(html).toContain('/r/demo/lnk_portfolio');
    expect(html).not.toContain('lnk_old');
  });

  it('an unknown profile is 404', async () => {
    const res = await fetch(`${stack.url}/api/profiles/nobody_here`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('PROFILE_NOT_FOUND');
  });

  it('an edit at the demo shows once the cache is invalidated', async () => {
    const edit = await fetch(`${demoUrl}/v1/profiles/prof_demo/links`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ links: [{ id: 'lnk_shop', title: 'Print shop (sale)' }] }),
    });
    expect(edit.status).toBe(200);
    const inv = await fetch(`${stack.url}/api/cache/invalidate/demo`, { method: 'POST', headers: admin() });
    expect(inv.status).toBe(200);
    const body = await (await fetch(`${stack.url}/api/profiles/demo`)).json();
    expect(body.links.find((l: { id: string }) => l.id === 'lnk_shop').title).toBe('Print shop (sale)');
  });

  it('a write through the API is 501 NOT_SUPPORTED', async () => {
    const res = await fetch(`${stack.url}/api/profiles/demo/links`, {
      method: 'PATCH',
      headers: admin(),
      body: JSON.stringify({ links: [{ id: 'lnk_shop', title: 'x' }] }),
    });
    expect(res.status).toBe(501);
    expect((await res.json()).error.code).toBe('NOT_SUPPORTED');
  });

  it('the origin failing with nothing cached is 503 ORIGIN_UNAVAILABLE with Retry-After', async () => {
    demo.control = { ...demo.control, mode: '500' };
    try {
      const res = await fetch(`${stack.url}/api/profiles/alice`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await res.json()).error.code).toBe('ORIGIN_UNAVAILABLE');
    } finally {
      demo.control = { ...demo.control, mode: 'none' };
    }
  });
});
