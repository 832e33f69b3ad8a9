import { describe, expect, it } from 'vitest';
import { LAST_MODIFIED_FALLBACK, mapLinktreeProfile, mapNextData } from '../../../lambdas/core/linktree-mapping.ts';
import { profileSchema } from '../../../lambdas/core/profile.ts';
import { OriginShapeError, OriginUnavailableError } from '../../../lambdas/shared/errors.ts';

const account = (over: Record<string, unknown> = {}) => ({
  id: 4242,
  uuid: '7c1b5e1e-0000-4000-8000-000000000001',
  username: 'jane',
  isActive: true,
  pageTitle: 'Jane (account)',
  description: 'Account bio',
  profilePictureUrl: 'https://ugc.production.linktr.ee/account.jpg',
  createdAt: 1_600_000_000_000,
  updatedAt: 1_700_000_000_000,
  links: [{ id: 1, type: 'CLASSIC', title: 'From account', url: 'https://example.com/a', position: 0 }],
  socialLinks: [{ type: 'TIKTOK', url: 'https://tiktok.com/@jane' }],
  theme: { key: 'account-theme' },
  ...over,
});

const shapeError = (fn: () => unknown): OriginShapeError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OriginShapeError);
    return err as OriginShapeError;
  }
  throw new Error('no error thrown');
};

describe('mapLinktreeProfile', () => {
  it('id is account.uuid, else String(account.id)', () => {
    expect(mapLinktreeProfile({ account: account() }).id).toBe('7c1b5e1e-0000-4000-8000-000000000001');
    expect(mapLinktreeProfile({ account: account({ uuid: undefined }) }).id).toBe('4242');
    expect(mapLinktreeProfile({ account: account({ uuid: null }) }).id).toBe('4242');
    expect(mapLinktreeProfile({ account: account({ uuid: '' }) }).id).toBe('4242');
  });

  it('username is account.username', () => {
    expect(mapLinktreeProfile({ account: account(), username: 'other' }).username).toBe('jane');
  });

  it('displayName: pageProps.pageTitle, else account.pageTitle, else the username', () => {
    expect(mapLinktreeProfile({ account: account(), pageTitle: 'Jane (page)' }).displayName).toBe('Jane (page)');
    expect(mapLinktreeProfile({ account: account() }).displayName).toBe('Jane (account)');
    expect(mapLinktreeProfile({ account: account({ pageTitle: null }), pageTitle: null }).displayName).toBe('jane');
    expect(mapLinktreeProfile({ account: account({ pageTitle: '' }) }).displayName).toBe('jane');
  });

  it('bio: pageProps.description, else account.description, else ""', () => {
    expect(mapLinktreeProfile({ account: account(), description: 'Page bio' }).bio).toBe('Page bio');
    expect(mapLinktreeProfile({ account: account() }).bio).toBe('Account bio');
    expect(mapLinktreeProfile({ account: account({ description: null }) }).bio).toBe('');
    expect(mapLinktreeProfile({ account: account({ description: undefined }) }).bio).toBe('');
  });

  it('avatarUrl only when http(s), else ""', () => {
    expect(mapLinktreeProfile({ account: account(), profilePictureUrl: 'https://x.test/p.png' }).avatarUrl).toBe(
      'https://x.test/p.png',
    );
    expect(mapLinktreeProfile({ account: account() }).avatarUrl).toBe('https://ugc.production.linktr.ee/account.jpg');
    expect(mapLinktreeProfile({ account: account(), profilePictureUrl: 'javascript:alert(1)' }).avatarUrl).toBe('');
    expect(mapLinktreeProfile({ account: account({ profilePictureUrl: 'data:image/png;base64,AAAA' }) }).avatarUrl).toBe('');
    expect(mapLinktreeProfile({ account: account({ profilePictureUrl: null }) }).avatarUrl).toBe('');
  });

  it('links from pageProps.links, else account.links, with ids as strings', () => {
    const page = mapLinktreeProfile({
      account: account(),
      links: [{ id: '9001', type: 'CLASSIC', title: 'Shop', url: 'https://example.com/shop', position: 3, locked: false }],
    });
    expect(page.links).toEqual([
      { id: '9001', title: 'Shop', url: 'https://example.com/shop', position: 3, enabled: true, type: 'link' },
    ]);
    const old = mapLinktreeProfile({ account: account() });
    expect(old.links).toEqual([
      { id: '1', title: 'From account', url: 'https://example.com/a', position: 0, enabled: true, type: 'link' },
    ]);
  });

  it('enabled comes from `active` when present (the MCP gives it), else true', () => {
    const p = mapLinktreeProfile({
      account: account(),
      links: [
        { id: 1, type: 'CLASSIC', title: 'On', url: 'https://example.com/1', position: 0, active: true },
        { id: 2, type: 'CLASSIC', title: 'Draft', url: 'https://example.com/2', position: 1, active: false },
        { id: 3, type: 'CLASSIC', title: 'Page', url: 'https://example.com/3', position: 2 },
      ],
    });
    expect(p.links.map((l) => [l.id, l.enabled])).toEqual([
      ['1', true],
      ['2', false],
      ['3', true],
    ]);
  });

  it('HEADER links become type "header" with url "" even when the page gives one', () => {
    const p = mapLinktreeProfile({
      account: account(),
      links: [
        { id: 'h1', type: 'HEADER', title: 'Music', url: '', position: 0 },
        { id: 'h2', type: 'HEADER', title: 'Odd', url: 'https://example.com/h', position: 1 },
        { id: 'h3', type: 'HEADER', title: 'Null', url: null, position: 2 },
      ],
    });
    expect(p.links).toEqual([
      { id: 'h1', title: 'Music', url: '', position: 0, enabled: true, type: 'header' },
      { id: 'h2', title: 'Odd', url: '', position: 1, enabled: true, type: 'header' },
      { id: 'h3', title: 'Null', url: '', position: 2, enabled: true, type: 'header' },
    ]);
  });

  it('other link types with an http(s) URL are plain links (YouTube, extensions)', () => {
    const p = mapLinktreeProfile({
      account: account(),
      links: [{ id: 'yt', type: 'YOUTUBE_VIDEO', title: 'Video', url: 'https://www.youtube.com/watch?v=abc', position: 0 }],
    });
    expect(p.links[0]).toMatchObject({ id: 'yt', type: 'link', url: 'https://www.youtube.com/watch?v=abc' });
  });

  it('non-header links without an http(s) URL are left out', () => {
    const p = mapLinktreeProfile({
      account: account(),
      links: [
        { id: 'js', type: 'CLASSIC', title: 'JS', url: 'javascript:alert(1)', position: 0 },
        { id: 'empty', type: 'CLASSIC', title: 'Empty', url: '', position: 1 },
        { id: 'none', type: 'CLASSIC', title: 'None', position: 2 },
        { id: 'rel', type: 'CLASSIC', title: 'Relative', url: '/x', position: 3 },
        { id: 'ok', type: 'CLASSIC', title: 'OK', url: 'http://example.com/', position: 4 },
      ],
    });
    expect(p.links.map((l) => l.id)).toEqual(['ok']);
  });

  it('a link of an unreadable shape is left out, the rest kept; missing position and title fall back', () => {
    const p = mapLinktreeProfile({
      account: account(),
      links: [{ title: 'no id', url: 'https://example.com/' }, 'junk', { id: 7, url: 'https://example.com/7' }],
    });
    expect(p.links).toEqual([{ id: '7', title: '', url: 'https://example.com/7', position: 2, enabled: true, type: 'link' }]);
  });

  it('socials from socialLinks ({type, url}), http(s) or mailto only, type kept as is', () => {
    const p = mapLinktreeProfile({
      account: account(),
      socialLinks: [
        { type: 'INSTAGRAM', url: 'https://instagram.com/jane', position: 0 },
        { type: 'EMAIL_ADDRESS', url: 'mailto:jane@example.com' },
        { type: 'BAD', url: 'javascript:alert(1)' },
        { type: 'TEL', url: 'tel:+100' },
        { url: 'https://no-type.example' },
      ],
    });
    expect(p.socials).toEqual([
      { type: 'INSTAGRAM', url: 'https://instagram.com/jane' },
      { type: 'EMAIL_ADDRESS', url: 'mailto:jane@example.com' },
    ]);
    expect(mapLinktreeProfile({ account: account() }).socials).toEqual([{ type: 'TIKTOK', url: 'https://tiktok.com/@jane' }]);
    expect(mapLinktreeProfile({ account: account({ socialLinks: undefined }) }).socials).toEqual([]);
  });

  it('theme: pageProps.theme, else account.theme, else {}', () => {
    expect(mapLinktreeProfile({ account: account(), theme: { key: 'page' } }).theme).toEqual({ key: 'page' });
    expect(mapLinktreeProfile({ account: account() }).theme).toEqual({ key: 'account-theme' });
    expect(mapLinktreeProfile({ account: account({ theme: null }) }).theme).toEqual({});
    expect(mapLinktreeProfile({ account: account({ theme: 'dark' }) }).theme).toEqual({});
  });

  it('lastModified: account.updatedAt (epoch ms) as ISO, else createdAt, else the epoch', () => {
    expect(mapLinktreeProfile({ account: account() }).lastModified).toBe(new Date(1_700_000_000_000).toISOString());
    expect(mapLinktreeProfile({ account: account({ updatedAt: null }) }).lastModified).toBe(
      new Date(1_600_000_000_000).toISOString(),
    );
    expect(mapLinktreeProfile({ account: account({ updatedAt: 'garbage', createdAt: undefined }) }).lastModified).toBe(
      LAST_MODIFIED_FALLBACK,
    );
    expect(LAST_MODIFIED_FALLBACK).toBe('1970-01-01T00:00:00.000Z');
  });

  it('unknown fields are ignored and the result is a valid Profile', () => {
    const p = mapLinktreeProfile({
      account: account({ hasSensitiveContent: true, contentGating: { x: 1 } }),
      hasSensitiveContent: false,
      links: [
        {
          id: '1',
          type: 'CLASSIC',
          title: 't',
          url: 'https://e.com',
          position: 0,
          rules: { gate: {} },
          thumbnail: 'x',
          modifiers: {},
        },
      ],
    });
    expect(profileSchema.safeParse(p).success).toBe(true);
    expect(Object.keys(p).sort()).toEqual([
      'avatarUrl',
      'bio',
      'displayName',
      'id',
      'lastModified',
      'links',
      'socials',
      'theme',
      'username',
    ]);
    expect(Object.keys(p.links[0]).sort()).toEqual(['enabled', 'id', 'position', 'title', 'type', 'url']);
  });

  it('a missing account or username is a shape change (an origin failure, not a 404)', () => {
    const err = shapeError(() => mapLinktreeProfile({ links: [] }));
    expect(err).toBeInstanceOf(OriginUnavailableError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('ORIGIN_UNAVAILABLE');
    shapeError(() => mapLinktreeProfile({ account: null }));
    shapeError(() => mapLinktreeProfile({ account: account({ username: undefined }) }));
    shapeError(() => mapLinktreeProfile({ account: account({ username: '' }) }));
    shapeError(() => mapLinktreeProfile({ account: account({ uuid: undefined, id: undefined }) }));
    shapeError(() => mapLinktreeProfile('not an object'));
    shapeError(() => mapLinktreeProfile({ account: account(), links: 'nope' }));
  });
});

describe('mapNextData', () => {
  it('reads props.pageProps', () => {
    expect(mapNextData({ props: { pageProps: { account: account() } }, page: '/[profile]' }).username).toBe('jane');
  });

  it('without props.pageProps is a shape change', () => {
    shapeError(() => mapNextData({ props: {} }));
    shapeError(() => mapNextData(null));
    shapeError(() => mapNextData([]));
  });
});
