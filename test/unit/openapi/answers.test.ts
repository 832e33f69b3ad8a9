// What the handlers really answer conforms to the API description: each JSON answer of the real
// handlers (over in-memory fakes) validates against the documented schema of its route and status,
// and against the zod schema written beside the code that builds it (health, analytics, beacons,
// webhooks, oEmbed). The analytics query schema accepts exactly the forms parseAnalyticsQuery reads.
import { describe, expect, it } from 'vitest';
import { makeHandler as makeAdminHandler } from '../../../lambdas/admin/handler.ts';
import { analyticsAnswerSchema, invalidateAnswerSchema } from '../../../lambdas/admin/schemas.ts';
import { routeKey, routes } from '../../../lambdas/contracts/routes.ts';
import { analyticsQuerySchema, analyticsReportSchema } from '../../../lambdas/core/analytics-schemas.ts';
import { type AnalyticsQuery, type AnalyticsStore, denseSeries, parseAnalyticsQuery } from '../../../lambdas/core/analytics.ts';
import { linksAnswerSchema } from '../../../lambdas/core/profile-schemas.ts';
import type { LinkUpdate } from '../../../lambdas/core/profile.ts';
import { openApiDocument } from '../../../lambdas/openapi/document.ts';
import { oembedAnswerSchema } from '../../../lambdas/pages/oembed-schema.ts';
import { makeHandler as makeProfileHandler } from '../../../lambdas/profile/handler.ts';
import { makeHandler as makeSiteHandler } from '../../../lambdas/site/handler.ts';
import { healthAnswerSchema } from '../../../lambdas/shared/health-schema.ts';
import { checkHealth } from '../../../lambdas/shared/health.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { makeHandler as makeTrackHandler } from '../../../lambdas/track/handler.ts';
import { beaconAnswerSchema } from '../../../lambdas/track/schemas.ts';
import { makeHandler as makeWebhookHandler } from '../../../lambdas/webhook/handler.ts';
import { webhookAnswerSchema } from '../../../lambdas/webhook/schemas.ts';
import { demoProfiles } from '../../../local/demo-profiles.ts';
import { apiEvent, lambdaContext } from '../../helpers/events.ts';
import { demoHandler } from '../../helpers/pages.ts';
import { newWebhookSecret, signWebhook, webhookBody } from '../../helpers/webhooks.ts';
import { FakeInvalidator, FakePublisher, MemoryIdempotency } from '../../helpers/write-fakes.ts';
import { documentValidator } from './validate.ts';

const v = documentValidator(openApiDocument);
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const TOKEN = 'admin-token-for-tests';

/** The answer's status is documented for its route and its JSON body validates against the schema given there. */
const expectDocumented = (method: string, path: string, r: HttpResult): unknown => {
  expect(v.response(method, path, r.statusCode), `${method} ${path} ${r.statusCode}`).toBeDefined();
  const body = JSON.parse(r.body as string);
  expect(v.checkAnswer(method, path, r.statusCode, body), `${method} ${path} ${r.statusCode}: ${r.body}`).toBeUndefined();
  return body;
};

describe('the profile function (and oEmbed) answers as documented', () => {
  it('GET /api/profiles/{username}: 200 Profile, and its 400 and 404', async () => {
    const t = demoHandler(makeProfileHandler);
    const path = '/api/profiles/{username}';
    const r = await t.call({ route: path, pathParameters: { username: 'demo' } });
    expect(r.statusCode).toBe(200);
    const profile = expectDocumented('GET', path, r) as Record<string, unknown>;
    // The check can fail: a profile with a field missing, of another type, or one more, is refused.
    const { bio: _bio, ...noBio } = profile;
    for (const wrong of [noBio, { ...profile, links: 'none' }, { ...profile, extra: 1 }]) {
      expect(v.checkAnswer('GET', path, 200, wrong)).toBeDefined();
    }
    expectDocumented('GET', path, await t.call({ route: path, pathParameters: { username: 'no-dashes!' } }));
    expectDocumented('GET', path, await t.call({ route: path, pathParameters: { username: 'nobody' } }));
  });

  it('GET /api/profiles/{username}/links: 200 LinksAnswer (zod and JSON Schema)', async () => {
    const t = demoHandler(makeProfileHandler);
    const path = '/api/profiles/{username}/links';
    const r = await t.call({ route: path, pathParameters: { username: 'demo' } });
    expect(r.statusCode).toBe(200);
    expect(linksAnswerSchema.safeParse(expectDocumented('GET', path, r)).success).toBe(true);
  });

  it('GET /health: the answer checkHealth gives, with every state of a dependency', async () => {
    const t = demoHandler(makeProfileHandler);
    const r = await t.call({ route: '/health' });
    expect(healthAnswerSchema.safeParse(expectDocumented('GET', '/health', r)).success).toBe(true);
    const all = await checkHealth({
      a: async () => ({ status: 'up' }),
      b: async () => ({ status: 'disabled', detail: 'not configured' }),
      c: async () => {
        throw new Error('boom');
      },
    });
    expect(all.status).toBe('degraded');
    expect(healthAnswerSchema.safeParse(all).success).toBe(true);
    expect(v.checkComponent('Health', all)).toBeUndefined();
    // The schema can fail: a state the code never gives is refused.
    expect(v.checkComponent('Health', { status: 'fine', dependencies: {} })).toBeDefined();
  });

  it('GET /oembed: the rich answer, and its 400, 404 and 501', async () => {
    // Whichever function the table gives the route to.
    const fn = routes.find((r) => routeKey(r) === 'GET /oembed')?.fn;
    const t = demoHandler(fn === 'site' ? makeSiteHandler : makeProfileHandler);
    const q = (query: Record<string, string>) => t.call({ route: '/oembed', query }, 'links.example.com');
    const r = await q({ url: 'https://links.example.com/demo', maxwidth: '300' });
    expect(r.statusCode).toBe(200);
    expect(oembedAnswerSchema.safeParse(expectDocumented('GET', '/oembed', r)).success).toBe(true);
    const refused: Record<string, string>[] = [
      {},
      { url: 'https://elsewhere.example/demo' },
      { url: 'https://links.example.com/demo', format: 'xml' },
    ];
    for (const query of refused) {
      const e = await q(query);
      expect([400, 404, 501]).toContain(e.statusCode);
      expectDocumented('GET', '/oembed', e);
    }
  });
});

describe('the track function answers as documented', () => {
  const setup = () => {
    const profiles = new Map(demoProfiles().map((p) => [p.username, p]));
    const handler = makeTrackHandler({
      service: {
        profile: async (username: string) => {
          const profile = profiles.get(username);
          if (!profile) throw new (await import('../../../lambdas/shared/errors.ts')).ProfileNotFoundError(username);
          return { profile, outcome: 'HIT' as const };
        },
      },
      config: { cache: { linksTtlS: 120 } },
      clickPublisher: new FakePublisher(),
      publisher: new FakePublisher(),
      clickBudgetMs: 50,
      queueRetentionS: 4 * 86_400,
      telemetry: { count: () => {}, warn: () => {} },
      log: { error: () => {} },
    });
    return (body: unknown, ua = CHROME) =>
      handler(
        apiEvent({ method: 'POST', route: '/api/events', headers: { 'user-agent': ua }, body: JSON.stringify(body) }),
        lambdaContext('track'),
      ) as Promise<HttpResult>;
  };

  it('POST /api/events: 202 for people and bots, 400 and 404 with the error body', async () => {
    const post = setup();
    const example = v.operation('POST', '/api/events')?.requestBody?.content['application/json']?.example;
    const r = await post(example);
    expect(r.statusCode).toBe(202);
    expect(beaconAnswerSchema.safeParse(expectDocumented('POST', '/api/events', r)).success).toBe(true);
    expect(expectDocumented('POST', '/api/events', await post(example, 'curl/8.0'))).toEqual({ accepted: 2, counted: 0 });
    expectDocumented('POST', '/api/events', await post({ events: [] }));
    expectDocumented('POST', '/api/events', await post({ events: [{ type: 'profile.viewed', username: 'nobody' }] }));
  });
});

describe('the admin function answers as documented', () => {
  const setup = () => {
    const [demo] = demoProfiles();
    const store: AnalyticsStore = {
      apply: async () => ({ applied: 0, duplicates: 0, rows: 0 }),
      // What the Postgres store returns, built by the same dense-series code.
      report: async (_id: string, q: AnalyticsQuery) => ({
        totals: { views: 3, clicks: 2, visitors: 1 },
        series: denseSeries(q, [{ t: Math.floor(q.from.getTime() / 3_600_000) * 3_600_000, views: 3, clicks: 2, visitors: 1 }]),
        links: [{ linkId: 'lnk_shop', clicks: 2, uniqueClicks: 1 }],
        referrers: [{ referrer: '(direct)', clicks: 2 }],
        countries: [{ country: 'DE', clicks: 2 }],
        regions: [{ country: 'DE', region: 'BE', clicks: 2 }],
        cities: [{ country: 'DE', city: 'Berlin', clicks: 2 }],
        devices: [{ device: 'mobile', views: 3, clicks: 2 }],
        browsers: [{ browser: 'Safari', views: 3, clicks: 2 }],
        os: [{ os: 'iOS', views: 3, clicks: 2 }],
        utm: { source: [{ value: 'ig', views: 3, clicks: 2 }], medium: [], campaign: [] },
      }),
    };
    const handler = makeAdminHandler({
      adminToken: async () => TOKEN,
      service: { profile: async () => ({ profile: demo, outcome: 'HIT' as const }) },
      origin: { updateLinks: async (_id: string, _links: LinkUpdate[]) => demo },
      invalidator: new FakeInvalidator(),
      publisher: new FakePublisher(),
      analytics: { store: () => store, cache: () => undefined, ttlS: () => 0 },
    });
    return {
      store,
      call: (e: Parameters<typeof apiEvent>[0]) => handler(apiEvent(e), lambdaContext('admin')) as Promise<HttpResult>,
    };
  };
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('GET .../analytics: 200 AnalyticsAnswer, 400 and 401', async () => {
    const t = setup();
    const path = '/api/profiles/{username}/analytics';
    const r = await t.call({ route: path, pathParameters: { username: 'demo' }, query: { interval: '1h' }, headers: auth });
    expect(r.statusCode).toBe(200);
    const body = expectDocumented('GET', path, r) as Record<string, unknown>;
    expect(analyticsAnswerSchema.safeParse(body).success).toBe(true);
    const { username: _u, from: _f, to: _t, interval: _i, ...report } = body;
    expect(analyticsReportSchema.safeParse(report).success).toBe(true);
    expectDocumented(
      'GET',
      path,
      await t.call({ route: path, pathParameters: { username: 'demo' }, query: { interval: '5m' }, headers: auth }),
    );
    expectDocumented('GET', path, await t.call({ route: path, pathParameters: { username: 'demo' } }));
    const csv = await t.call({ route: path, pathParameters: { username: 'demo' }, query: { format: 'csv' }, headers: auth });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toMatch(/^t,views,clicks,visitors\r\n/);
    // The CSV form is documented beside the JSON one, with the header that names the file.
    const doc = JSON.parse(JSON.stringify(v.response('GET', path, 200)));
    expect(Object.keys(doc.content)).toContain(csv.headers['content-type']);
    expect(Object.keys(doc.headers)).toContain('content-disposition');
    expectDocumented(
      'GET',
      path,
      await t.call({ route: path, pathParameters: { username: 'demo' }, query: { device: 'phone' }, headers: auth }),
    );
  });

  it('PATCH .../links: 200 Profile; POST /api/cache/invalidate: 200', async () => {
    const t = setup();
    const patch = await t.call({
      method: 'PATCH',
      route: '/api/profiles/{username}/links',
      pathParameters: { username: 'demo' },
      headers: auth,
      body: JSON.stringify({ links: [{ id: 'lnk_shop', title: 'Print shop' }] }),
    });
    expect(patch.statusCode).toBe(200);
    expectDocumented('PATCH', '/api/profiles/{username}/links', patch);
    const inv = await t.call({
      method: 'POST',
      route: '/api/cache/invalidate/{username}',
      pathParameters: { username: 'demo' },
      headers: auth,
    });
    expect(invalidateAnswerSchema.safeParse(expectDocumented('POST', '/api/cache/invalidate/{username}', inv)).success).toBe(
      true,
    );
  });
});

describe('the webhook function answers as documented', () => {
  it('POST /webhooks/linktree: 200 WebhookAnswer (new and duplicate), 401 and 400', async () => {
    const secret = newWebhookSecret();
    const handler = makeWebhookHandler({
      secret: async () => secret,
      idempotency: new MemoryIdempotency(),
      publisher: new FakePublisher(),
      invalidator: new FakeInvalidator(),
    });
    const send = (headers: Record<string, string>, body: string) =>
      handler(
        apiEvent({ method: 'POST', route: '/webhooks/linktree', headers, body }),
        lambdaContext('webhook'),
      ) as Promise<HttpResult>;
    const signed = signWebhook(secret, webhookBody({ profileId: 'prof_demo', username: 'demo' }));
    for (const duplicate of [false, true]) {
      const r = await send(signed.headers, signed.body);
      expect(r.statusCode).toBe(200);
      const body = expectDocumented('POST', '/webhooks/linktree', r);
      expect(webhookAnswerSchema.safeParse(body).success).toBe(true);
      expect(body).toMatchObject({ duplicate });
    }
    expectDocumented(
      'POST',
      '/webhooks/linktree',
      await send({ ...signed.headers, 'webhook-signature': 'v1,AAAA' }, signed.body),
    );
    const bad = signWebhook(secret, '{"type":"link.clicked"}');
    expectDocumented('POST', '/webhooks/linktree', await send(bad.headers, bad.body));
  });
});

describe('the analytics query schema', () => {
  const NOW = Date.parse('2026-12-01T12:00:00Z');
  const accepted = (params: Record<string, string>) => {
    const r = parseAnalyticsQuery(params, NOW);
    // A refusal that is not about the form of a value (a range too long, from after to) is not the schema's.
    return r.ok || !/must be|one of/.test(r.message);
  };

  it.each([
    ['interval', '10s'],
    ['interval', '1d'],
    ['interval', '5m'],
    ['interval', '1H'],
    ['from', '2026-11-30T12:00:00Z'],
    ['from', '2026-11-30t12:00:00z'],
    ['from', '2026-11-30T12:00:00.123456789+01:00'],
    ['from', '2026-11-30T12:00+0100'],
    ['from', '2026-11-30'],
    ['from', '1764500000'],
    ['from', '1764500000000'],
    ['from', '176450000'],
    ['from', '2026-11-30T12:00:00'],
    ['from', 'yesterday'],
    ['to', '2026-12-01T11:00:00Z'],
    ['to', '12/01/2026'],
  ])('%s=%s: the documented schema and parseAnalyticsQuery agree', (name, value) => {
    const params = { [name]: value };
    expect({ value, documented: analyticsQuerySchema.safeParse(params).success }).toEqual({
      value,
      documented: accepted(params),
    });
  });

  it('documents the defaults the parser applies', () => {
    expect(analyticsQuerySchema.parse({}).interval).toBe('1h');
    const r = parseAnalyticsQuery({}, NOW);
    expect(r.ok && r.query.interval).toBe('1h');
  });
});
