import { describe, expect, it } from 'vitest';
import type { DeliveryJob } from '../../../lambdas/core/outgoing-webhooks.ts';
import type { DeliveryDeps } from '../../../lambdas/core/webhook-delivery.ts';
import { makeDeliverer } from '../../../lambdas/deliver/handler.ts';
import { standardSign } from '../../../lambdas/wiring/deliver.ts';
import { sqsRecord } from '../../helpers/sqs.ts';
import { MemoryDeliveryLog, MemoryDeliveryQueue, MemoryEndpointStore, makeEndpoint } from '../../helpers/outgoing-webhooks.ts';

const job = (webhookId: string): DeliveryJob => ({
  webhookId,
  endpointId: 'ep_1',
  eventId: 'evt',
  type: 'profile.updated',
  attempt: 1,
  payload: '{}',
});

describe('the deliver handler', () => {
  it('reports only the records whose next step was not recorded; drops malformed ones', async () => {
    const queue = new MemoryDeliveryQueue();
    const statuses = new Map([
      ['msg_ok', 200],
      ['msg_fail', 500],
    ]);
    const deps: DeliveryDeps = {
      endpoints: new MemoryEndpointStore([makeEndpoint({ id: 'ep_1' })]),
      log: new MemoryDeliveryLog(),
      queue,
      sender: { send: async (r) => ({ status: statuses.get(r.headers['webhook-id'] as string) ?? 200, durationMs: 1 }) },
      sign: standardSign,
      schedule: [1],
      leaseMs: 1000,
    };
    const counts: Record<string, number> = {};
    const deliver = makeDeliverer({ delivery: () => deps, count: (m, v) => (counts[m] = (counts[m] ?? 0) + v) });
    queue.fail = true; // the retry of msg_fail cannot be scheduled
    const ok = sqsRecord(JSON.stringify(job('msg_ok')));
    const fail = sqsRecord(JSON.stringify(job('msg_fail')));
    const junk = sqsRecord('junk');
    const res = await deliver({ Records: [ok, fail, junk] });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: fail.messageId }]);
    expect(counts.WebhookDeliveriesSucceeded).toBe(1);
  });

  it('unconfigured: every record stays on the queue', async () => {
    const r = sqsRecord(JSON.stringify(job('msg_x')));
    expect(await makeDeliverer({ delivery: () => undefined })({ Records: [r] })).toEqual({
      batchItemFailures: [{ itemIdentifier: r.messageId }],
    });
  });
});
