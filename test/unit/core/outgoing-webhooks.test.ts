import { describe, expect, it } from 'vitest';
import {
  decide,
  FAILING_DISABLE_MS,
  fanOut,
  matches,
  parseRetryAfter,
  parseSchedule,
  payloadFor,
  webhookIdFor,
} from '../../../lambdas/core/outgoing-webhooks.ts';
import type { QueueEvent } from '../../../lambdas/contracts/events.ts';
import { makeEndpoint } from '../../helpers/outgoing-webhooks.ts';

const event = (over: Partial<QueueEvent> = {}): QueueEvent => ({
  id: 'evt-1',
  type: 'links.updated',
  occurredAt: '2026-02-01T10:00:00.000Z',
  data: { profileId: 'prof_demo', username: 'Demo', webhookId: 'incoming-1' },
  ...over,
});
const DEFAULT = parseSchedule('5,300,1800,7200,18000,36000,50400,72000,86400');

describe('webhookIdFor', () => {
  it('is the same for the same (event, endpoint), different otherwise', () => {
    expect(webhookIdFor('evt-1', 'ep_a')).toBe(webhookIdFor('evt-1', 'ep_a'));
    expect(webhookIdFor('evt-1', 'ep_a')).not.toBe(webhookIdFor('evt-1', 'ep_b'));
    expect(webhookIdFor('evt-1', 'ep_a')).not.toBe(webhookIdFor('evt-2', 'ep_a'));
    expect(webhookIdFor('evt-1', 'ep_a')).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
  });
});

describe('matches and fanOut', () => {
  it('matches on type and (lower-cased) profile; disabled endpoints match nothing', () => {
    expect(matches(makeEndpoint({ profiles: ['demo'] }), event())).toBe(true);
    expect(matches(makeEndpoint({ profiles: ['alice'] }), event())).toBe(false);
    expect(matches(makeEndpoint({ events: ['profile.deleted'] }), event())).toBe(false);
    expect(matches(makeEndpoint({ enabled: false }), event())).toBe(false);
    expect(matches(makeEndpoint(), event({ type: 'link.clicked' }))).toBe(false);
  });

  it('an event without a username reaches only endpoints for every profile', () => {
    const e = event({ data: { profileId: 'prof_x' } });
    expect(matches(makeEndpoint({ profiles: null }), e)).toBe(true);
    expect(matches(makeEndpoint({ profiles: ['demo'] }), e)).toBe(false);
  });

  it('makes one first-attempt job per matching endpoint, with deterministic ids and the same body', () => {
    const a = makeEndpoint({ id: 'ep_a' });
    const b = makeEndpoint({ id: 'ep_b', profiles: ['alice'] });
    const c = makeEndpoint({ id: 'ep_c', profiles: ['demo'] });
    const jobs = fanOut(event(), [a, b, c]);
    expect(jobs.map((j) => j.endpointId)).toEqual(['ep_a', 'ep_c']);
    expect(jobs.every((j) => j.attempt === 1 && j.eventId === 'evt-1')).toBe(true);
    expect(fanOut(event(), [a, b, c])).toEqual(jobs);
    expect(jobs[0]?.webhookId).toBe(webhookIdFor('evt-1', 'ep_a'));
  });

  it("a watcher's change keeps data.source", () => {
    const e = event({ type: 'profile.updated', data: { profileId: 'prof_demo', username: 'demo', source: 'watcher' } });
    expect(JSON.parse(payloadFor(e)).data).toEqual({ profileId: 'prof_demo', username: 'demo', source: 'watcher' });
  });

  it('the body is {type, timestamp, data} without the incoming webhook id', () => {
    expect(JSON.parse(payloadFor(event()))).toEqual({
      type: 'links.updated',
      timestamp: '2026-02-01T10:00:00.000Z',
      data: { profileId: 'prof_demo', username: 'Demo' },
    });
  });
});

describe('decide (the attempt policy)', () => {
  const now = Date.parse('2026-02-01T10:00:00Z');
  it('2xx is delivered', () => {
    expect(decide({ attempt: 1 }, { status: 204, durationMs: 5 }, DEFAULT, null, now)).toEqual({ kind: 'delivered' });
  });
  it('retries after the schedule delay of the attempt that failed', () => {
    expect(decide({ attempt: 1 }, { status: 500, durationMs: 5 }, DEFAULT, null, now)).toEqual({ kind: 'retry', delayS: 5 });
    expect(decide({ attempt: 2 }, { status: null, durationMs: 5 }, DEFAULT, null, now)).toEqual({ kind: 'retry', delayS: 300 });
    expect(decide({ attempt: 9 }, { status: 503, durationMs: 5 }, DEFAULT, null, now)).toEqual({ kind: 'retry', delayS: 86_400 });
  });
  it('honours a later Retry-After, capped at a day, never an earlier one', () => {
    expect(decide({ attempt: 1 }, { status: 429, durationMs: 1, retryAfterS: 120 }, DEFAULT, null, now)).toEqual({
      kind: 'retry',
      delayS: 120,
    });
    expect(decide({ attempt: 2 }, { status: 429, durationMs: 1, retryAfterS: 10 }, DEFAULT, null, now)).toEqual({
      kind: 'retry',
      delayS: 300,
    });
    expect(decide({ attempt: 1 }, { status: 429, durationMs: 1, retryAfterS: 10_000_000 }, DEFAULT, null, now)).toEqual({
      kind: 'retry',
      delayS: 86_400,
    });
  });
  it('410 disables at once, even on the first attempt', () => {
    const d = decide({ attempt: 1 }, { status: 410, durationMs: 1 }, DEFAULT, null, now);
    expect(d.kind).toBe('disable');
  });
  it('disables when the schedule is exhausted (10 attempts by default)', () => {
    const d = decide({ attempt: 10 }, { status: 500, durationMs: 1 }, DEFAULT, null, now);
    expect(d).toMatchObject({ kind: 'disable' });
    expect(d.kind === 'disable' && d.reason).toMatch(/all 10 attempts.*HTTP 500/);
  });
  it('disables after failing continuously for more than 3 days', () => {
    expect(decide({ attempt: 1 }, { status: 500, durationMs: 1 }, DEFAULT, now - FAILING_DISABLE_MS + 1000, now).kind).toBe(
      'retry',
    );
    const d = decide({ attempt: 1 }, { status: 500, durationMs: 1 }, DEFAULT, now - FAILING_DISABLE_MS - 1000, now);
    expect(d.kind === 'disable' && d.reason).toMatch(/3 days/);
  });
  it('the default schedule spans about three days', () => {
    expect(DEFAULT).toHaveLength(9);
    expect(DEFAULT.reduce((a, b) => a + b, 0)).toBe(272_105);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-02-01T10:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Sun, 01 Feb 2026 10:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
