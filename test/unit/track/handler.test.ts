import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../../lambdas/core/profile.ts';
import { ProfileNotFoundError } from '../../../lambdas/shared/errors.ts';
import type { EventPublisher, QueueEvent } from '../../../lambdas/core/events.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import {
  beaconEventId,
  MAX_LINK_ID,
  MAX_REFERRER,
  MAX_UTM,
  makeHandler,
  parseBeacon,
  type TrackDeps,
} from '../../../lambdas/track/handler.ts';
import { makeClickPublisher } from '../../../lambdas/wiring/track.ts';
import { makeVisitorHasher, visitorHash } from '../../../lambdas/core/visitors.ts';
import { apiEvent, lambdaContext } from '../../helpers/events.ts';
import { makeProfile } from '../../helpers/fakes.ts';

const CHROME = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const CHROME_FACTS = { device: 'desktop', browser: 'Chrome', os: 'macOS' };
const NOW = Date.parse('2026-03-01T12:00:00Z');

const profile: Profile = makeProfile('demo', {
  id: 'prof-1',
  displayName: 'Demo',
  bio: '',
  avatarUrl: '',
  lastModified: '2026-03-01T00:00:00Z',
  links: [
    { id: 'ok', title: 'Site', url: 'https://example.com/a?b=1', position: 0, enabled: true },
    { id: 'off', title: 'Off', url: 'https://example.com/off', position: 1, enabled: false },
    { id: 'js', title: 'Evil', url: 'javascript:alert(1)', position: 2, enabled: true },
    { id: 'rel', title: 'Relative', url: '/somewhere', position: 3, enabled: true },
  ],
});

class FakePublisher implements EventPublisher {
  published: QueueEvent[] = [];
  batches: QueueEvent[][] = [];
  failures = 0;
  hang = false;
  calls = 0;
  async publish(event: QueueEvent) {
    this.calls++;
    if (this.hang) return new Promise<void>(() => {});
    if (this.failures > 0) {
      this.failures--;
      throw new Error('SQS unavailable');
    }
    this.published.push(event);
  }
  async publishBatch(events: QueueEvent[]) {
    if (this.failures > 0) throw new Error('SQS unavailable');
    this.batches.push(events);
  }
}

const setup = (over: Partial<TrackDeps> = {}) => {
  const clicks = new FakePublisher();
  const beacons = new FakePublisher();
  const counted: string[] = [];
  const errors: Array<{ message: string; extra?: Record<string, unknown> }> = [];
  const deps: TrackDeps = {
    service: {
      profile: async (username: string) => {
        if (username !== 'demo') throw new ProfileNotFoundError(username);
        return { profile, outcome: 'HIT' as const };
      },
    },
    config: { cache: { linksTtlS: 120 } },
    clickPublisher: clicks,
    publisher: beacons,
    clickBudgetMs: 50,
    queueRetentionS: 4 * 86_400,
    telemetry: { count: (m: string) => void counted.push(m), warn: () => {} },
    log: { error: (message, extra) => void errors.push({ message, extra }) },
    now: () => NOW,
    ...over,
  };
  const handler = makeHandler(deps);
  const call = async (e: Parameters<typeof handler>[0]) => (await handler(e, lambdaContext('track'))) as HttpResult;
  return { clicks, beacons, counted, errors, call };
};

const click = (linkId: string, headers: Record<string, string> = { 'user-agent': CHROME }, method = 'GET', username = 'demo') =>
  apiEvent({ method, route: '/r/{username}/{linkId}', pathParameters: { username, linkId }, headers });

describe('GET /r/{username}/{linkId}', () => {
  it('302s to the link and publishes one link.clicked event with referrer and country', async () => {
    const t = setup();
    const res = await t.call(
      click('ok', { 'user-agent': CHROME, referer: 'https://www.instagram.com/', 'cloudfront-viewer-country': 'DE' }),
    );
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://example.com/a?b=1');
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(t.clicks.published).toHaveLength(1);
    const e = t.clicks.published[0];
    expect(e).toMatchObject({ type: 'link.clicked', occurredAt: '2026-03-01T12:00:00.000Z' });
    expect(e.data).toEqual({
      linkId: 'ok',
      profileId: 'prof-1',
      username: 'demo',
      referrer: 'https://www.instagram.com/',
      country: 'DE',
      device: 'desktop',
      browser: 'Chrome',
      os: 'macOS',
    });
    expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['an unknown link', 'nope', 'demo'],
    ['a disabled link', 'off', 'demo'],
    ['a javascript: URL', 'js', 'demo'],
    ['a relative URL', 'rel', 'demo'],
    ['an unknown profile', 'ok', 'ghost'],
  ])('404s for %s and publishes nothing', async (_, linkId, username) => {
    const t = setup();
    const res = await t.call(click(linkId, { 'user-agent': CHROME }, 'GET', username));
    expect(res.statusCode).toBe(404);
    expect(res.headers.location).toBeUndefined();
    expect(t.clicks.calls).toBe(0);
  });

  it('400s for an invalid username', async () => {
    const t = setup();
    expect((await t.call(click('ok', { 'user-agent': CHROME }, 'GET', 'bad name!'))).statusCode).toBe(400);
  });

  it('redirects HEAD requests without counting them', async () => {
    const t = setup();
    const res = await t.call(click('ok', { 'user-agent': CHROME }, 'HEAD'));
    expect(res.statusCode).toBe(302);
    expect(t.clicks.calls).toBe(0);
  });

  it.each(['Googlebot/2.1 (+http://www.google.com/bot.html)', 'facebookexternalhit/1.1', ''])(
    'redirects bots (%j) without counting them',
    async (ua) => {
      const t = setup();
      const res = await t.call(click('ok', ua ? { 'user-agent': ua } : {}));
      expect(res.statusCode).toBe(302);
      expect(t.clicks.calls).toBe(0);
    },
  );

  it('retried publish failures still redirect; a final failure is counted and logged with the full event', async () => {
    const t = setup();
    t.clicks.failures = 10;
    const res = await t.call(click('ok'));
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://example.com/a?b=1');
    expect(t.counted).toContain('ClickEventsDropped');
    expect(t.errors).toHaveLength(1);
    expect((t.errors[0].extra as { event: QueueEvent }).event.data).toMatchObject({ linkId: 'ok', profileId: 'prof-1' });
  });

  it('the click publisher retries a transient SQS failure within the budget (aws-sdk-client-mock)', async () => {
    const sqs = mockClient(SQSClient);
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    sqs.on(SendMessageCommand).rejectsOnce(throttled).resolves({ MessageId: 'm1' });
    const client = new SQSClient({ region: 'us-east-1' });
    const t = setup({ clickPublisher: makeClickPublisher(client, 'https://sqs.local/q', 300), clickBudgetMs: 300 });
    const res = await t.call(click('ok'));
    expect(res.statusCode).toBe(302);
    const sent = sqs.commandCalls(SendMessageCommand);
    expect(sent).toHaveLength(2);
    expect(JSON.parse(sent[1].args[0].input.MessageBody as string)).toMatchObject({
      type: 'link.clicked',
      data: { linkId: 'ok' },
    });
    expect(t.counted).not.toContain('ClickEventsDropped');
    sqs.restore();
  });

  it('a hanging queue delays the redirect by at most the publish budget', async () => {
    const t = setup({ clickBudgetMs: 30 });
    t.clicks.hang = true;
    const started = performance.now();
    const res = await t.call(click('ok'));
    expect(res.statusCode).toBe(302);
    expect(performance.now() - started).toBeLessThan(500);
    expect(t.counted).toContain('ClickEventsDropped');
  });
});

describe('GET /r/{username}/{linkId}: headers copied into the event', () => {
  it.each([
    ['a NUL', 'https://t.co/\u0000x'],
    ['a BEL', 'https://t.co/\u0007x'],
    ['a newline', 'https://t.co/\nx'],
    ['a lone surrogate', 'https://t.co/\uD800x'],
  ])('drops a Referer with %s and still redirects and counts', async (_, referer) => {
    const t = setup();
    const res = await t.call(click('ok', { 'user-agent': CHROME, referer, 'cloudfront-viewer-country': 'DE' }));
    expect(res.statusCode).toBe(302);
    expect(t.clicks.published).toHaveLength(1);
    expect(t.clicks.published[0].data).toEqual({
      ...CHROME_FACTS,
      linkId: 'ok',
      profileId: 'prof-1',
      username: 'demo',
      country: 'DE',
    });
  });

  it('cuts an over-long Referer to its bound without leaving half a surrogate pair', async () => {
    const t = setup();
    // The cut falls between the two halves of an emoji: the high half must go too.
    const referer = `https://t.co/${'a'.repeat(MAX_REFERRER - 'https://t.co/'.length - 1)}😀tail`;
    await t.call(click('ok', { 'user-agent': CHROME, referer }));
    const kept = t.clicks.published[0].data.referrer as string;
    expect(kept).toBe(referer.slice(0, MAX_REFERRER - 1));
    expect(kept.isWellFormed()).toBe(true);
  });

  it.each([
    ['a NUL', 'D\u0000'],
    ['a control character', '\u0007E'],
    ['a lone surrogate', '\uD800'],
    ['an over-long value', 'X'.repeat(17)],
  ])('drops a CloudFront-Viewer-Country with %s', async (_, country) => {
    const t = setup();
    const res = await t.call(click('ok', { 'user-agent': CHROME, 'cloudfront-viewer-country': country }));
    expect(res.statusCode).toBe(302);
    expect(t.clicks.published[0].data).not.toHaveProperty('country');
  });
});

const beacon = (body: unknown, ua = CHROME, extra: Record<string, string> = {}) =>
  apiEvent({
    method: 'POST',
    route: '/api/events',
    headers: { 'user-agent': ua, 'content-type': 'application/json', ...extra },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /api/events', () => {
  it('202s and publishes the batch with profile ids, keeping occurredAt', async () => {
    const t = setup();
    const res = await t.call(
      beacon(
        {
          events: [
            { type: 'profile.viewed', username: 'Demo', referrer: 'https://t.co/x' },
            { type: 'link.clicked', username: 'demo', linkId: 'ok', occurredAt: '2026-03-01T11:59:00Z' },
          ],
        },
        CHROME,
        { 'cloudfront-viewer-country': 'FR' },
      ),
    );
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body as string)).toEqual({ accepted: 2, counted: 2 });
    expect(t.beacons.batches).toHaveLength(1);
    const [v, c] = t.beacons.batches[0];
    expect(v).toMatchObject({
      type: 'profile.viewed',
      occurredAt: '2026-03-01T12:00:00.000Z',
      data: { profileId: 'prof-1', username: 'demo', referrer: 'https://t.co/x', country: 'FR' },
    });
    expect(c).toMatchObject({
      type: 'link.clicked',
      occurredAt: '2026-03-01T11:59:00.000Z',
      data: { profileId: 'prof-1', linkId: 'ok' },
    });
    expect(v.id).not.toBe(c.id);
  });

  it.each([
    ['not JSON', '{"events": ['],
    ['no events', { events: [] }],
    ['101 events', { events: Array.from({ length: 101 }, () => ({ type: 'profile.viewed', username: 'demo' })) }],
    ['an unknown type', { events: [{ type: 'profile.updated', username: 'demo' }] }],
    ['a bad username', { events: [{ type: 'profile.viewed', username: 'no spaces' }] }],
    ['a click without linkId', { events: [{ type: 'link.clicked', username: 'demo' }] }],
    ['occurredAt without a zone', { events: [{ type: 'profile.viewed', username: 'demo', occurredAt: '2026-03-01T12:00:00' }] }],
    [
      'occurredAt 6 minutes ahead',
      { events: [{ type: 'profile.viewed', username: 'demo', occurredAt: '2026-03-01T12:06:00Z' }] },
    ],
    ['occurredAt 5 days old', { events: [{ type: 'profile.viewed', username: 'demo', occurredAt: '2026-02-24T12:00:00Z' }] }],
    [
      'one bad event among good ones',
      {
        events: [
          { type: 'profile.viewed', username: 'demo' },
          { type: 'link.clicked', username: 'demo' },
        ],
      },
    ],
  ])('400s for %s and enqueues nothing', async (_, body) => {
    const t = setup();
    const res = await t.call(beacon(body));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body as string).error.code).toBe('INVALID_REQUEST');
    expect(t.beacons.batches).toEqual([]);
  });

  it('accepts 100 events and occurredAt 4 minutes ahead', async () => {
    const t = setup();
    const events = Array.from({ length: 100 }, () => ({
      type: 'profile.viewed',
      username: 'demo',
      occurredAt: '2026-03-01T12:04:00Z',
    }));
    expect((await t.call(beacon({ events }))).statusCode).toBe(202);
    expect(t.beacons.batches[0]).toHaveLength(100);
  });

  it('404s when a username is unknown, enqueueing nothing', async () => {
    const t = setup();
    const res = await t.call(
      beacon({
        events: [
          { type: 'profile.viewed', username: 'demo' },
          { type: 'profile.viewed', username: 'ghost' },
        ],
      }),
    );
    expect(res.statusCode).toBe(404);
    expect(t.beacons.batches).toEqual([]);
  });

  it('202s for bots without enqueueing', async () => {
    const t = setup();
    const res = await t.call(beacon({ events: [{ type: 'profile.viewed', username: 'demo' }] }, 'Googlebot/2.1'));
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body as string)).toEqual({ accepted: 1, counted: 0 });
    expect(t.beacons.batches).toEqual([]);
  });

  it('503s when the queue does not take every event', async () => {
    const t = setup();
    t.beacons.failures = 1;
    const res = await t.call(beacon({ events: [{ type: 'profile.viewed', username: 'demo' }] }));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
  });
});

describe('POST /api/events: only storable text is enqueued', () => {
  const view = (over: Record<string, unknown>) => ({ type: 'profile.viewed', username: 'demo', ...over });
  const clicked = (over: Record<string, unknown>) => ({ type: 'link.clicked', username: 'demo', linkId: 'ok', ...over });
  const CONTROL = 'must not contain control characters';
  const SURROGATE = 'must not contain unpaired surrogates';

  it.each([
    ['linkId', 'U+0000 (NUL)', clicked({ linkId: 'lnk_shop\u0000x' }), `events.0.linkId: ${CONTROL}`],
    ['linkId', 'U+0007 (BEL)', clicked({ linkId: 'lnk\u0007' }), `events.0.linkId: ${CONTROL}`],
    ['linkId', 'U+D800 (a lone surrogate)', clicked({ linkId: 'lnk\uD800' }), `events.0.linkId: ${SURROGATE}`],
    [
      'linkId',
      'over-length',
      clicked({ linkId: 'l'.repeat(MAX_LINK_ID + 1) }),
      `events.0.linkId: Too big: expected string to have <=${MAX_LINK_ID} characters`,
    ],
    ['referrer', 'U+0000 (NUL)', view({ referrer: 'https://t.co/\u0000' }), `events.0.referrer: ${CONTROL}`],
    ['referrer', 'U+0007 (BEL)', view({ referrer: 'https://t.co/\u0007' }), `events.0.referrer: ${CONTROL}`],
    ['referrer', 'U+D800 (a lone surrogate)', view({ referrer: 'https://t.co/\uD800' }), `events.0.referrer: ${SURROGATE}`],
    [
      'referrer',
      'over-length',
      view({ referrer: `https://t.co/${'x'.repeat(MAX_REFERRER)}` }),
      `events.0.referrer: Too big: expected string to have <=${MAX_REFERRER} characters`,
    ],
    ['username', 'U+0000 (NUL)', view({ username: 'demo\u0000' }), `events.0.username: ${CONTROL}`],
    ['username', 'U+0007 (BEL)', view({ username: '\u0007demo' }), `events.0.username: ${CONTROL}`],
    ['username', 'U+D800 (a lone surrogate)', view({ username: 'demo\uD800' }), `events.0.username: ${SURROGATE}`],
    ['username', 'over-length', view({ username: 'd'.repeat(31) }), 'events.0.username: username must be 1-30'],
    [
      'occurredAt',
      'U+0000 (NUL)',
      view({ occurredAt: '2026-03-01T12:00:00Z\u0000' }),
      'events.0.occurredAt: Invalid ISO datetime',
    ],
    [
      'occurredAt',
      'U+0007 (BEL)',
      view({ occurredAt: '\u00072026-03-01T12:00:00Z' }),
      'events.0.occurredAt: Invalid ISO datetime',
    ],
    [
      'occurredAt',
      'U+D800 (a lone surrogate)',
      view({ occurredAt: '2026-03-01T12:00:00Z\uD800' }),
      'events.0.occurredAt: Invalid ISO datetime',
    ],
    [
      'occurredAt',
      'over-length',
      view({ occurredAt: `2026-03-01T12:00:00.${'0'.repeat(100)}Z` }),
      'events.0.occurredAt: Too big: expected string to have <=40 characters',
    ],
    ['id', 'U+0000 (NUL)', view({ id: '0b7e6a1c-2f5d-4c1e-9b8a-1234567890a\u0000' }), `events.0.id: ${CONTROL}`],
    ['id', 'U+0007 (BEL)', view({ id: '\u00070b7e6a1c-2f5d-4c1e-9b8a-1234567890ab' }), `events.0.id: ${CONTROL}`],
    ['id', 'U+D800 (a lone surrogate)', view({ id: '0b7e6a1c-2f5d-4c1e-9b8a-1234567890a\uD800' }), `events.0.id: ${SURROGATE}`],
    ['id', 'over-length', view({ id: '0b7e6a1c-2f5d-4c1e-9b8a-1234567890abcd' }), 'events.0.id: must be a UUID'],
    ['id', 'not a UUID', view({ id: 'resend-1' }), 'events.0.id: must be a UUID'],
    ['utm.source', 'U+0000 (NUL)', view({ utm: { source: 'ig\u0000' } }), `events.0.utm.source: ${CONTROL}`],
    ['utm.medium', 'U+0007 (BEL)', view({ utm: { medium: 'social\u0007' } }), `events.0.utm.medium: ${CONTROL}`],
    [
      'utm.campaign',
      'U+D800 (a lone surrogate)',
      view({ utm: { campaign: 'spring\uD800' } }),
      `events.0.utm.campaign: ${SURROGATE}`,
    ],
    [
      'utm.content',
      'over-length',
      view({ utm: { content: 'c'.repeat(MAX_UTM + 1) } }),
      `events.0.utm.content: Too big: expected string to have <=${MAX_UTM} characters`,
    ],
    ['utm', 'not an object', view({ utm: 'ig' }), 'events.0.utm: Invalid input: expected object, received string'],
  ])('400s for %s with %s and enqueues nothing', async (_field, _what, event, message) => {
    const t = setup();
    const res = await t.call(beacon({ events: [view({}), event] }));
    expect(res.statusCode).toBe(400);
    const error = JSON.parse(res.body as string).error;
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain(message.replace('events.0', 'events.1'));
    expect(t.beacons.batches).toEqual([]);
  });

  it('the anonymous beacon from the field is refused at the edge', async () => {
    const t = setup();
    const res = await t.call(beacon('{"events":[{"type":"link.clicked","username":"demo","linkId":"lnk_shop\\u0000x"}]}'));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body as string).error.message).toBe(
      'Invalid events: events.0.linkId: must not contain control characters.',
    );
    expect(t.beacons.batches).toEqual([]);
  });

  it('keeps safe text: emoji, accents and right-to-left scripts', async () => {
    const t = setup();
    const res = await t.call(beacon({ events: [clicked({ linkId: 'lnk_😀_é_שלום', utm: { campaign: 'été 😀' } })] }));
    expect(res.statusCode).toBe(202);
    expect(t.beacons.batches[0][0].data).toMatchObject({ linkId: 'lnk_😀_é_שלום', utm: { campaign: 'été 😀' } });
  });

  it('drops a garbled CloudFront-Viewer-Country instead of refusing the beacon', async () => {
    const t = setup();
    const res = await t.call(beacon({ events: [view({})] }, CHROME, { 'cloudfront-viewer-country': 'F\u0000' }));
    expect(res.statusCode).toBe(202);
    expect(t.beacons.batches[0][0].data).not.toHaveProperty('country');
  });
});

describe('POST /api/events: client ids and utm', () => {
  const CLIENT_ID = '0B7E6A1C-2F5D-4C1E-9B8A-1234567890AB';

  it('a resend of the same beacon carries the same event ids; other events keep random ones', async () => {
    const t = setup();
    const body = {
      events: [
        { type: 'link.clicked', username: 'demo', linkId: 'ok', id: CLIENT_ID },
        { type: 'profile.viewed', username: 'demo', id: CLIENT_ID.toLowerCase() },
        { type: 'profile.viewed', username: 'demo' },
      ],
    };
    expect((await t.call(beacon(body))).statusCode).toBe(202);
    expect((await t.call(beacon(body))).statusCode).toBe(202);
    const [first, second] = t.beacons.batches;
    expect(second[0].id).toBe(first[0].id);
    expect(second[1].id).toBe(first[1].id);
    // Namespaced by type (and profile): the same client id on a view is another event.
    expect(first[1].id).not.toBe(first[0].id);
    expect(first[0].id).toBe(beaconEventId('prof-1', 'link.clicked', CLIENT_ID));
    expect(first[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Without a client id, as before: a fresh id per request, time-ordered (version 7).
    expect(second[2].id).not.toBe(first[2].id);
    expect(first[2].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('derives the id from the profile, the type and the client id, and from nothing else', () => {
    const id = beaconEventId('prof-1', 'link.clicked', CLIENT_ID);
    expect(beaconEventId('prof-1', 'link.clicked', CLIENT_ID.toLowerCase())).toBe(id);
    expect(beaconEventId('prof-2', 'link.clicked', CLIENT_ID)).not.toBe(id);
    expect(beaconEventId('prof-1', 'profile.viewed', CLIENT_ID)).not.toBe(id);
    // The separator keeps fields apart: moving characters between them changes the id.
    expect(beaconEventId('prof-1l', 'ink.clicked', CLIENT_ID)).not.toBe(id);
    // A client cannot pick the queue id: sending a derived id as its own gives yet another one.
    expect(beaconEventId('prof-1', 'link.clicked', id)).not.toBe(id);
  });

  it('carries utm in the event data, without empty values', async () => {
    const t = setup();
    const res = await t.call(
      beacon({
        events: [
          { type: 'profile.viewed', username: 'demo', utm: { source: 'ig', medium: '', campaign: 'spring', extra: 'x' } },
          { type: 'profile.viewed', username: 'demo', utm: { source: '' } },
          { type: 'profile.viewed', username: 'demo' },
        ],
      }),
    );
    expect(res.statusCode).toBe(202);
    const [a, b, c] = t.beacons.batches[0];
    expect(a.data.utm).toEqual({ source: 'ig', campaign: 'spring' });
    expect(b.data).not.toHaveProperty('utm');
    expect(c.data).not.toHaveProperty('utm');
  });
});

describe('edge dimensions and visitors', () => {
  const SALT = Buffer.alloc(32, 7);
  const hasher = (fail = false) => {
    const seen: Array<[number, string | undefined, string, string]> = [];
    return {
      seen,
      visitors: makeVisitorHasher({
        store: {
          saltFor: async () => {
            if (fail) throw new Error('DynamoDB unavailable');
            return { salt: SALT, createdAt: NOW - 1_000 };
          },
        },
        telemetry: { count: () => {}, warn: () => {} },
        metric: 'VisitorSaltUnavailable',
        now: () => NOW,
      }),
    };
  };

  it('a click carries visitor, day, region, city and the utm_* of its URL', async () => {
    const h = hasher();
    const t = setup({ visitors: h.visitors });
    const e = apiEvent({
      route: '/r/{username}/{linkId}',
      pathParameters: { username: 'demo', linkId: 'ok' },
      query: { utm_source: 'ig', utm_campaign: 'spring', utm_medium: 'bad\u0000', other: 'x' },
      headers: {
        'user-agent': CHROME,
        'cloudfront-viewer-address': '198.51.100.10:46532',
        'cloudfront-viewer-country-region': 'wa',
        'cloudfront-viewer-city': 'S%C3%A3o%20Paulo',
      },
    });
    expect((await t.call(e)).statusCode).toBe(302);
    const data = t.clicks.published[0].data;
    expect(data).toMatchObject({ ...CHROME_FACTS, region: 'WA', city: 'São Paulo', day: '2026-03-01' });
    expect(data.utm).toEqual({ source: 'ig', campaign: 'spring' });
    // The viewer address wins over the connection's source (CloudFront's own address).
    expect(data.visitor).toBe(visitorHash(SALT, '198.51.100.10', CHROME, 'demo'));
  });

  it('without CloudFront the source IP is the visitor IP; garbled region/city are dropped', async () => {
    const t = setup({ visitors: hasher().visitors });
    const e = apiEvent({
      route: '/r/{username}/{linkId}',
      pathParameters: { username: 'demo', linkId: 'ok' },
      sourceIp: '127.0.0.2',
      headers: { 'user-agent': CHROME, 'cloudfront-viewer-country-region': 'W A', 'cloudfront-viewer-city': 'x\u0000' },
    });
    expect((await t.call(e)).statusCode).toBe(302);
    const data = t.clicks.published[0].data;
    expect(data.visitor).toBe(visitorHash(SALT, '127.0.0.2', CHROME, 'demo'));
    expect(data).not.toHaveProperty('region');
    expect(data).not.toHaveProperty('city');
  });

  it('a failing salt store: the click is still redirected and counted, without visitor', async () => {
    const t = setup({ visitors: hasher(true).visitors });
    expect((await t.call(click('ok'))).statusCode).toBe(302);
    expect(t.clicks.published).toHaveLength(1);
    expect(t.clicks.published[0].data).not.toHaveProperty('visitor');
  });

  it('beacon events get the visitor of their own day; one older than yesterday gets none', async () => {
    const t = setup({ visitors: hasher().visitors });
    const res = await t.call(
      beacon({
        events: [
          { type: 'profile.viewed', username: 'demo' },
          { type: 'profile.viewed', username: 'demo', occurredAt: '2026-02-27T12:00:00Z' },
        ],
      }),
    );
    expect(res.statusCode).toBe(202);
    const [today, old] = t.beacons.batches[0];
    expect(today.data).toMatchObject({ visitor: expect.stringMatching(/^[0-9a-f]{32}$/), day: '2026-03-01', ...CHROME_FACTS });
    expect(old.data).not.toHaveProperty('visitor');
    expect(old.data.day).toBe('2026-02-27');
  });
});

describe('parseBeacon', () => {
  it('keeps the events it validated', () => {
    expect(parseBeacon('{"events":[{"type":"profile.viewed","username":"demo","extra":1}]}', NOW, 100).events).toEqual([
      { type: 'profile.viewed', username: 'demo' },
    ]);
  });
});
