import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../../lambdas/admin/handler.ts';
import type { LinkUpdate, Profile } from '../../../lambdas/core/profile.ts';
import { ProfileNotFoundError } from '../../../lambdas/shared/errors.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { apiEvent, lambdaContext } from '../../helpers/events.ts';
import { FakeInvalidator, FakePublisher } from '../../helpers/write-fakes.ts';

const TOKEN = 'admin-token-for-tests';

const profile = (over: Partial<Profile> = {}): Profile => ({
  id: 'prof_alice',
  username: 'alice',
  displayName: 'Alice',
  bio: '',
  avatarUrl: 'https://example.com/a.png',
  links: [{ id: 'l1', title: 'Site', url: 'https://example.com', position: 0, enabled: true }],
  theme: {},
  lastModified: '2026-01-01T00:00:00.000Z',
  ...over,
});

const setup = () => {
  const invalidator = new FakeInvalidator();
  const publisher = new FakePublisher();
  const originCalls: Array<{ id: string; links: LinkUpdate[] }> = [];
  const profiles = new Map([['alice', profile()]]);
  const handler = makeHandler({
    adminToken: async () => TOKEN,
    service: {
      profile: async (username: string) => {
        const p = profiles.get(username);
        if (!p) throw new ProfileNotFoundError(username);
        return { profile: p, outcome: 'HIT' as const };
      },
    },
    origin: {
      updateLinks: async (id: string, links: LinkUpdate[]) => {
        originCalls.push({ id, links });
        return profile({
          links: [
            ...profile().links,
            { id: 'l2', title: links[0].title ?? '', url: links[0].url ?? '', position: 1, enabled: true },
          ],
        });
      },
    },
    invalidator,
    publisher,
    analytics: {
      store: () => {
        throw new Error('no analytics in these tests');
      },
      cache: () => undefined,
      ttlS: () => 0,
    },
  });
  const call = async (input: {
    method: 'PATCH' | 'POST';
    route: string;
    username: string;
    token: string | null;
    body?: string;
  }) =>
    (await handler(
      apiEvent({
        method: input.method,
        route: input.route,
        pathParameters: { username: input.username },
        headers: input.token === null ? {} : { authorization: `Bearer ${input.token}` },
        body: input.body,
      }),
      lambdaContext('admin'),
    )) as HttpResult;
  const patch = (body: unknown, token: string | null = TOKEN, username = 'alice') =>
    call({
      method: 'PATCH',
      route: '/api/profiles/{username}/links',
      username,
      token,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const invalidate = (username: string, token: string | null = TOKEN) =>
    call({ method: 'POST', route: '/api/cache/invalidate/{username}', username, token });
  return { invalidator, publisher, originCalls, patch, invalidate };
};

const code = (res: HttpResult) => JSON.parse(res.body as string).error.code;

describe('admin auth', () => {
  it.each([
    ['no token', null],
    ['a wrong token of the same length', 'x'.repeat(TOKEN.length)],
    ['a wrong token of another length', 'short'],
    ['the token with a suffix', `${TOKEN}x`],
    ['an empty bearer', ''],
  ])('refuses %s with 401 UNAUTHORIZED', async (_, token) => {
    const t = setup();
    const res = await t.invalidate('alice', token);
    expect(res.statusCode).toBe(401);
    expect(code(res)).toBe('UNAUTHORIZED');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(t.invalidator.calls).toEqual([]);
  });

  it('checks the token before the username', async () => {
    const t = setup();
    expect((await t.invalidate('not a valid name!', 'wrong')).statusCode).toBe(401);
    expect((await t.patch({ links: [{ url: 'javascript:x' }] }, null, '../etc')).statusCode).toBe(401);
    expect((await t.invalidate('not a valid name!')).statusCode).toBe(400);
  });
});

describe('POST /api/cache/invalidate/{username}', () => {
  it('invalidates the lower-cased username and answers {invalidated: true}', async () => {
    const t = setup();
    const res = await t.invalidate('Alice');
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body as string)).toEqual({ invalidated: true });
    expect(t.invalidator.calls).toEqual([{ username: 'alice' }]);
  });

  it('answers 503 when the cache cannot be reached', async () => {
    const t = setup();
    t.invalidator.fail = true;
    expect((await t.invalidate('alice')).statusCode).toBe(503);
  });
});

describe('PATCH /api/profiles/{username}/links', () => {
  it.each([
    'javascript:alert(1)',
    'data:text/html,<script>x</script>',
    'ftp://example.com/x',
    'not a url',
    'JAVASCRIPT:alert(1)',
  ])('refuses url %s with 400 and changes nothing', async (url) => {
    const t = setup();
    const res = await t.patch({ links: [{ id: 'l1', url }] });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body as string).error.message).toMatch(/links\.0\.url/);
    expect(t.originCalls).toEqual([]);
    expect(t.invalidator.calls).toEqual([]);
    expect(t.publisher.published).toEqual([]);
  });

  it.each([
    ['malformed JSON', '{links:'],
    ['no links', {}],
    ['an empty list', { links: [] }],
    ['an unknown field', { links: [{ id: 'l1', colour: 'red' }] }],
    ['a non-boolean enabled', { links: [{ id: 'l1', enabled: 'yes' }] }],
    ['a negative position', { links: [{ id: 'l1', position: -1 }] }],
  ])('refuses %s with 400', async (_, body) => {
    const t = setup();
    const res = await t.patch(body);
    expect(res.statusCode).toBe(400);
    expect(t.originCalls).toEqual([]);
  });

  it.each([
    ['id', 'U+0000 (NUL)', { id: 'l1\u0000' }, 'links.0.id: must not contain control characters'],
    ['id', 'U+0007 (BEL)', { id: '\u0007l1' }, 'links.0.id: must not contain control characters'],
    ['id', 'U+D800 (a lone surrogate)', { id: 'l1\uD800' }, 'links.0.id: must not contain unpaired surrogates'],
    ['id', 'over-length', { id: 'l'.repeat(101) }, 'links.0.id: Too big: expected string to have <=100 characters'],
    ['title', 'U+0000 (NUL)', { id: 'l1', title: 'Shop\u0000' }, 'links.0.title: must not contain control characters'],
    ['title', 'U+0007 (BEL)', { id: 'l1', title: 'Shop\u0007' }, 'links.0.title: must not contain control characters'],
    ['title', 'a tab', { id: 'l1', title: 'Shop\there' }, 'links.0.title: must not contain control characters'],
    ['title', 'a newline', { id: 'l1', title: 'Shop\nhere' }, 'links.0.title: must not contain control characters'],
    [
      'title',
      'U+D800 (a lone surrogate)',
      { id: 'l1', title: 'Shop \uD800' },
      'links.0.title: must not contain unpaired surrogates',
    ],
    ['title', 'over-length', { id: 'l1', title: 't'.repeat(301) }, 'links.0.title: Too big: expected string to have <=300'],
    ['url', 'U+0000 (NUL)', { id: 'l1', url: 'https://example.com/\u0000' }, 'links.0.url: must not contain control characters'],
    ['url', 'U+0007 (BEL)', { id: 'l1', url: 'https://example.com/\u0007' }, 'links.0.url: must not contain control characters'],
    [
      'url',
      'U+D800 (a lone surrogate)',
      { id: 'l1', url: 'https://example.com/\uD800' },
      'links.0.url: must not contain unpaired surrogates',
    ],
    [
      'url',
      'over-length',
      { id: 'l1', url: `https://example.com/${'u'.repeat(2048)}` },
      'links.0.url: Too big: expected string to have <=2048',
    ],
  ])('refuses a link %s with %s: 400, and changes nothing', async (_field, _what, link, message) => {
    const t = setup();
    const res = await t.patch({ links: [{ id: 'l0', title: 'ok' }, link] });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body as string).error.message).toContain(message.replace('links.0', 'links.1'));
    expect(t.originCalls).toEqual([]);
    expect(t.invalidator.calls).toEqual([]);
    expect(t.publisher.published).toEqual([]);
  });

  it('keeps a title with emoji and accents', async () => {
    const t = setup();
    const res = await t.patch({ links: [{ title: 'Café 😀 שלום', url: 'https://example.com/new' }] });
    expect(res.statusCode).toBe(200);
    expect(t.originCalls[0].links[0].title).toBe('Café 😀 שלום');
  });

  it('forwards to the origin by profile id, invalidates, publishes links.updated and returns the new profile', async () => {
    const t = setup();
    const res = await t.patch({ links: [{ title: 'New', url: 'https://example.com/new' }] });
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body as string) as Profile;
    expect(body.links.map((l) => l.url)).toContain('https://example.com/new');
    expect(t.originCalls).toEqual([{ id: 'prof_alice', links: [{ title: 'New', url: 'https://example.com/new' }] }]);
    expect(t.invalidator.calls).toEqual([{ profileId: 'prof_alice', username: 'alice' }]);
    expect(t.publisher.published).toHaveLength(1);
    expect(t.publisher.published[0]).toMatchObject({
      type: 'links.updated',
      data: { profileId: 'prof_alice', username: 'alice' },
    });
  });

  it('answers 404 for an unknown profile without calling the origin update', async () => {
    const t = setup();
    const res = await t.patch({ links: [{ id: 'l1', enabled: false }] }, TOKEN, 'nobody');
    expect(res.statusCode).toBe(404);
    expect(t.originCalls).toEqual([]);
  });

  it('says the write is incomplete when invalidation fails after the origin changed', async () => {
    const t = setup();
    t.invalidator.fail = true;
    const res = await t.patch({ links: [{ id: 'l1', enabled: false }] });
    expect(res.statusCode).toBe(503);
    expect(code(res)).toBe('WRITE_INCOMPLETE');
    expect(JSON.parse(res.body as string).error.message).toContain('/api/cache/invalidate/alice');
  });

  it('answers 503 when links.updated cannot be published', async () => {
    const t = setup();
    t.publisher.failures = 1;
    const res = await t.patch({ links: [{ id: 'l1', enabled: false }] });
    expect(res.statusCode).toBe(503);
    expect(t.invalidator.calls).toHaveLength(1);
  });
});
