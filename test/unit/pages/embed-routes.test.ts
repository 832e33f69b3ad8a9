// The profile function's embed route (GET /embed/{username}) beside the page (GET /{username}):
// the same cached view machinery, framable only where FRAME_ANCESTORS says, HTML error pages.
import { beforeEach, describe, expect, it } from 'vitest';
import { RESERVED_SEGMENTS } from '../../../lambdas/pages/static-routes.ts';
import { makeHandler } from '../../../lambdas/profile/handler.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { demoProfiles } from '../../../local/demo-profiles.ts';
import { demoHandler, expectHtmlError } from '../../helpers/pages.ts';

const setup = (frameAncestors?: string) => demoHandler((deps) => makeHandler({ ...deps, frameAncestors }));

const embed = (username: string, headers: Record<string, string> = {}) => ({
  route: '/embed/{username}',
  pathParameters: { username },
  headers,
});
const page = (username: string, headers: Record<string, string> = {}) => ({
  route: '/{username}',
  pathParameters: { username },
  headers,
});
const frameAncestors = (r: HttpResult) => /frame-ancestors ([^;]*)/.exec(r.headers['content-security-policy'])?.[1];
const hrefs = (r: HttpResult) =>
  [...(r.body as string).matchAll(/<a class="link" href="([^"]+)" target="_blank" rel="noopener">/g)].map((m) => m[1]);

describe('GET /embed/{username}', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup('https://partner.example https://*.cms.example');
  });

  it('serves the embed from the cache with a strong ETag, Cache-Control, X-Cache and 304', async () => {
    const miss = await t.call(embed('demo'), 'links.example.com');
    expect(miss.statusCode).toBe(200);
    expect(miss.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(miss.body).toContain('<body class="embed">');
    expect(miss.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(miss.headers['cache-control']).toMatch(/^public, max-age=\d+/);
    expect(miss.headers['x-cache']).toBe('MISS');
    const hit = await t.call(embed('Demo'), 'links.example.com');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers.etag).toBe(miss.headers.etag);
    const notModified = await t.call(embed('demo', { 'if-none-match': miss.headers.etag }), 'links.example.com');
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBeUndefined();
    expect(frameAncestors(notModified)).toBe('https://partner.example https://*.cms.example');
    // The page and the embed share the snapshot: one origin call for both.
    expect((await t.call(page('demo'), 'links.example.com')).statusCode).toBe(200);
    expect(t.origin.calls).toBe(1);
  });

  it('is framable by FRAME_ANCESTORS alone, while the page stays unframable', async () => {
    const e = await t.call(embed('demo'));
    expect(frameAncestors(e)).toBe('https://partner.example https://*.cms.example');
    expect(e.headers['x-frame-options']).toBeUndefined();
    const p = await t.call(page('demo'));
    expect(frameAncestors(p)).toBe("'none'");
    expect(p.headers['x-frame-options']).toBe('DENY');
  });

  it("is framable by anyone by default (FRAME_ANCESTORS' default is *)", async () => {
    const d = setup();
    expect(frameAncestors(await d.call(embed('demo')))).toBe('*');
    expect(frameAncestors(await d.call(page('demo')))).toBe("'none'");
  });

  it('links the enabled http(s) links through /r/ into a new browsing context', async () => {
    expect(hrefs(await t.call(embed('demo')))).toEqual(['/r/demo/lnk_portfolio', '/r/demo/lnk_shop', '/r/demo/lnk_newsletter']);
    expect(hrefs(await t.call(embed('hostile')))).toEqual(['/r/hostile/lnk_ok']);
  });

  it("names the request's domain (or PUBLIC_BASE_URL) in the canonical and discovery links", async () => {
    const r = await t.call(embed('demo'), 'bio.example.org');
    expect(r.body).toContain('<link rel="canonical" href="https://bio.example.org/demo">');
    expect(r.body).toContain('href="https://bio.example.org/oembed?url=https%3A%2F%2Fbio.example.org%2Fdemo&amp;format=json"');
    const configured = demoHandler((deps) => makeHandler({ ...deps, publicBaseUrl: 'https://links.example.com' }));
    expect((await configured.call(embed('demo'), 'abc.execute-api.example')).body).toContain(
      '<link rel="canonical" href="https://links.example.com/demo">',
    );
  });

  it('answers an unknown profile with the 404 page, negatively cached and framable like the embed', async () => {
    const r = await t.call(embed('nobody'));
    expectHtmlError(r, 404);
    expect(r.headers['cache-control']).toBe(`public, max-age=${t.config.cache.negativeTtlS}`);
    expect(frameAncestors(r)).toBe('https://partner.example https://*.cms.example');
    expect(r.headers['x-frame-options']).toBeUndefined();
  });

  it('answers an invalid username with the 404 page (not 400), without asking the origin', async () => {
    const r = await t.call(embed('no-dashes!'));
    expectHtmlError(r, 404);
    expect(frameAncestors(r)).toBe('https://partner.example https://*.cms.example');
    expect(t.origin.calls).toBe(0);
  });

  it.each([...RESERVED_SEGMENTS])('never treats the reserved name %s as a username', async (segment) => {
    t.origin.profiles.set(segment, { ...demoProfiles()[0], username: segment });
    for (const s of [segment, segment.toUpperCase()]) expectHtmlError(await t.call(embed(s)), 404);
    expect(t.origin.calls).toBe(0);
  });

  it('answers 503 with Retry-After as a framable HTML page when the origin is down and nothing is cached', async () => {
    t.origin.failing = true;
    const r = await t.call(embed('demo'));
    expectHtmlError(r, 503);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(frameAncestors(r)).toBe('https://partner.example https://*.cms.example');
  });

  it("leaves the page's own error pages unframable", async () => {
    const r = await t.call(page('nobody'));
    expectHtmlError(r, 404);
    expect(frameAncestors(r)).toBe("'none'");
    expect(r.headers['x-frame-options']).toBe('DENY');
  });
});

describe('oEmbed discovery on the page', () => {
  it('links /oembed for the page URL from the head of /{username}', async () => {
    const t = setup();
    const r = await t.call(page('demo'), 'links.example.com');
    expect(r.body).toContain(
      '<link rel="alternate" type="application/json+oembed" href="https://links.example.com/oembed?url=https%3A%2F%2Flinks.example.com%2Fdemo&amp;format=json" title="Demo Creator (@demo)">',
    );
    expect((r.body as string).indexOf('application/json+oembed')).toBeLessThan((r.body as string).indexOf('</head>'));
  });
});
