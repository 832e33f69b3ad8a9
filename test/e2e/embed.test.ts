// Embedding over HTTP against the real local stack: /embed/{username} (framable by
// FRAME_ANCESTORS, which the stack gets from its environment), /oembed, the discovery link on the
// page, and /assets/embed.js. In a browser: browser-embed.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedStack, spawnStack } from '../helpers/local-stack.ts';

const FRAME_ANCESTORS = 'https://partner.example https://*.cms.example';

const frameAncestors = (res: Response) => /frame-ancestors ([^;]*)/.exec(res.headers.get('content-security-policy') ?? '')?.[1];

describe('embedding over HTTP', () => {
  let stack: SpawnedStack;
  beforeAll(async () => {
    stack = await spawnStack({ FRAME_ANCESTORS });
  });
  afterAll(async () => {
    if (stack) expect(await stack.stop()).toBe(0);
  });

  const oembed = (query: Record<string, string>) => fetch(`${stack.url}/oembed?${new URLSearchParams(query)}`);

  it('serves /embed/demo: the enabled links through /r/ in a new browsing context, framable by FRAME_ANCESTORS', async () => {
    const res = await fetch(`${stack.url}/embed/demo`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(frameAncestors(res)).toBe(FRAME_ANCESTORS);
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const html = await res.text();
    const links = [...html.matchAll(/<a class="link" href="([^"]+)" target="_blank" rel="noopener">([^<]*)<\/a>/g)];
    expect(links.map((m) => [m[1], m[2]])).toEqual([
      ['/r/demo/lnk_portfolio', 'Portfolio'],
      ['/r/demo/lnk_shop', 'Print shop'],
      ['/r/demo/lnk_newsletter', 'Newsletter'],
    ]);
    expect(html).not.toContain('Old blog');
    expect(html).toContain(`<link rel="canonical" href="${stack.url}/demo">`);
    // A cached view like the page: the same ETag again, and a 304 to it.
    const again = await fetch(`${stack.url}/embed/demo`, { headers: { 'if-none-match': res.headers.get('etag') as string } });
    expect(again.status).toBe(304);
    expect(frameAncestors(again)).toBe(FRAME_ANCESTORS);
  });

  it('keeps the page and the dashboard unframable', async () => {
    for (const p of ['/demo', '/dashboard/demo']) {
      const res = await fetch(`${stack.url}${p}`);
      expect(res.status, p).toBe(200);
      expect(frameAncestors(res), p).toBe("'none'");
      expect(res.headers.get('x-frame-options'), p).toBe('DENY');
    }
  });

  it('answers an unknown or reserved name under /embed with a framable HTML 404 page', async () => {
    for (const name of ['nobody_here', 'api', 'no-dashes!']) {
      const res = await fetch(`${stack.url}/embed/${encodeURIComponent(name)}`);
      expect(res.status, name).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('<p class="code">404</p>');
      expect(frameAncestors(res)).toBe(FRAME_ANCESTORS);
    }
  });

  it('advertises oEmbed on the page, and the advertised URL answers', async () => {
    const html = await (await fetch(`${stack.url}/demo`)).text();
    const link = /<link rel="alternate" type="application\/json\+oembed" href="([^"]+)" title="([^"]+)">/.exec(html);
    expect(link?.[2]).toBe('Demo Creator (@demo)');
    const href = (link?.[1] ?? '').replaceAll('&amp;', '&');
    expect(href).toBe(`${stack.url}/oembed?url=${encodeURIComponent(`${stack.url}/demo`)}&format=json`);
    const res = await fetch(href);
    expect(res.status).toBe(200);
    expect((await res.json()).type).toBe('rich');
  });

  it('answers /oembed for our page URLs with a rich iframe of /embed/{username}', async () => {
    const res = await oembed({ url: `${stack.url}/demo`, maxwidth: '320', maxheight: '9999' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    expect(res.headers.get('x-cache')).toMatch(/^(HIT|MISS)$/);
    const body = await res.json();
    expect(body).toEqual({
      version: '1.0',
      type: 'rich',
      title: 'Demo Creator',
      author_name: 'Demo Creator',
      author_url: `${stack.url}/demo`,
      provider_name: 'linkcache',
      provider_url: stack.url,
      cache_age: 300,
      html: `<iframe src="${stack.url}/embed/demo" width="320" height="600" title="Links from Demo Creator" loading="lazy" style="border:0;max-width:100%"></iframe>`,
      width: 320,
      height: 600,
    });
    // The iframe it hands out is the embed, and it loads.
    const src = /src="([^"]+)"/.exec(body.html)?.[1] as string;
    expect((await fetch(src)).status).toBe(200);
    expect((await (await oembed({ url: `${stack.url}/embed/alice` })).json()).author_url).toBe(`${stack.url}/alice`);
  });

  it('answers 404 for a URL that is not one of our pages or an unknown profile, 400 without url, 501 for XML', async () => {
    const port = new URL(stack.url).port;
    for (const url of [
      `https://evil.example/demo`,
      `http://localhost:${port}/demo`,
      `${stack.url}/dashboard/demo`,
      `${stack.url}/r/demo/lnk_shop`,
    ]) {
      const res = await oembed({ url });
      expect(res.status, url).toBe(404);
      expect((await res.json()).error.code).toBe('NOT_FOUND');
    }
    const unknown = await oembed({ url: `${stack.url}/nobody_here` });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('PROFILE_NOT_FOUND');
    const noUrl = await fetch(`${stack.url}/oembed`);
    expect(noUrl.status).toBe(400);
    expect((await noUrl.json()).error.code).toBe('INVALID_REQUEST');
    const badWidth = await oembed({ url: `${stack.url}/demo`, maxwidth: 'wide' });
    expect(badWidth.status).toBe(400);
    const xml = await oembed({ url: `${stack.url}/demo`, format: 'xml' });
    expect(xml.status).toBe(501);
    expect((await xml.json()).error.code).toBe('NOT_IMPLEMENTED');
  });

  it('serves /assets/embed.js under its fixed name as JavaScript with a long cache', async () => {
    const res = await fetch(`${stack.url}/assets/embed.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d{5,}/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('customElements.define("link-profile"');
  });
});
