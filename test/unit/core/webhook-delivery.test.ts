import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { AttemptResult, DeliveryJob, SignedRequest } from '../../../lambdas/core/outgoing-webhooks.ts';
import { type DeliveryDeps, deliverJob, parseJob } from '../../../lambdas/core/webhook-delivery.ts';
import { standardSign } from '../../../lambdas/wiring/deliver.ts';
import { MemoryDeliveryLog, MemoryDeliveryQueue, MemoryEndpointStore, makeEndpoint } from '../../helpers/outgoing-webhooks.ts';

const NOW = Date.parse('2026-02-01T10:00:00Z');
const endpoint = makeEndpoint();
const job = (over: Partial<DeliveryJob> = {}): DeliveryJob => ({
  webhookId: 'msg_abc',
  endpointId: endpoint.id,
  eventId: 'evt-1',
  type: 'links.updated',
  attempt: 1,
  payload: '{"type":"links.updated","timestamp":"2026-02-01T09:59:59.000Z","data":{"profileId":"p","username":"demo"}}',
  ...over,
});

const setup = (answers: (AttemptResult | Error)[], over: Partial<DeliveryDeps> = {}) => {
  const endpoints = new MemoryEndpointStore([endpoint]);
  const log = new MemoryDeliveryLog();
  const queue = new MemoryDeliveryQueue();
  const requests: SignedRequest[] = [];
  const deps: DeliveryDeps = {
    endpoints,
    log,
    queue,
    sender: {
      send: async (req) => {
        requests.push(req);
        const a = answers.shift() ?? { status: 200, durationMs: 1 };
        if (a instanceof Error) throw a;
        return a;
      },
    },
    sign: standardSign,
    schedule: [5, 300],
    leaseMs: 30_000,
    now: () => NOW,
    ...over,
  };
  return { deps, endpoints, log, queue, requests };
};

describe('deliverJob', () => {
  it('sends a Standard Webhooks request that verifies with the endpoint secret', async () => {
    const { deps, requests, log } = setup([{ status: 204, durationMs: 12 }]);
    expect(await deliverJob(job(), deps)).toBe('delivered');
    const req = requests[0] as SignedRequest;
    expect(req.url).toBe(endpoint.url);
    expect(req.headers['webhook-id']).toBe('msg_abc');
    // The library checks the timestamp against its own clock: verify a request signed now.
    const fresh = setup([], { now: Date.now });
    await deliverJob(job({ webhookId: 'msg_now' }), fresh.deps);
    const r = fresh.requests[0] as SignedRequest;
    expect(new Webhook(endpoint.secret).verify(r.body, r.headers)).toMatchObject({ type: 'links.updated' });
    expect(() => new Webhook('whsec_dGhpc2lzbm90dGhlc2VjcmV0MTIzNDU2Nzg=').verify(r.body, r.headers)).toThrow();
    expect(log.entries).toEqual([
      expect.objectContaining({ webhookId: 'msg_abc', attempt: 1, responseCode: 204, durationMs: 12 }),
    ]);
  });

  it('a failure schedules attempt 2 with the same webhook-id and body, after the schedule delay', async () => {
    const { deps, queue, endpoints } = setup([{ status: 500, durationMs: 3 }]);
    expect(await deliverJob(job(), deps)).toBe('retry-scheduled');
    expect(queue.sent).toEqual([{ job: { ...job(), attempt: 2, notBefore: NOW + 5_000 }, delayS: 5 }]);
    expect((await endpoints.get(endpoint.id))?.failingSince).toBe(new Date(NOW).toISOString());
  });

  it('a delay over 900 s goes out as 900 s with notBefore; an early record is deferred, not sent', async () => {
    const { deps, queue, requests } = setup([{ status: 500, durationMs: 3 }], { schedule: [5, 3600] });
    await deliverJob(job({ attempt: 2 }), deps);
    expect(queue.sent[0]).toMatchObject({ delayS: 900, job: { attempt: 3, notBefore: NOW + 3_600_000 } });
    const early = job({ attempt: 3, notBefore: NOW + 3_600_000 });
    expect(await deliverJob(early, deps)).toBe('deferred');
    expect(queue.sent[1]).toEqual({ job: early, delayS: 900 });
    const later = job({ attempt: 3, notBefore: NOW + 300_000 });
    expect(await deliverJob(later, deps)).toBe('deferred');
    expect(queue.sent[2]).toEqual({ job: later, delayS: 300 });
    expect(requests).toHaveLength(1);
  });

  it('410 disables the endpoint without a retry', async () => {
    const { deps, queue, endpoints } = setup([{ status: 410, durationMs: 3 }]);
    expect(await deliverJob(job(), deps)).toBe('disabled');
    expect(queue.sent).toEqual([]);
    expect(await endpoints.get(endpoint.id)).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410/) });
  });

  it('the last attempt of the schedule failing disables the endpoint', async () => {
    const { deps, endpoints } = setup([{ status: null, durationMs: 10_000, error: 'no answer within 10000 ms' }]);
    expect(await deliverJob(job({ attempt: 3 }), deps)).toBe('disabled');
    expect((await endpoints.get(endpoint.id))?.disabledReason).toMatch(/all 3 attempts.*no answer/);
  });

  it('an endpoint failing for more than 3 days is disabled', async () => {
    const { deps, endpoints } = setup([{ status: 500, durationMs: 1 }]);
    await endpoints.setFailingSince(endpoint.id, new Date(NOW - 4 * 86_400_000).toISOString());
    expect(await deliverJob(job(), deps)).toBe('disabled');
  });

  it('a success ends a failure run', async () => {
    const { deps, endpoints } = setup([{ status: 200, durationMs: 1 }]);
    await endpoints.setFailingSince(endpoint.id, new Date(NOW - 1000).toISOString());
    await deliverJob(job(), deps);
    expect((await endpoints.get(endpoint.id))?.failingSince).toBeNull();
  });

  it('the same job twice (a redelivered record or fan-out) is sent once', async () => {
    const { deps, requests } = setup([]);
    expect(await deliverJob(job(), deps)).toBe('delivered');
    expect(await deliverJob(job(), deps)).toBe('duplicate');
    expect(requests).toHaveLength(1);
  });

  it('a deleted or disabled endpoint gets nothing', async () => {
    const { deps, requests, endpoints } = setup([]);
    expect(await deliverJob(job({ endpointId: 'ep_gone' }), deps)).toBe('skipped');
    await endpoints.disable(endpoint.id, 'test');
    expect(await deliverJob(job(), deps)).toBe('skipped');
    expect(requests).toHaveLength(0);
  });

  it('the next attempt not enqueued: rejects and frees the claim, so the redelivery sends again', async () => {
    const { deps, queue, requests } = setup([
      { status: 500, durationMs: 1 },
      { status: 200, durationMs: 1 },
    ]);
    queue.fail = true;
    await expect(deliverJob(job(), deps)).rejects.toThrow(/queue refused/);
    queue.fail = false;
    expect(await deliverJob(job(), deps)).toBe('delivered');
    expect(requests.map((r) => r.headers['webhook-id'])).toEqual(['msg_abc', 'msg_abc']);
  });

  it('a sender that throws counts as no answer', async () => {
    const { deps, log } = setup([new Error('boom')]);
    expect(await deliverJob(job(), deps)).toBe('retry-scheduled');
    expect(log.entries[0]).toMatchObject({ responseCode: null, error: 'boom' });
  });
});

describe('parseJob', () => {
  it('accepts jobs and refuses anything else', () => {
    expect(parseJob(JSON.stringify(job()))).toEqual(job());
    expect(parseJob('not json')).toBeUndefined();
    expect(parseJob(JSON.stringify({ ...job(), attempt: 0 }))).toBeUndefined();
    expect(parseJob(JSON.stringify({ ...job(), payload: 3 }))).toBeUndefined();
  });
});
