// GET /oembed (lambdas/pages/oembed.ts): which URLs are ours, the query rules, the rich answer,
// and the route through the profile handler.
import { describe, expect, it } from 'vitest';
import { NotImplementedError, ValidationError } from '../../../lambdas/shared/errors.ts';
import { OEMBED_SIZE, oembedAnswer, oembedDiscoveryLink, pageUsername, parseOembedQuery } from '../../../lambdas/pages/oembed.ts';
import { makeHandler } from '../../../lambdas/site/handler.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { demoProfiles } from '../../../local/demo-profiles.ts';
import { demoHandler } from '../../helpers/pages.ts';
import { makeProfile } from '../../helpers/fakes.ts';

const BASE = 'https://links.example.com';

describe('pageUsername: which URLs are our pages', () => {
  it('accepts /{username} and /embed/{username} on our host, lower-casing the name', () => {
    expect(pageUsername(`${BASE}/demo`, BASE)).toBe('demo');
    expect(pageUsername(`${BASE}/Demo.Creator_1`, BASE)).toBe('demo.creator_1');
    expect(pageUsername(`${BASE}/embed/demo`, BASE)).toBe('demo');
    expect(pageUsername(`${BASE}/demo?utm_source=x#top`, BASE)).toBe('demo');
    expect(pageUsername('http://links.example.com/demo', BASE)).toBe('demo'); // http or https: the same page
    expect(pageUsername('https://LINKS.example.com:443/demo', BASE)).toBe('demo');
    expect(pageUsername('http://127.0.0.1:3000/demo', 'http://127.0.0.1:3000')).toBe('demo');
    expect(pageUsername('https://example.com/links/demo', 'https://example.com/links')).toBe('demo');
  });

  it.each([
    ['another host', 'https://evil.example/demo'],
    ['a subdomain', 'https://x.links.example.com/demo'],
    ['another port', 'https://links.example.com:8443/demo'],
    ['a host that only starts like ours', 'https://links.example.com.evil.example/demo'],
    ['credentials', 'https://user:pw@links.example.com/demo'],
    ['another scheme', 'ftp://links.example.com/demo'],
    ['javascript:', 'javascript:alert(1)//links.example.com/demo'],
    ['not a URL', 'demo'],
    ['a relative path', '/demo'],
    ['the root', `${BASE}/`],
    ['a trailing slash', `${BASE}/demo/`],
    ['a deeper path', `${BASE}/demo/links`],
    ['the dashboard', `${BASE}/dashboard/demo`],
    ['the JSON API', `${BASE}/api/profiles/demo`],
    ['a redirect', `${BASE}/r/demo/lnk_shop`],
    ['a reserved name', `${BASE}/assets`],
    ['the oEmbed endpoint', `${BASE}/oembed`],
    ['an embed of a reserved name', `${BASE}/embed/api`],
    ['an invalid username', `${BASE}/no-dashes`],
    ['a username too long', `${BASE}/${'a'.repeat(31)}`],
    ['a broken escape', `${BASE}/%zz`],
    ['Embed in capitals', `${BASE}/Embed/demo`],
    ['outside the base path', 'https://example.com/demo'],
  ])('refuses %s', (_why, url) => {
    const base = url === 'https://example.com/demo' ? 'https://example.com/links' : BASE;
    expect(pageUsername(url, base)).toBeUndefined();
  });
});

describe('parseOembedQuery', () => {
  it('needs url (400), takes maxwidth/maxheight as positive whole pixels (else 400), and only JSON (else 501)', () => {
    expect(parseOembedQuery({ url: `${BASE}/demo` })).toEqual({ url: `${BASE}/demo` });
    expect(parseOembedQuery({ url: `${BASE}/demo`, maxwidth: '300', maxheight: '0250', format: 'JSON' })).toEqual({
      url: `${BASE}/demo`,
      maxWidth: 300,
      maxHeight: 250,
    });
    for (const q of [undefined, {}, { url: '' }, { maxwidth: '300' }]) {
      expect(() => parseOembedQuery(q)).toThrow(ValidationError);
    }
    expect(() => parseOembedQuery({})).toThrow(/url parameter is required/);
    for (const bad of ['0', '-5', '12.5', 'abc', '1e3', ' 300', '300px', '', '9999999999']) {
      expect(() => parseOembedQuery({ url: `${BASE}/demo`, maxwidth: bad }), bad).toThrow(ValidationError);
      expect(() => parseOembedQuery({ url: `${BASE}/demo`, maxheight: bad }), bad).toThrow(ValidationError);
    }
    expect(() => parseOembedQuery({ url: `${BASE}/demo`, maxwidth: 'x' })).toThrow(/maxwidth/);
    expect(() => parseOembedQuery({ url: 'x'.repeat(2049) })).toThrow(ValidationError);
    expect(() => parseOembedQuery({ url: 'x'.repeat(2049) })).toThrow(/url: must be at most 2048 characters/);
    for (const url of [`${BASE}/demo\u0000`, `${BASE}/demo\t`, `${BASE}/demo\ud800`]) {
      expect(() => parseOembedQuery({ url })).toThrow(/url: must not contain control characters or unpaired surrogates/);
    }
    expect(parseOembedQuery({ url: `${BASE}/d\u00e9mo\u{1f600}` }).url).toBe(`${BASE}/d\u00e9mo\u{1f600}`);
    for (const format of ['xml', 'XML', 'html']) {
      expect(() => parseOembedQuery({ url: `${BASE}/demo`, format })).toThrow(NotImplementedError);
    }
  });
});

describe('oembedAnswer', () => {
  const profile = makeProfile('demo', { displayName: 'Demo Creator' });

  it('is an oEmbed 1.0 rich answer with an iframe of the embed page', () => {
    const a = oembedAnswer(profile, BASE, {}, 300);
    expect(a).toEqual({
      version: '1.0',
      type: 'rich',
      title: 'Demo Creator',
      author_name: 'Demo Creator',
      author_url: `${BASE}/demo`,
      provider_name: 'linkcache',
      provider_url: BASE,
      cache_age: 300,
      html: `<iframe src="${BASE}/embed/demo" width="400" height="600" title="Links from Demo Creator" loading="lazy" style="border:0;max-width:100%"></iframe>`,
      width: 400,
      height: 600,
    });
    expect(OEMBED_SIZE).toEqual({ width: 400, height: 600 });
  });

  it('shrinks the frame to maxwidth and maxheight, never grows it', () => {
    const size = (q: { maxWidth?: number; maxHeight?: number }) => {
      const a = oembedAnswer(profile, BASE, q, 300);
      expect(a.html).toContain(`width="${a.width}" height="${a.height}"`);
      return [a.width, a.height];
    };
    expect(size({ maxWidth: 320 })).toEqual([320, 600]);
    expect(size({ maxHeight: 480 })).toEqual([400, 480]);
    expect(size({ maxWidth: 300, maxHeight: 200 })).toEqual([300, 200]);
    expect(size({ maxWidth: 1200, maxHeight: 2000 })).toEqual([400, 600]);
    expect(size({ maxWidth: 1 })).toEqual([1, 600]);
  });

  it('escapes the display name in the html and falls back to @username without one', () => {
    const hostile = demoProfiles().find((p) => p.username === 'hostile')!;
    const a = oembedAnswer(hostile, BASE, {}, 300);
    expect(a.title).toBe(hostile.displayName);
    expect(a.html).toContain('title="Links from &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;Mallory"');
    expect(a.html).not.toMatch(/<img|<script/);
    expect(a.html.match(/</g)).toHaveLength(2); // <iframe ...></iframe> and nothing else
    expect(oembedAnswer(makeProfile('x', { displayName: '  ' }), BASE, {}, 1).title).toBe('@x');
  });

  it('has a discovery link for the pages, its attributes escaped', () => {
    expect(oembedDiscoveryLink(BASE, `${BASE}/demo`, 'A "quoted" <name>').value).toBe(
      `<link rel="alternate" type="application/json+oembed" href="${BASE}/oembed?url=https%3A%2F%2Flinks.example.com%2Fdemo&amp;format=json" title="A &quot;quoted&quot; &lt;name&gt;">`,
    );
  });
});

describe('GET /oembed', () => {
  const setup = (publicBaseUrl?: string) => demoHandler((deps) => makeHandler({ ...deps, publicBaseUrl }));
  const get = (t: ReturnType<typeof setup>, query: Record<string, string>, domain = 'links.example.com') =>
    t.call({ route: '/oembed', query }, domain);
  const body = (r: HttpResult) => JSON.parse(r.body as string);

  it('answers a page URL of the request domain with the rich JSON, cached like the profile', async () => {
    const t = setup();
    const r = await get(t, { url: `${BASE}/demo`, format: 'json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(body(r)).toMatchObject({
      version: '1.0',
      type: 'rich',
      title: 'Demo Creator',
      author_name: 'Demo Creator',
      author_url: `${BASE}/demo`,
      provider_name: 'linkcache',
      provider_url: BASE,
      cache_age: t.config.cache.profileTtlS,
      width: 400,
      height: 600,
    });
    expect(body(r).html).toMatch(/^<iframe src="https:\/\/links\.example\.com\/embed\/demo" width="400" height="600" /);
    expect(r.headers['cache-control']).toMatch(new RegExp(`^public, max-age=${t.config.cache.l1TtlS}\\b`));
    expect(r.headers['x-cache']).toBe('MISS');
    expect(r.headers['surrogate-key']).toBe('profile:demo');
    // The embed URL and upper case name the same profile: one entry, one origin call.
    const again = await get(t, { url: `${BASE}/embed/DEMO`, maxwidth: '320', maxheight: '480' });
    expect(again.headers['x-cache']).toBe('HIT');
    expect(body(again)).toMatchObject({ width: 320, height: 480, author_url: `${BASE}/demo` });
    expect(body(again).html).toContain('width="320" height="480"');
    expect(t.origin.calls).toBe(1);
  });

  it('answers only for the PUBLIC_BASE_URL host when one is set', async () => {
    const t = setup('https://bio.example.org');
    expect((await get(t, { url: 'https://bio.example.org/demo' }, 'abc123.execute-api.example')).statusCode).toBe(200);
    const r = await get(t, { url: 'https://abc123.execute-api.example/demo' }, 'abc123.execute-api.example');
    expect(r.statusCode).toBe(404);
    expect(body(r).error.code).toBe('NOT_FOUND');
  });

  it('answers 404 NOT_FOUND for a URL that is not one of our pages, without asking the origin', async () => {
    const t = setup();
    for (const url of ['https://evil.example/demo', `${BASE}/dashboard/demo`, `${BASE}/demo/extra`, `${BASE}/api`, 'nonsense']) {
      const r = await get(t, { url });
      expect(r.statusCode, url).toBe(404);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(body(r).error.code).toBe('NOT_FOUND');
    }
    expect(t.origin.calls).toBe(0);
  });

  it('answers 404 PROFILE_NOT_FOUND for an unknown profile, negatively cached', async () => {
    const t = setup();
    const r = await get(t, { url: `${BASE}/nobody` });
    expect(r.statusCode).toBe(404);
    expect(body(r).error.code).toBe('PROFILE_NOT_FOUND');
    expect(r.headers['cache-control']).toBe(`public, max-age=${t.config.cache.negativeTtlS}`);
    await get(t, { url: `${BASE}/embed/nobody` });
    expect(t.origin.calls).toBe(1);
  });

  it('answers 400 INVALID_REQUEST without url or with a bad bound, 501 NOT_IMPLEMENTED for XML', async () => {
    const t = setup();
    const noUrl = await t.call({ route: '/oembed' }, 'links.example.com');
    expect(noUrl.statusCode).toBe(400);
    expect(body(noUrl).error).toEqual({ code: 'INVALID_REQUEST', message: expect.stringMatching(/url/) });
    const bad = await get(t, { url: `${BASE}/demo`, maxwidth: 'wide' });
    expect(bad.statusCode).toBe(400);
    expect(body(bad).error.code).toBe('INVALID_REQUEST');
    const xml = await get(t, { url: `${BASE}/demo`, format: 'xml' });
    expect(xml.statusCode).toBe(501);
    expect(body(xml).error.code).toBe('NOT_IMPLEMENTED');
    expect(xml.headers['cache-control']).toBe('no-store');
    expect(t.origin.calls).toBe(0);
  });

  it('answers 503 ORIGIN_UNAVAILABLE as JSON when the origin is down and nothing is cached', async () => {
    const t = setup();
    t.origin.failing = true;
    const r = await get(t, { url: `${BASE}/demo` });
    expect(r.statusCode).toBe(503);
    expect(body(r).error.code).toBe('ORIGIN_UNAVAILABLE');
    expect(r.headers['retry-after']).toBe('7');
  });
});
