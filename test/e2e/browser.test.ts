import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsQuery, INTERVALS, intervalAllowed, RANGES } from '../../web/chart-data.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, USER_AGENT, prepareBrowserTest } from '../helpers/browser.ts';

const DESTINATION = '<!doctype html><title>Example destination</title><h1>Example destination</h1>';
const AVATAR =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="#0ea5e9"/><circle cx="32" cy="26" r="12" fill="#f8fafc"/><rect x="14" y="42" width="36" height="18" rx="9" fill="#f8fafc"/></svg>';

interface Totals {
  views: number;
  clicks: number;
}

// A missing browser fails the suite (never skipped): .ci/run installs Debian's Chromium.
describe('pages in a browser', () => {
  let stack: SpawnedStack;
  let context: BrowserContext;
  let userDataDir: string;
  let pgliteDir: string;
  /** Every URL the browser asked for, to prove the admin token never went into one. */
  const requested: string[] = [];
  const cspViolations: string[] = [];
  /** Beacon events the events route accepted (202), by username, across every page. */
  const acceptedViews = new Map<string, number>();
  let baseline: Totals = { views: 0, clicks: 0 };

  const open = async (urlPath: string): Promise<Page> => {
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (/Content.Security.Policy|Refused to/i.test(msg.text())) cspViolations.push(`${urlPath}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => cspViolations.push(`${urlPath}: page error ${err.message}`));
    await page.goto(`${stack.url}${urlPath}`);
    return page;
  };

  const analytics = async (username: string): Promise<Totals | undefined> => {
    const res = await fetch(`${stack.url}/api/profiles/${username}/analytics`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    if (res.status !== 200) return undefined;
    return ((await res.json()) as { totals: Totals }).totals;
  };

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    await prepareBrowserTest();
    userDataDir = await mkdtemp(path.join(tmpdir(), 'linkcache-chromium-'));
    pgliteDir = await mkdtemp(path.join(tmpdir(), 'linkcache-pglite-'));
    // Its own embedded database (when DATABASE_URL is unset): .data/pglite is one process's at a time.
    stack = await spawnStack({ BATCH_WINDOW_S: '1', PGLITE_DIR: pgliteDir });
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      userAgent: USER_AGENT,
      viewport: { width: 1280, height: 800 },
    });
    context.on('request', (r) => requested.push(r.url()));
    context.on('requestfinished', async (r) => {
      if (r.method() !== 'POST' || !r.url().endsWith('/api/events') || (await r.response())?.status() !== 202) return;
      for (const e of (JSON.parse(r.postData() ?? '{}') as { events?: { username: string }[] }).events ?? []) {
        acceptedViews.set(e.username, (acceptedViews.get(e.username) ?? 0) + 1);
      }
    });
    // The analytics store may hold earlier runs' counts (PGlite under .data/): count from here.
    baseline = (await analytics('demo')) ?? baseline;
    // Nothing leaves the machine: the demo links' and avatars' hosts are answered here.
    await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
    await context.route('https://example.com/**', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: DESTINATION }),
    );
    await context.route('https://picsum.photos/**', (route) =>
      route.fulfill({ status: 200, contentType: 'image/svg+xml', body: AVATAR }),
    );
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    if (stack) expect(await stack.stop()).toBe(0);
    if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
  });

  it('renders the demo page: enabled links in order through /r/, landmarks, alt text, no CSP violation', async () => {
    const page = await open('/demo');
    await expect.poll(() => page.locator('.avatar img').evaluate((img: HTMLImageElement) => img.complete)).toBe(true);
    expect(await page.locator('h1').textContent()).toBe('Demo Creator');
    const links = page.locator('main a.link');
    expect(await links.allTextContents()).toEqual(['Portfolio', 'Print shop', 'Newsletter']);
    expect(await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([
      '/r/demo/lnk_portfolio',
      '/r/demo/lnk_shop',
      '/r/demo/lnk_newsletter',
    ]);
    expect(await page.locator('header').count()).toBe(1);
    expect(await page.locator('main').count()).toBe(1);
    expect(await page.locator('.avatar img').getAttribute('alt')).toBe('Avatar of Demo Creator');
    expect(await page.locator('meta[property="og:url"]').getAttribute('content')).toBe(`${stack.url}/demo`);
    // Theme colours from the profile, applied through the hashed inline stylesheet.
    expect(await page.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(31, 41, 55)');
    expect(await links.first().evaluate((a) => getComputedStyle(a).backgroundColor)).toBe('rgb(245, 158, 11)');
    await shot(page, 'page-demo-desktop');
    // Keyboard: the first Tab lands on the skip link, the next on the first link, with a visible ring.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Portfolio');
    expect(await links.first().evaluate((a) => getComputedStyle(a).outlineStyle)).toBe('solid');
    await shot(page, 'page-demo-focus');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await shot(page, 'page-demo-mobile');
    expect(cspViolations).toEqual([]);
    await page.close();
  });

  it('sends one view beacon per page view, clicks through /r/ and lands on the link URL, and the dashboard shows both', async () => {
    const page = await context.newPage();
    const beacons: { body: unknown; status: number }[] = [];
    page.on('requestfinished', async (req) => {
      if (req.method() === 'POST' && req.url().endsWith('/api/events')) {
        beacons.push({ body: JSON.parse(req.postData() ?? 'null'), status: (await req.response())?.status() ?? 0 });
      }
    });
    const beacon = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/events'));
    await page.goto(`${stack.url}/demo`);
    await beacon;
    await expect.poll(() => beacons.length).toBe(1);
    expect(beacons[0]).toEqual({ body: { events: [{ type: 'profile.viewed', username: 'demo' }] }, status: 202 });

    const redirect = page.waitForResponse((r) => r.url() === `${stack.url}/r/demo/lnk_shop`);
    await page.getByRole('link', { name: 'Print shop' }).click();
    expect((await redirect).status()).toBe(302);
    await page.waitForURL('https://example.com/shop');
    expect(await page.locator('h1').textContent()).toBe('Example destination');
    expect(beacons).toHaveLength(1); // leaving the page sends nothing more

    // Two demo page views so far (this test's and the previous one's), each accepted once.
    await expect.poll(() => acceptedViews.get('demo')).toBe(2);

    // The dashboard: asks for the token, then shows the counts once the consumer has them.
    const dash = await open('/dashboard/demo');
    await dash.locator('#token').waitFor({ state: 'visible' });
    expect(await dash.locator('#dash').isHidden()).toBe(true);
    await shot(dash, 'dashboard-sign-in');
    await dash.locator('#token').fill(stack.adminToken as string);
    await dash.getByRole('button', { name: 'Open dashboard' }).click();
    await dash.locator('#dash').waitFor({ state: 'visible' });
    const number = async (id: string) => Number(((await dash.locator(id).textContent()) ?? '').replace(/\D/g, '') || Number.NaN);
    const counts = expect
      .poll(
        async () => {
          await dash.getByRole('button', { name: 'Refresh' }).click();
          await dash.waitForFunction(() => !document.getElementById('dash')?.hasAttribute('aria-busy'));
          return { views: await number('#total-views'), clicks: await number('#total-clicks') };
        },
        { timeout: 45_000, interval: 1_000 },
      )
      .toEqual({ views: baseline.views + (acceptedViews.get('demo') ?? 0), clicks: baseline.clicks + 1 });
    await counts.finally(() => shot(dash, 'dashboard-demo'));
    expect(await dash.locator('#top-links tbody').textContent()).toContain('Print shop');
    expect(await dash.locator('#chart canvas').count()).toBeGreaterThan(0);

    // The token went only into the Authorization header, never into a URL.
    expect(requested.filter((u) => u.includes(stack.adminToken as string))).toEqual([]);
    expect(await dash.evaluate(() => sessionStorage.getItem('linkcache:admin-token'))).toBe(stack.adminToken);
    expect(cspViolations).toEqual([]);
    await page.close();
    await dash.close();
  });

  it('every range/interval the dashboard offers is answered by the analytics route', async () => {
    for (const range of Object.keys(RANGES)) {
      for (const interval of Object.keys(INTERVALS).filter((i) => intervalAllowed(range, i))) {
        const { params } = analyticsQuery(range, interval, Date.now());
        const res = await fetch(`${stack.url}/api/profiles/demo/analytics?${params}`, {
          headers: { authorization: `Bearer ${stack.adminToken}` },
        });
        expect(res.status, `${range} @ ${interval}: ${await res.clone().text()}`).toBe(200);
        await res.body?.cancel();
      }
    }
  });

  it('changes range and interval in the dashboard without errors', async () => {
    const dash = await open('/dashboard/demo');
    await dash.locator('#token').fill(stack.adminToken as string);
    await dash.getByRole('button', { name: 'Open dashboard' }).click();
    const settled = () =>
      dash.waitForFunction(
        () =>
          !document.getElementById('dash')?.hasAttribute('aria-busy') &&
          /Updated/.test(document.getElementById('status')?.textContent ?? ''),
      );
    await settled();
    for (const [range, interval] of [
      ['1h', '1m'],
      ['7d', '1h'],
      ['30d', '1d'],
    ]) {
      await dash.locator('#range').selectOption(range);
      expect(await dash.locator('#interval').inputValue()).toBe(interval);
      await settled();
      expect(await dash.locator('#status').getAttribute('data-kind')).toBe('info');
    }
    await dash.locator('#range').selectOption('1h');
    await dash.locator('#interval').selectOption('10s');
    await settled();
    expect(await dash.locator('#interval option[value="1d"]').isDisabled()).toBe(true);
    await shot(dash, 'dashboard-demo-1h-10s');
    expect(cspViolations).toEqual([]);
    await dash.close();
  });

  it('asks for the token again when it is refused (401)', async () => {
    const dash = await open('/dashboard/demo');
    await dash.locator('#token').fill('not-the-token');
    await dash.getByRole('button', { name: 'Open dashboard' }).click();
    await dash.locator('#auth-error').waitFor({ state: 'visible' });
    expect(await dash.locator('#auth-error').textContent()).toMatch(/not accepted/);
    expect(await dash.locator('#dash').isHidden()).toBe(true);
    expect(await dash.evaluate(() => sessionStorage.getItem('linkcache:admin-token'))).toBeNull();
    await dash.close();
  });

  it('renders the hostile profile inert', async () => {
    const page = await open('/hostile');
    await page.waitForLoadState('load');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    const hrefs = await page.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs.filter((h) => /^\s*(javascript|data):/i.test(h))).toEqual([]);
    expect(await page.locator('main a.link').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([
      '/r/hostile/lnk_ok',
    ]);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script:not([src])').count()).toBe(0);
    expect(await page.locator('h1').textContent()).toBe('<img src=x onerror="window.__pwned=1">Mallory');
    expect(await page.locator('.bio').textContent()).toContain('<script>window.__pwned = 1</script>');
    expect(await page.locator('body').evaluate((b) => getComputedStyle(b).display)).not.toBe('none');
    await shot(page, 'page-hostile');
    await page.close();
  });

  it('answers unknown profiles and reserved segments with the 404 page, and serves robots.txt', async () => {
    const page = await context.newPage();
    for (const p of ['/nobody_here', '/dashboard/nobody_here', '/api', '/not-a-valid-name!']) {
      const res = await page.goto(`${stack.url}${p}`);
      expect(res?.status(), p).toBe(404);
      expect(res?.headers()['content-type'], p).toMatch(/^text\/html/);
      expect(await page.locator('h1').textContent(), p).toBe('Page not found');
    }
    await shot(page, 'page-404');
    const robots = await page.goto(`${stack.url}/robots.txt`);
    expect(robots?.status()).toBe(200);
    expect(await robots?.text()).toContain('Disallow: /dashboard/');
    await page.close();
  });
});
