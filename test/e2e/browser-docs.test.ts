import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/openapi/document.ts';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, prepareBrowserTest } from '../helpers/browser.ts';

// A missing browser fails the suite (never skipped): .ci/run installs Debian's Chromium.
describe('/docs in a browser', () => {
  let stack: SpawnedStack;
  let browser: Browser;
  let pgliteDir: string;

  beforeAll(async () => {
    await prepareBrowserTest();
    pgliteDir = await mkdtemp(path.join(tmpdir(), 'linkcache-pglite-'));
    stack = await spawnStack({ PGLITE_DIR: pgliteDir });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    if (stack) expect(await stack.stop()).toBe(0);
    if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
  });

  it('renders every documented route, offline, with no failed request and no CSP violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requested: string[] = [];
    // Offline: anything not on the stack is refused, and recorded.
    await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
    context.on('request', (r) => requested.push(r.url()));
    context.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
    context.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
    });
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' || /Content.Security.Policy|Refused to/i.test(msg.text()))
        problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

    const res = await page.goto(`${stack.url}/docs`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    expect(await page.title()).toMatch(/API reference/);
    expect(await page.locator('h1').textContent()).toContain(openApiDocument.info.title);

    // The contents and the sections name every operation of the document.
    const toc = await page.locator('nav li code').allTextContents();
    const expected = Object.entries(openApiDocument.paths).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(toc.sort()).toEqual(expected.sort());
    expect(toc).toContain('GET /api/profiles/{username}');
    expect(toc).toContain('POST /api/events');
    const sections = page.locator('section.op');
    expect(await sections.count()).toBe(expected.length);
    const profile = page.locator('#op-getProfile');
    expect(await profile.locator('h3 code').textContent()).toBe('/api/profiles/{username}');
    expect(await profile.locator('h3 .m').textContent()).toBe('GET');

    // A contents link lands on its section; a schema link on the schema.
    await page.locator('nav a[href="#op-postEvents"]').click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#op-postEvents');
    const events = page.locator('#op-postEvents');
    expect(await events.isVisible()).toBe(true);
    expect(await events.locator('h3').textContent()).toMatch(/POST\s+\/api\/events/);
    expect(await events.locator('pre').first().textContent()).toContain('"profile.viewed"');
    await events.locator('a[href="#schema-BeaconBody"]').first().click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#schema-BeaconBody');
    expect(await page.locator('#schema-BeaconBody pre').textContent()).toContain('"events"');

    // The one stylesheet applied (inline, allowed by its hash): the method badges are coloured.
    expect(await profile.locator('h3 .m').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(3, 105, 161)');
    await page.goto(`${stack.url}/docs`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'docs.png') });

    expect(problems).toEqual([]);
    expect(requested.filter((u) => !u.startsWith(stack.url))).toEqual([]);
    await context.close();
  });
});
