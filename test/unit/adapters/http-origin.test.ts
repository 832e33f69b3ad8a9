import { describe, expect, it } from 'vitest';
import { HttpProfileOrigin } from '../../../lambdas/adapters/http-origin.ts';
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
