import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Frame, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, USER_AGENT, prepareBrowserTest } from '../helpers/browser.ts';

const DEMO_LINKS = ['Portfolio', 'Print shop', 'Newsletter'];
const DEMO_PATHS = ['/r/demo/lnk_portfolio', '/r/demo/lnk_shop', '/r/demo/lnk_newsletter'];

/** The other product's pages, pointing at the stack; a strict CSP of their own, as a careful site has. */
const hostPages = (stackUrl: string): Record<string, string> => ({
  '/iframe.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner: iframe</title></head>
<body><h1>A partner's article</h1>
<iframe id="embed" src="${stackUrl}/embed/demo" width="400" height="600" title="Links from Demo Creator" loading="lazy"></iframe>
</body></html>`,
  '/page-iframe.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner: the page itself</title></head>
<body><iframe id="page" src="${stackUrl}/demo" width="400" height="600" title="The page"></iframe></body></html>`,
  '/component.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner: web component</title>
<script src="${stackUrl}/assets/embed.js" defer></script></head>
<body><h1>A partner's sidebar</h1>
<link-profile id="one" username="demo"></link-profile>
<link-profile id="missing" username="nobody_here"></link-profile>
</body></html>`,
});

const HOST_CSP = (stackUrl: string) =>
  `default-src 'none'; script-src ${stackUrl}; connect-src ${stackUrl}; frame-src ${stackUrl}; style-src 'none'; img-src 'none'`;

describe('embedding on another origin, in a browser', () => {
  let stack: SpawnedStack;
  let host: Server;
  let hostPort: number;
  let context: BrowserContext;
  let userDataDir: string;
  const pageErrors: string[] = [];
  const consoleLines: string[] = [];

  /** The host page at `origin` (http://localhost:<port> is allowed to frame, http://127.0.0.1:<port> is not). */
  const open = async (origin: string, file: string): Promise<Page> => {
    const page = await context.newPage();
    page.on('console', (msg) => consoleLines.push(`${file}: ${msg.text()}`));
    page.on('pageerror', (err) => pageErrors.push(`${file}: ${err.message}`));
    await page.goto(`${origin}${file}`);
    return page;
  };
  const allowed = () => `http://localhost:${hostPort}`;
  const refused = () => `http://127.0.0.1:${hostPort}`;

  /**
   * Clicks, and returns the new tab the click opened, once the stack's /r/ answered it with the
   * redirect to `destination`. (Where the redirect then lands is not observed: a popup's first
   * navigation escapes Playwright's request routing, and nothing here may leave the machine.)
   */
  const clickThrough = async (click: () => Promise<void>, redirectPath: string, destination: string): Promise<Page> => {
    const [tab, redirect] = await Promise.all([
      context.waitForEvent('page'),
      context.waitForEvent('response', (r) => r.url() === `${stack.url}${redirectPath}`),
      click(),
    ]);
    expect(redirect.status()).toBe(302);
    expect(redirect.headers().location).toBe(destination);
    expect(redirect.frame().page()).toBe(tab);
    return tab;
  };

  const frameOf = async (page: Page, id: string): Promise<Frame> => {
    const frame = await (await page.locator(`iframe#${id}`).elementHandle())?.contentFrame();
    if (!frame) throw new Error(`no frame #${id}`);
    return frame;
  };

  beforeAll(async () => {
    await prepareBrowserTest();
    // The host's port first: the stack's FRAME_ANCESTORS names it.
    let pages: Record<string, string> = {};
    let csp = '';
    host = createServer((req, res) => {
      const body = pages[new URL(req.url ?? '/', 'http://x').pathname];
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp }).end(body);
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostPort = (host.address() as AddressInfo).port;
    stack = await spawnStack({ FRAME_ANCESTORS: `http://localhost:${hostPort}` });
    pages = hostPages(stack.url);
    csp = HOST_CSP(stack.url);
    userDataDir = await mkdtemp(path.join(tmpdir(), 'linkcache-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      userAgent: USER_AGENT,
      viewport: { width: 1000, height: 800 },
    });
    // Nothing leaves the machine: the avatars' host is refused (the initials show instead).
    await context.route(/^https?:\/\/(?!(127\.0\.0\.1|localhost)[:/])/, (route) => route.abort());
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    if (stack) expect(await stack.stop()).toBe(0);
    await new Promise((resolve) => host?.close(resolve));
  });

  it('shows /embed/demo in an iframe on an allowed origin: the enabled links, through /r/, opening a new tab', async () => {
    const page = await open(allowed(), '/iframe.html');
    const frame = await frameOf(page, 'embed');
    const links = frame.locator('a.link');
    await expect.poll(() => links.count()).toBe(3);
    expect(await links.allTextContents()).toEqual(DEMO_LINKS);
    for (const l of await links.all()) await expect.poll(() => l.isVisible()).toBe(true);
    expect(
      await links.evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')])),
    ).toEqual(DEMO_PATHS.map((p) => [p, '_blank', 'noopener']));
    // The href resolves against the frame's own origin: the stack's /r/, which counts and redirects.
    expect(await links.first().evaluate((a: HTMLAnchorElement) => a.href)).toBe(`${stack.url}/r/demo/lnk_portfolio`);
    expect(await frame.locator('h1').textContent()).toBe('Demo Creator');
    // The compact layout fits the 400 × 600 frame without scrolling.
    expect(await frame.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight)).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'embed-iframe.png'), fullPage: true });

    const tab = await clickThrough(() => links.nth(1).click(), '/r/demo/lnk_shop', 'https://example.com/shop');
    // A new browsing context: the partner's page is still where it was, the frame too.
    expect(page.url()).toBe(`${allowed()}/iframe.html`);
    expect(frame.url()).toBe(`${stack.url}/embed/demo`);
    await tab.close();
    await page.close();
  });

  it('is refused, by the browser, to an origin FRAME_ANCESTORS does not name; /demo is refused to every origin', async () => {
    const before = consoleLines.length;
    const page = await open(refused(), '/iframe.html');
    // Chromium names the refused frame's origin and the directive it broke.
    await expect
      .poll(() => consoleLines.slice(before).some((l) => l.includes(`violates`) && l.includes(`frame-ancestors ${allowed()}`)))
      .toBe(true);
    expect(await (await frameOf(page, 'embed')).locator('a.link').count()).toBe(0);
    await page.close();

    const mark = consoleLines.length;
    const other = await open(allowed(), '/page-iframe.html');
    await expect
      .poll(() => consoleLines.slice(mark).some((l) => l.includes('violates') && l.includes("frame-ancestors 'none'")))
      .toBe(true);
    expect(await (await frameOf(other, 'page')).locator('a.link').count()).toBe(0);
    await other.close();
  });

  it('renders <link-profile> from embed.js into a shadow root: the enabled links through /r/, in a new tab', async () => {
    // What makes the cross-origin read possible: the JSON API's CORS grant (lambdas/shared/cors.ts).
    const grant = await fetch(`${stack.url}/api/profiles/demo`, { headers: { origin: allowed() } });
    expect(grant.headers.get('access-control-allow-origin'), 'the JSON API must grant other origins (CORS_ORIGINS)').toMatch(
      new RegExp(`^(\\*|${allowed().replaceAll('.', '\\.')})$`),
    );

    const page = await open(allowed(), '/component.html');
    const el = page.locator('link-profile#one');
    const links = el.locator('a.link'); // Playwright's CSS locators pierce open shadow roots
    await expect.poll(() => links.count()).toBe(3);
    expect(await links.allTextContents()).toEqual(DEMO_LINKS);
    expect(
      await links.evaluateAll((as) =>
        as.map((a) => [(a as HTMLAnchorElement).href, a.getAttribute('target'), a.getAttribute('rel')]),
      ),
    ).toEqual(DEMO_PATHS.map((p) => [`${stack.url}${p}`, '_blank', 'noopener']));
    for (const l of await links.all()) await expect.poll(() => l.isVisible()).toBe(true);
    expect(await el.locator('.name').textContent()).toBe('Demo Creator');
    expect(await el.locator('.bio').textContent()).toBe('Photographer, traveller and maker of very small films.');
    // In the shadow root, not the host page's DOM; styled there despite the host's style-src 'none'.
    expect(await page.evaluate(() => document.querySelectorAll('a').length)).toBe(0);
    expect(await page.evaluate(() => document.querySelector('link-profile')?.shadowRoot?.querySelectorAll('a.link').length)).toBe(
      3,
    );
    expect(await links.first().evaluate((a) => getComputedStyle(a).display)).toBe('block');
    // An unknown profile says so.
    await expect.poll(() => page.locator('link-profile#missing .message').textContent()).toBe('No such profile.');
    await page.screenshot({ path: path.join(ARTIFACTS, 'embed-component.png'), fullPage: true });

    const tab = await clickThrough(() => links.first().click(), '/r/demo/lnk_portfolio', 'https://example.com/portfolio');
    expect(page.url()).toBe(`${allowed()}/component.html`);
    await tab.close();

    // A new username re-renders (alice's links, by position), and the old answer never comes back.
    await el.evaluate((e) => e.setAttribute('username', 'alice'));
    await expect.poll(() => links.allTextContents()).toEqual(['Talks', 'Blog']);
    expect(await links.evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))).toEqual([
      `${stack.url}/r/alice/lnk_talks`,
      `${stack.url}/r/alice/lnk_blog`,
    ]);
    expect(await el.locator('.name').textContent()).toBe('Alice Example');
    await page.close();
  });

  it('keeps the hostile profile inert in <link-profile> and in the embed', async () => {
    const page = await open(allowed(), '/component.html');
    await page.evaluate(() => document.querySelector('link-profile#one')?.setAttribute('username', 'hostile'));
    const el = page.locator('link-profile#one');
    await expect.poll(() => el.locator('a.link').allTextContents()).toEqual(['A safe link']);
    expect(await el.locator('.name').textContent()).toBe('<img src=x onerror="window.__pwned=1">Mallory');
    expect(await el.locator('img, script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.close();

    const framed = await context.newPage();
    await framed.goto(`${allowed()}/iframe.html`);
    const frame = await frameOf(framed, 'embed');
    await frame.goto(`${stack.url}/embed/hostile`);
    expect(await frame.locator('a.link').allTextContents()).toEqual(['A safe link']);
    expect(await frame.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await framed.close();
  });

  it('raised no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
