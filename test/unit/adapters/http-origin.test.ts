import { describe, expect, it } from 'vitest';
import { HttpProfileOrigin, MAX_RETRY_AFTER_MS } from '../../../lambdas/adapters/http-origin.ts';
import type { OriginConfig } from '../../../lambdas/core/settings.ts';
import { OriginUnavailableError } from '../../../lambdas/shared/errors.ts';
import { FakeClock, makeProfile } from '../../helpers/fakes.ts';

const config: OriginConfig = {
  url: 'http://origin.test',
  timeoutMs: 1_000,
  retryBudgetMs: 5_000,
  maxAttempts: 4,
  backoffBaseMs: 100,
  backoffCapMs: 2_000,
  ratePerMin: 150,
};

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

const harness = (replies: Reply[], allow = () => true) => {
  const requests: { url: string; init: RequestInit }[] = [];
  const clock = new FakeClock();
  const fakeFetch = async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(url), init: init ?? {} });
    const r = replies.shift() ?? { status: 500 };
    if (r instanceof Error) throw r;
    return new Response(r.body === undefined ? '' : JSON.stringify(r.body), { status: r.status, headers: r.headers });
  };
  const origin = new HttpProfileOrigin({
    config,
    apiKey: async () => 'k3y',
    limiter: { take: async () => (allow() ? { allowed: true, retryAfterMs: 0 } : { allowed: false, retryAfterMs: 4_000 }) },
    clock,
    fetch: fakeFetch as typeof fetch,
  });
  return { origin, requests, clock };
};

describe('HttpProfileOrigin', () => {
  it('sends the bearer key and parses the profile', async () => {
    const { origin, requests } = harness([{ status: 200, body: makeProfile('demo') }]);
    const p = await origin.fetchProfile('demo');
    expect(p?.id).toBe('prof_demo');
    expect(requests[0].url).toBe('http://origin.test/v1/profiles/demo');
    expect((requests[0].init.headers as Record<string, string>).authorization).toBe('Bearer k3y');
  });

  it('maps 404 to undefined without retrying', async () => {
    const { origin, requests } = harness([{ status: 404 }]);
    expect(await origin.fetchProfile('ghost')).toBeUndefined();
    expect(requests).toHaveLength(1);
  });

  it('retries 429 and 5xx and network errors, honouring Retry-After', async () => {
    const { origin, requests, clock } = harness([
      { status: 429, headers: { 'retry-after': '1' } },
      new TypeError('fetch failed'),
      { status: 503 },
      { status: 200, body: makeProfile('demo') },
    ]);
    const start = clock.now();
    expect((await origin.fetchProfile('demo'))?.username).toBe('demo');
    expect(requests).toHaveLength(4);
    expect(clock.now() - start).toBeGreaterThanOrEqual(1_000);
  });

  it('gives up within the budget with a 503 carrying Retry-After', async () => {
    const { origin, requests } = harness([{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }]);
    const err = await origin.fetchProfile('demo').catch((e) => e);
    expect(err).toBeInstanceOf(OriginUnavailableError);
    expect(err.status).toBe(503);
    expect(Number(err.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(requests).toHaveLength(4);
  });

  it('does not call the origin when the request budget is spent', async () => {
    const { origin, requests } = harness([{ status: 200, body: makeProfile('demo') }], () => false);
    const err = await origin.fetchProfile('demo').catch((e) => e);
    expect(err).toBeInstanceOf(OriginUnavailableError);
    expect(err.message).toMatch(/budget/);
    expect(err.headers['retry-after']).toBe('4');
    expect(requests).toHaveLength(0);
  });

  it('after a 429 with Retry-After: 30, sends nothing for 30 s (503 with the remaining Retry-After), then calls again', async () => {
    const { origin, requests, clock } = harness([
      { status: 429, headers: { 'retry-after': '30' } },
      { status: 200, body: makeProfile('demo') },
    ]);
    const first = await origin.fetchProfile('demo').catch((e) => e);
    expect(first).toBeInstanceOf(OriginUnavailableError);
    expect(first.headers['retry-after']).toBe('30');
    expect(requests).toHaveLength(1);

    clock.advance(10_000);
    const next = await origin.fetchProfile('other').catch((e) => e); // any call, not just the same profile
    expect(next).toBeInstanceOf(OriginUnavailableError);
    expect(next.status).toBe(503);
    expect(Number(next.headers['retry-after'])).toBeLessThanOrEqual(30);
    expect(Number(next.headers['retry-after'])).toBe(20);
    await expect(origin.updateLinks('prof_demo', [])).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(requests).toHaveLength(1);

    clock.advance(20_000);
    expect((await origin.fetchProfile('demo'))?.username).toBe('demo');
    expect(requests).toHaveLength(2);
  });

  it('pauses on a 503 with Retry-After (an HTTP date) too, but not on a 500 with one', async () => {
    const replies: Reply[] = [];
    const paused = harness(replies);
    replies.push({ status: 503, headers: { 'retry-after': new Date(paused.clock.now() + 60_000).toUTCString() } });
    await paused.origin.fetchProfile('demo').catch(() => {});
    paused.clock.advance(59_000);
    await expect(paused.origin.fetchProfile('demo')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(paused.requests).toHaveLength(1);

    const notPaused = harness([
      { status: 500, headers: { 'retry-after': '30' } },
      { status: 200, body: makeProfile('demo') },
    ]);
    await notPaused.origin.fetchProfile('demo').catch(() => {});
    notPaused.clock.advance(1_000);
    expect((await notPaused.origin.fetchProfile('demo'))?.username).toBe('demo');
    expect(notPaused.requests).toHaveLength(2);
  });

  it('caps the honoured Retry-After, so a hostile header cannot stop the service for hours', async () => {
    const { origin, requests, clock } = harness([
      { status: 429, headers: { 'retry-after': String(24 * 3600) } },
      { status: 200, body: makeProfile('demo') },
    ]);
    const first = await origin.fetchProfile('demo').catch((e) => e);
    expect(Number(first.headers['retry-after'])).toBe(MAX_RETRY_AFTER_MS / 1000);
    clock.advance(MAX_RETRY_AFTER_MS - 1_000);
    const paused = await origin.fetchProfile('demo').catch((e) => e);
    expect(Number(paused.headers['retry-after'])).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS / 1000);
    clock.advance(1_000);
    expect((await origin.fetchProfile('demo'))?.username).toBe('demo');
    expect(requests).toHaveLength(2);
  });

  it('a short Retry-After within one call is waited out by that call, not turned into a failure', async () => {
    const { origin, requests } = harness([
      { status: 429, headers: { 'retry-after': '2' } },
      { status: 200, body: makeProfile('demo') },
    ]);
    expect((await origin.fetchProfile('demo'))?.username).toBe('demo');
    expect(requests).toHaveLength(2);
  });

  it('refuses a profile that does not match the contract shape', async () => {
    const { origin } = harness([{ status: 200, body: { id: 1 } }]);
    await expect(origin.fetchProfile('demo')).rejects.toBeInstanceOf(OriginUnavailableError);
  });

  it('reports its health from the last call', async () => {
    const { origin } = harness([{ status: 200, body: makeProfile('demo') }, { status: 500 }]);
    expect(origin.health().status).toBe('up');
    await origin.fetchProfile('demo');
    expect(origin.health()).toEqual({ status: 'up' });
    await origin.fetchProfile('demo').catch(() => {});
    expect(origin.health().status).toBe('down');
  });
});
