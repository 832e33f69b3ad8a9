// The request machinery both HTTP-speaking origins share, with the Linktree page origin's status
// rules (403 and 429 throttle, 403/429/503 pause); the HTTP origin's rules are covered through
// http-origin.test.ts.
import { describe, expect, it } from 'vitest';
import { OriginRequester, PermanentOriginFailure, type StatusRules } from '../../../lambdas/adapters/origin-requests.ts';
import { MetricNames } from '../../../lambdas/contracts/metrics.ts';
import type { OriginConfig } from '../../../lambdas/core/settings.ts';
import { OriginUnavailableError } from '../../../lambdas/shared/errors.ts';
import { FakeClock, RecordingTelemetry } from '../../helpers/fakes.ts';

const config: OriginConfig = {
  url: 'http://unused.test',
  timeoutMs: 1_000,
  retryBudgetMs: 5_000,
  maxAttempts: 4,
  backoffBaseMs: 100,
  backoffCapMs: 2_000,
  ratePerMin: 150,
};
const RULES: StatusRules = { final: [404], throttling: [403, 429], pausing: [403, 429, 503] };

const answer = (status: number, headers: Record<string, string> = {}) => ({ status, headers: new Headers(headers), body: '' });

const setup = () => {
  const clock = new FakeClock();
  const telemetry = new RecordingTelemetry();
  let tokens = 0;
  const requester = new OriginRequester({
    config,
    clock,
    telemetry,
    limiter: {
      take: async () => {
        tokens++;
        return { allowed: true, retryAfterMs: 0 };
      },
    },
  });
  return { clock, telemetry, requester, tokens: () => tokens };
};

describe('OriginRequester', () => {
  it('a 403 with Retry-After is throttling: counted, and every call pauses until then', async () => {
    const t = setup();
    let calls = 0;
    const err = await t.requester
      .call(async () => {
        calls++;
        return answer(403, { 'retry-after': '60' });
      }, RULES)
      .catch((e) => e);
    expect(err).toBeInstanceOf(OriginUnavailableError);
    expect(calls).toBe(1);
    expect(t.telemetry.counts.get(MetricNames.OriginThrottled)).toBe(1);
    const paused = await t.requester.call(async () => answer(200), RULES).catch((e) => e);
    expect(paused).toBeInstanceOf(OriginUnavailableError);
    expect(paused.retryAfterS).toBe(60);
    expect(calls).toBe(1);
    t.clock.advance(60_000);
    expect((await t.requester.call(async () => answer(200), RULES)).status).toBe(200);
  });

  it('a permanent failure is not retried and is not counted as a network error', async () => {
    const t = setup();
    let calls = 0;
    const err = await t.requester
      .call(async () => {
        calls++;
        throw new PermanentOriginFailure('page over 5242880 bytes');
      }, RULES)
      .catch((e) => e);
    expect(err).toBeInstanceOf(OriginUnavailableError);
    expect(calls).toBe(1);
    expect(t.telemetry.counts.get(MetricNames.OriginErrors)).toBeUndefined();
    expect(t.requester.health()).toEqual({ status: 'down', detail: 'page over 5242880 bytes' });
  });

  it('a final status ends the call as an answer; a network error is retried with a token each time', async () => {
    const t = setup();
    let calls = 0;
    const res = await t.requester.call(async () => {
      calls++;
      if (calls < 3) throw new TypeError('fetch failed');
      return answer(404);
    }, RULES);
    expect(res.status).toBe(404);
    expect(calls).toBe(3);
    expect(t.tokens()).toBe(3);
    expect(t.telemetry.counts.get(MetricNames.OriginErrors)).toBe(2);
    expect(t.telemetry.counts.get(MetricNames.OriginCalls)).toBe(3);
    expect(t.requester.health()).toEqual({ status: 'up' });
  });

  it('noteFailure marks the origin down until the next good answer', async () => {
    const t = setup();
    // In the same millisecond as the answer it was about (the clock does not move here).
    await t.requester.call(async () => answer(200), RULES);
    t.requester.noteFailure('page shape changed');
    expect(t.requester.health()).toEqual({ status: 'down', detail: 'page shape changed' });
    await t.requester.call(async () => answer(200), RULES);
    expect(t.requester.health().status).toBe('up');
  });
});
