// The dashboard with a scoped key, in Chromium against the local stack: the root key makes an
// `analytics:read` key for `demo`; the page, given that key, loads demo's numbers (counted from
// beacons sent here), and a key for another profile is refused with the page's own message.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, prepareBrowserTest, USER_AGENT } from '../helpers/browser.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

// A missing browser fails the suite (never skipped), as in browser.test.ts.
describe('the dashboard with a scoped API key', () => {
  let stack: SpawnedStack;
  let context: BrowserContext;
  let userDataDir: string;
  let pgliteDir: string;
  const requested: string[] = [];

  const makeKey = async (profiles: string[]): Promise<string> => {
    const res = await fetch(`${stack.url}/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scopes: ['analytics:read'], profiles }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { key: string }).key;
  };

  const views = async (): Promise<number | undefined> => {
    const res = await fetch(`${stack.url}/api/profiles/demo/analytics`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    return res.status === 200 ? ((await res.json()) as { totals: { views: number } }).totals.views : undefined;
  };

  const signIn = async (key: string): Promise<Page> => {
    const dash = await context.newPage();
    await dash.goto(`${stack.url}/dashboard/demo`);
    await dash.locator('#token').waitFor({ state: 'visible' });
    await dash.locator('#token').fill(key);
    await dash.getByRole('button', { name: 'Open dashboard' }).click();
    return dash;
  };

  beforeAll(async () => {
    await prepareBrowserTest();
    userDataDir = await mkdtemp(path.join(tmpdir(), 'linkcache-chromium-'));
    pgliteDir = await mkdtemp(path.join(tmpdir(), 'linkcache-pglite-'));
    // ANALYTICS_TTL_S=0: the poll below reads fresh totals, not a cached summary.
    stack = await spawnStack({ BATCH_WINDOW_S: '1', ANALYTICS_TTL_S: '0', PGLITE_DIR: pgliteDir }, 150_000);
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      userAgent: USER_AGENT,
      viewport: { width: 1280, height: 800 },
    });
    context.on('request', (r) => requested.push(r.url()));
    // Nothing leaves the machine (the demo avatars' hosts).
    await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    if (stack) expect(await stack.stop()).toBe(0);
    if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
  });

  it("loads demo's numbers with an analytics:read key for demo", async () => {
    // Three counted views of demo, so the page has a number of its own to show.
    const before = (await views()) ?? 0;
    const res = await fetch(`${stack.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT },
      body: JSON.stringify({ events: [1, 2, 3].map(() => ({ type: 'profile.viewed', username: 'demo' })) }),
    });
    expect(res.status).toBe(202);
    // The consumer's batches: seconds on an idle machine, far more on a loaded one.
    await expect.poll(views, { timeout: 90_000, interval: 500 }).toBe(before + 3);

    const key = await makeKey(['demo']);
    const dash = await signIn(key);
    await dash.locator('#dash').waitFor({ state: 'visible' });
    await dash.waitForFunction(() => /Updated/.test(document.getElementById('status')?.textContent ?? ''), undefined, {
      timeout: 30_000,
    });
    const shown = Number(((await dash.locator('#total-views').textContent()) ?? '').replace(/\D/g, '') || Number.NaN);
    await dash.screenshot({ path: path.join(ARTIFACTS, 'dashboard-scoped-key.png'), fullPage: true });
    expect(shown).toBe(before + 3);
    expect(await dash.locator('#auth').isHidden()).toBe(true);
    // The key went only into the Authorization header, never into a URL.
    expect(requested.filter((u) => u.includes(key))).toEqual([]);
    await dash.close();
  }, 180_000);

  it("refuses a key for another profile with the page's message (403)", async () => {
    const key = await makeKey(['alice']);
    const dash = await context.newPage();
    const answered = dash.waitForResponse((r) => r.url().includes('/api/profiles/demo/analytics'));
    await dash.goto(`${stack.url}/dashboard/demo`);
    await dash.locator('#token').fill(key);
    await dash.getByRole('button', { name: 'Open dashboard' }).click();
    expect((await answered).status()).toBe(403);
    await dash.locator('#auth-error').waitFor({ state: 'visible' });
    expect(await dash.locator('#auth-error').textContent()).toContain('not accepted');
    expect(await dash.locator('#dash').isHidden()).toBe(true);
    await dash.screenshot({ path: path.join(ARTIFACTS, 'dashboard-scoped-key-refused.png'), fullPage: true });
    await dash.close();
  });
});
