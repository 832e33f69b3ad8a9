// The dashboard in Chromium after real traffic: a page view with utm_* from the page URL and a
// click through /r/ (the browser), one more click from an iPhone User-Agent (Node); the new
// sections show those numbers, the device filter narrows them, and the CSV button downloads the
// series, with the key only ever in an Authorization header.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, prepareBrowserTest, USER_AGENT } from '../helpers/browser.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

const TOKEN = 'e2e-dashboard-key';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const DESTINATION = '<!doctype html><title>Example destination</title><h1>Example destination</h1>';

describe('the dashboard in a browser, after traffic', () => {
  let stack: SpawnedStack;
  let context: BrowserContext;
  let userDataDir: string;
  let pgliteDir: string;
  const requested: string[] = [];
  const pageErrors: string[] = [];

  const open = async (urlPath: string): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${urlPath}: ${err.message}`));
    page.on('console', (msg) => {
      if (/Content.Security.Policy|Refused to/i.test(msg.text())) pageErrors.push(`${urlPath}: ${msg.text()}`);
    });
    await page.goto(`${stack.url}${urlPath}`);
    return page;
  };

  beforeAll(async () => {
    await prepareBrowserTest();
    userDataDir = await mkdtemp(path.join(tmpdir(), 'linkcache-chromium-dash-'));
    pgliteDir = await mkdtemp(path.join(tmpdir(), 'linkcache-pglite-dash-'));
    stack = await spawnStack({
      BATCH_WINDOW_S: '1',
      PGLITE_DIR: pgliteDir,
      DATABASE_URL: '',
      ADMIN_TOKEN: TOKEN,
      ANALYTICS_TTL_S: '0',
      // Counts here are exact: on a loaded machine the salt may take longer than the production bound.
      VISITOR_SALT_TIMEOUT_MS: '5000',
    });
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      userAgent: USER_AGENT,
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    context.on('request', (r) => requested.push(r.url()));
    await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
    await context.route('https://example.com/**', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: DESTINATION }),
    );
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    if (stack) expect(await stack.stop()).toBe(0);
    if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
  });

  it('shows visitors, CTR, the breakdowns and deltas, filters by device, and downloads the CSV', async () => {
    // A desktop visitor: the page (its beacon carries the page URL's utm_*), then a click.
    const page = await open('/demo?utm_source=newsletter&utm_campaign=launch');
    const beacon = await page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/events'));
    expect(beacon.status()).toBe(202);
    expect(JSON.parse(beacon.request().postData() ?? '{}')).toEqual({
      events: [{ type: 'profile.viewed', username: 'demo', utm: { source: 'newsletter', campaign: 'launch' } }],
    });
    await page.getByRole('link', { name: 'Print shop' }).click();
    await page.waitForURL('https://example.com/shop');
    // A mobile visitor from Germany, another click on the same link.
    const phone = await fetch(`${stack.url}/r/demo/lnk_shop`, {
      headers: { 'user-agent': IPHONE, 'cloudfront-viewer-country': 'DE' },
      redirect: 'manual',
    });
    expect(phone.status).toBe(302);

    const dash = await open('/dashboard/demo');
    await dash.locator('#token').waitFor({ state: 'visible' });
    expect(await dash.locator('label[for="token"]').textContent()).toBe('Key');
    await dash.locator('#token').fill(TOKEN);
    await dash.getByRole('button', { name: 'Open dashboard' }).click();
    await dash.locator('#dash').waitFor({ state: 'visible' });
    const settled = () =>
      dash.waitForFunction(
        () =>
          !document.getElementById('dash')?.hasAttribute('aria-busy') &&
          /Updated/.test(document.getElementById('status')?.textContent ?? ''),
      );
    const number = async (sel: string) =>
      Number(((await dash.locator(sel).textContent()) ?? '').replace(/\D/g, '') || Number.NaN);
    const totals = async () => ({
      views: await number('#total-views'),
      visitors: await number('#total-visitors'),
      clicks: await number('#total-clicks'),
    });
    await expect
      .poll(
        async () => {
          await dash.getByRole('button', { name: 'Refresh' }).click();
          await settled();
          return totals();
        },
        { timeout: 45_000, interval: 1_000 },
      )
      .toEqual({ views: 1, visitors: 2, clicks: 2 });
    await dash.screenshot({ path: path.join(ARTIFACTS, 'dashboard-breakdowns.png'), fullPage: true });

    expect(await dash.locator('#total-ctr').textContent()).toBe('200.0%');
    // Nothing before this run: every total is new against the previous period.
    expect(await dash.locator('#delta-views').textContent()).toBe('new vs previous');
    const row = (table: string) =>
      dash.locator(`#${table} tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    expect(await row('top-links')).toEqual([['Print shop', '2', '2', '200.0%']]);
    expect(await row('devices')).toEqual(
      expect.arrayContaining([
        ['desktop', '1', '1'],
        ['mobile', '0', '1'],
      ]),
    );
    expect(await row('browsers')).toEqual(
      expect.arrayContaining([
        ['Chrome', '1', '1'],
        ['Safari', '0', '1'],
      ]),
    );
    expect(await row('os')).toEqual(
      expect.arrayContaining([
        ['Linux', '1', '1'],
        ['iOS', '0', '1'],
      ]),
    );
    expect(await row('utm-source')).toEqual([['newsletter', '1', '0']]);
    expect(await row('utm-campaign')).toEqual([['launch', '1', '0']]);
    expect((await row('countries')).map((r) => r[0])).toEqual(expect.arrayContaining([expect.stringContaining('(DE)')]));

    // The device filter narrows every number.
    await dash.locator('#filter-device').selectOption('mobile');
    await settled();
    expect(await totals()).toEqual({ views: 0, visitors: 1, clicks: 1 });
    expect(await row('top-links')).toEqual([['Print shop', '1', '1', '–']]);
    // The country picker learned Germany from the answers.
    await dash.locator('#filter-device').selectOption('');
    await settled();
    await dash.locator('#filter-country').selectOption('DE');
    await settled();
    expect(await totals()).toEqual({ views: 0, visitors: 1, clicks: 1 });
    await dash.locator('#filter-country').selectOption('');
    await settled();

    // CSV: fetched with the key in the header, saved from a Blob.
    const download = dash.waitForEvent('download');
    await dash.locator('#csv').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^analytics-demo-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv$/);
    const csv = await readFile((await file.path()) as string, 'utf8');
    const [head, ...rows] = csv.trimEnd().split('\r\n');
    expect(head).toBe('t,views,clicks,visitors');
    const sum = (i: number) => rows.reduce((n, r) => n + Number(r.split(',')[i]), 0);
    expect([sum(1), sum(2), sum(3)]).toEqual([1, 2, 2]);

    expect(requested.filter((u) => u.includes(TOKEN))).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
    await dash.close();
  });
});
