import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { demoProfiles } from '../../../local/demo-profiles.ts';
import { renderDashboardPage } from '../../../lambdas/pages/dashboard-page.ts';
import { initials, profilePageView, renderProfilePage } from '../../../lambdas/pages/profile-page.ts';
import type { Profile } from '../../../lambdas/core/profile.ts';
import { makeProfile } from '../../helpers/fakes.ts';

const demo = (name: string): Profile => {
  const p = demoProfiles().find((x) => x.username === name);
  if (!p) throw new Error(`no demo profile ${name}`);
  return p;
};
const ctx = { baseUrl: 'https://links.example.com' };
const render = (p: Profile) => renderProfilePage(p, ctx).value;

/** Every start tag in the markup, with its attributes as written. */
const tags = (markup: string) =>
  [...markup.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*\/?>/g)].map((m) => ({
    name: m[1].toLowerCase(),
    attrs: Object.fromEntries([...m[2].matchAll(/([^\s=]+)(?:="([^"]*)")?/g)].map((a) => [a[1].toLowerCase(), a[2] ?? ''])),
  }));

describe('the profile page', () => {
  it('renders the enabled links in position order, each through /r/{username}/{linkId}', () => {
    const page = render(makeProfile('demo'));
    const anchors = tags(page).filter((t) => t.name === 'a' && t.attrs.class === 'link');
    expect(anchors.map((a) => a.attrs.href)).toEqual(['/r/demo/a', '/r/demo/b']);
    expect(page).not.toContain('/r/demo/off');
    expect(page).not.toContain('https://example.com/b'); // the destination itself is never on the page
  });

  it('renders the demo profile: name, bio, avatar with alt text, landmarks, Open Graph tags', () => {
    const page = render(demo('demo'));
    expect(page).toContain('<h1>Demo Creator</h1>');
    expect(page).toContain('Photographer, traveller and maker of very small films.');
    expect(page).toMatch(/<header[^>]*>/);
    expect(page).toMatch(/<main id="links">/);
    const img = tags(page).find((t) => t.name === 'img');
    expect(img?.attrs).toMatchObject({ src: 'https://picsum.photos/seed/demo/256', alt: 'Avatar of Demo Creator' });
    const og = Object.fromEntries(
      tags(page)
        .filter((t) => t.name === 'meta' && t.attrs.property)
        .map((t) => [t.attrs.property, t.attrs.content]),
    );
    expect(og).toMatchObject({
      'og:title': 'Demo Creator',
      'og:description': 'Photographer, traveller and maker of very small films.',
      'og:url': 'https://links.example.com/demo',
      'og:image': 'https://picsum.photos/seed/demo/256',
    });
    expect(
      tags(page)
        .filter((t) => t.name === 'a' && t.attrs.class === 'link')
        .map((a) => a.attrs.href),
    ).toEqual(['/r/demo/lnk_portfolio', '/r/demo/lnk_shop', '/r/demo/lnk_newsletter']);
    expect(page).not.toContain('Old blog');
  });

  it('uses the profile theme only as validated #hex custom properties', () => {
    const page = render(demo('demo'));
    expect(page).toContain('<style>:root{--bg:#1f2937;--fg:#f9fafb;--btn:#f59e0b;--btn-fg:#111827}</style>');
  });

  describe('the hostile profile renders inert', () => {
    const page = render(demo('hostile'));
    const all = tags(page);

    it('has no script but the external asset, and no inline event handler', () => {
      const scripts = all.filter((t) => t.name === 'script');
      expect(scripts).toHaveLength(1);
      expect(scripts[0].attrs.src).toMatch(/^\/assets\/page\.[0-9a-f]{12}\.js$/);
      expect(all.flatMap((t) => Object.keys(t.attrs)).filter((a) => a.startsWith('on'))).toEqual([]);
      expect(page).not.toMatch(/<script>window/);
    });

    it('never renders a javascript: or data: URL as a link or image', () => {
      expect(page).not.toMatch(/javascript:/i);
      expect(page).not.toMatch(/data:text/i);
      expect(all.filter((t) => t.name === 'img')).toEqual([]);
      expect(
        tags(page)
          .filter((t) => t.name === 'a' && t.attrs.class === 'link')
          .map((a) => a.attrs.href),
      ).toEqual(['/r/hostile/lnk_ok']);
      expect(page).not.toMatch(/og:image"/);
    });

    it('shows the markup in its fields as text', () => {
      expect(page).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt; &quot;quotes&quot; &amp; &lt;b&gt;tags&lt;/b&gt;');
      expect(page).toContain('<h1>&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;Mallory</h1>');
    });

    it('falls back to the default theme instead of injecting the raw theme string', () => {
      expect(page).not.toContain('display:none');
      expect(page).toMatch(/<style>:root\{--bg:#f8fafc;--fg:#000000;/);
    });
  });

  it('escapes a hostile title on an http link and a hostile username never breaks out of the href', () => {
    const p = makeProfile('x', {
      links: [{ id: 'a"><script>', title: '<script>alert(1)</script>', url: 'https://ok.example/', position: 0, enabled: true }],
    });
    const page = render(p);
    expect(page).toContain('href="/r/x/a%22%3E%3Cscript%3E">&lt;script&gt;alert(1)&lt;/script&gt;</a>');
  });

  it('says so when there are no links', () => {
    expect(render(makeProfile('none', { links: [] }))).toContain('No links yet.');
  });

  it('renders initials when there is no usable avatar', () => {
    expect(initials('Demo Creator')).toBe('DC');
    expect(initials('<img src=x onerror="x">Mallory')).toBe('M');
    const page = render(makeProfile('noavatar', { avatarUrl: 'ftp://x/y.png', displayName: 'Ada Lovelace' }));
    expect(page).toContain('<span aria-hidden="true">AL</span></div>');
    expect(page).not.toContain('<img');
  });
});

describe('the dashboard shell', () => {
  it('embeds the link titles as inert JSON and nothing of the token', () => {
    const page = renderDashboardPage(demo('hostile')).value;
    const data = /<script type="application\/json" id="profile-data">([^<]*)<\/script>/.exec(page);
    expect(data).not.toBeNull();
    expect(JSON.parse(data![1])).toMatchObject({
      username: 'hostile',
      links: [{ id: 'lnk_js', title: '<script>alert(1)</script>' }, {}, {}],
    });
    expect(page).not.toMatch(/<script>alert/);
    expect(
      tags(page)
        .filter((t) => t.name === 'script' && t.attrs.src)
        .map((t) => t.attrs.src),
    ).toEqual([expect.stringMatching(/^\/assets\/dashboard\.[0-9a-f]{12}\.js$/)]);
    expect(page).toMatch(/<input id="token" name="token" type="password"/);
  });
});

describe('the profile page view', () => {
  it("renders the body and, with it, a CSP admitting exactly the body's inline stylesheet", () => {
    const view = profilePageView(ctx.baseUrl);
    const themes = [{}, { background: '#000000' }, { background: 'navy', foreground: 'gold', button: 'rgb(1, 2, 3)' }];
    const csps = new Set<string>();
    for (const theme of themes) {
      const profile = makeProfile('demo', { theme });
      const { body, headers } = view.render(profile);
      expect(body).toBe(render(profile));
      const css = /<style>([^<]*)<\/style>/.exec(body)![1];
      const hash = createHash('sha256').update(css).digest('base64');
      expect(headers?.['content-security-policy']).toContain(`style-src 'self' 'sha256-${hash}'`);
      expect(headers?.['x-content-type-options']).toBe('nosniff');
      csps.add(headers?.['content-security-policy'] as string);
    }
    expect(csps.size).toBe(themes.length);
  });
});
