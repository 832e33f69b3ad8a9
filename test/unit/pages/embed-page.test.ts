// The embeddable page's markup and headers (lambdas/pages/embed-page.ts); its route through the
// profile handler is in embed-routes.test.ts.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../../lambdas/core/profile.ts';
import { embedPageHeaders, embedPageView, renderEmbedPage } from '../../../lambdas/pages/embed-page.ts';
import { profilePageHeaders, renderProfilePage } from '../../../lambdas/pages/profile-page.ts';
import { contentSecurityPolicy, frameAncestorSources, pageHeaders } from '../../../lambdas/pages/security.ts';
import { resolveTheme } from '../../../lambdas/pages/theme.ts';
import { demoProfiles } from '../../../local/demo-profiles.ts';
import { makeProfile } from '../../helpers/fakes.ts';

const demo = (name: string): Profile => {
  const p = demoProfiles().find((x) => x.username === name);
  if (!p) throw new Error(`no demo profile ${name}`);
  return p;
};
const ctx = { baseUrl: 'https://links.example.com' };
const render = (p: Profile) => renderEmbedPage(p, ctx).value;

/** Every start tag in the markup, with its attributes as written. */
const tags = (markup: string) =>
  [...markup.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*\/?>/g)].map((m) => ({
    name: m[1].toLowerCase(),
    attrs: Object.fromEntries([...m[2].matchAll(/([^\s=]+)(?:="([^"]*)")?/g)].map((a) => [a[1].toLowerCase(), a[2] ?? ''])),
  }));
const anchors = (markup: string) => tags(markup).filter((t) => t.name === 'a');
const directive = (csp: string, name: string) =>
  csp
    .split(';')
    .map((d) => d.trim())
    .find((d) => d.startsWith(`${name} `));

describe('the embed page', () => {
  it('renders the enabled http(s) links in position order, each through /r/ and into a new browsing context', () => {
    const page = render(
      makeProfile('demo', {
        links: [
          ...makeProfile('demo').links,
          { id: 'js', title: 'JS', url: 'javascript:alert(1)', position: 3, enabled: true },
          { id: 'ftp', title: 'FTP', url: 'ftp://example.com/x', position: 4, enabled: true },
        ],
      }),
    );
    const links = anchors(page);
    expect(links.map((a) => a.attrs.href)).toEqual(['/r/demo/a', '/r/demo/b']);
    for (const a of links) expect(a.attrs).toMatchObject({ class: 'link', target: '_blank', rel: 'noopener' });
    expect(page).not.toContain('/r/demo/off');
    expect(page).not.toContain('/r/demo/js');
    expect(page).not.toContain('/r/demo/ftp');
    expect(page).not.toContain('https://example.com/b'); // the destination itself is never on the page
  });

  it("is the page's content without its chrome: name, handle, bio, avatar; no skip link, no footer", () => {
    const page = render(demo('demo'));
    expect(page).toContain('<h1>Demo Creator</h1>');
    expect(page).toContain('<p class="handle">@demo</p>');
    expect(page).toContain('Photographer, traveller and maker of very small films.');
    expect(tags(page).find((t) => t.name === 'img')?.attrs).toMatchObject({
      src: 'https://picsum.photos/seed/demo/256',
      alt: 'Avatar of Demo Creator',
      referrerpolicy: 'no-referrer',
    });
    expect(tags(page).find((t) => t.name === 'body')?.attrs.class).toBe('embed');
    expect(page).not.toContain('class="skip"');
    expect(page).not.toContain('<footer');
    expect(anchors(page).map((a) => a.attrs.href)).toEqual([
      '/r/demo/lnk_portfolio',
      '/r/demo/lnk_shop',
      '/r/demo/lnk_newsletter',
    ]);
    expect(page).not.toContain('Old blog');
  });

  it('points at the full page (canonical) and offers oEmbed discovery for it', () => {
    const page = render(demo('demo'));
    const links = tags(page).filter((t) => t.name === 'link');
    expect(links.find((l) => l.attrs.rel === 'canonical')?.attrs.href).toBe('https://links.example.com/demo');
    expect(links.find((l) => l.attrs.rel === 'alternate')?.attrs).toEqual({
      rel: 'alternate',
      type: 'application/json+oembed',
      href: 'https://links.example.com/oembed?url=https%3A%2F%2Flinks.example.com%2Fdemo&amp;format=json',
      title: 'Demo Creator (@demo)',
    });
  });

  it('loads only the page script (view beacon, avatar fallback) and the page stylesheet', () => {
    const page = render(demo('demo'));
    const scripts = tags(page).filter((t) => t.name === 'script');
    expect(scripts.map((s) => s.attrs.src)).toEqual([expect.stringMatching(/^\/assets\/page\.[0-9a-f]{12}\.js$/)]);
    expect(scripts[0].attrs).toHaveProperty('defer');
    expect(tags(page).find((t) => t.name === 'html')?.attrs['data-username']).toBe('demo');
  });

  describe('the hostile profile renders inert', () => {
    const page = render(demo('hostile'));
    const all = tags(page);

    it('has no inline script or event handler, and no javascript:/data: URL anywhere', () => {
      expect(all.filter((t) => t.name === 'script')).toHaveLength(1);
      expect(all.flatMap((t) => Object.keys(t.attrs)).filter((a) => a.startsWith('on'))).toEqual([]);
      expect(page).not.toMatch(/javascript:/i);
      expect(page).not.toMatch(/data:text/i);
      expect(all.filter((t) => t.name === 'img')).toEqual([]);
      expect(anchors(page).map((a) => a.attrs.href)).toEqual(['/r/hostile/lnk_ok']);
    });

    it('shows the markup in its fields as text, in the body and in the discovery title', () => {
      expect(page).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt; &quot;quotes&quot; &amp; &lt;b&gt;tags&lt;/b&gt;');
      expect(page).toContain('<h1>&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;Mallory</h1>');
      expect(page).toContain('title="&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;Mallory (@hostile)"');
      expect(page).not.toContain('display:none');
    });
  });

  it('escapes a hostile title and link id', () => {
    const p = makeProfile('x', {
      links: [{ id: 'a"><script>', title: '<script>alert(1)</script>', url: 'https://ok.example/', position: 0, enabled: true }],
    });
    expect(render(p)).toContain(
      'href="/r/x/a%22%3E%3Cscript%3E" target="_blank" rel="noopener">&lt;script&gt;alert(1)&lt;/script&gt;</a>',
    );
  });

  it('says so when there are no links', () => {
    expect(render(makeProfile('none', { links: [] }))).toContain('No links yet.');
  });
});

describe('framing', () => {
  const theme = resolveTheme({});

  it('lets the FRAME_ANCESTORS sources frame the embed, with no X-Frame-Options to contradict them', () => {
    for (const sources of ['*', 'https://a.example https://b.example', "'self' https://*.partner.example"]) {
      const h = embedPageHeaders(theme, sources);
      expect(directive(h['content-security-policy'], 'frame-ancestors')).toBe(`frame-ancestors ${sources}`);
      expect(h['x-frame-options']).toBeUndefined();
      // The rest of the page's policy stands.
      expect(h['content-security-policy']).toContain("default-src 'none'");
      expect(h['content-security-policy']).toContain("script-src 'self'");
      expect(h['x-content-type-options']).toBe('nosniff');
    }
  });

  it("keeps X-Frame-Options DENY when FRAME_ANCESTORS is 'none'", () => {
    const h = embedPageHeaders(theme, "'none'");
    expect(directive(h['content-security-policy'], 'frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(h['x-frame-options']).toBe('DENY');
  });

  it('leaves the page, the dashboard and the error pages unframable', () => {
    for (const h of [profilePageHeaders(theme), pageHeaders(), pageHeaders({ referrerPolicy: 'no-referrer' })]) {
      expect(directive(h['content-security-policy'], 'frame-ancestors')).toBe("frame-ancestors 'none'");
      expect(h['x-frame-options']).toBe('DENY');
    }
    expect(contentSecurityPolicy()).toContain("frame-ancestors 'none'");
  });

  it('refuses sources that would end the directive or the header, and collapses whitespace', () => {
    expect(frameAncestorSources('  https://a.example \t https://b.example ')).toBe('https://a.example https://b.example');
    for (const bad of ['', '  ', "*; script-src 'unsafe-inline'", '*, https://x']) {
      expect(() => frameAncestorSources(bad)).toThrow(/frame-ancestors/);
    }
    // Line breaks are whitespace between sources: they never reach the header.
    expect(frameAncestorSources('*\r\nx-evil: 1')).toBe('* x-evil: 1');
    expect(() => embedPageView('https://bad.example', "*; script-src 'unsafe-inline'")).toThrow();
  });
});

describe('the embed view', () => {
  it("renders the body and, with it, a CSP admitting exactly the body's inline stylesheet and the frame ancestors", () => {
    const view = embedPageView(ctx.baseUrl, 'https://a.example');
    expect(view.maxAgeS({ profileTtlS: 300 } as never)).toBe(300);
    const csps = new Set<string>();
    for (const t of [{}, { background: '#000000' }, { background: 'navy', foreground: 'gold' }]) {
      const profile = makeProfile('demo', { theme: t });
      const { body, headers } = view.render(profile);
      expect(body).toBe(render(profile));
      const css = /<style>([^<]*)<\/style>/.exec(body)![1];
      const hash = createHash('sha256').update(css).digest('base64');
      expect(headers?.['content-security-policy']).toContain(`style-src 'self' 'sha256-${hash}'`);
      expect(headers?.['content-security-policy']).toContain('frame-ancestors https://a.example');
      csps.add(headers?.['content-security-policy'] as string);
    }
    expect(csps.size).toBe(3);
  });

  it('is its own cached view, apart from the page and per frame-ancestors value', () => {
    const a = embedPageView(ctx.baseUrl, '*');
    expect(embedPageView(ctx.baseUrl, '*')).toBe(a);
    expect(embedPageView(ctx.baseUrl, 'https://a.example').name).not.toBe(a.name);
    expect(a.name).not.toMatch(/^page /);
    // Not the page's markup: a cache entry holding both keeps them apart.
    const p = makeProfile('demo');
    expect(a.render(p).body).not.toBe(renderProfilePage(p, ctx).value);
  });
});
