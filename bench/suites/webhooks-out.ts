// Outgoing webhooks, in process: what the consumer's fan-out costs per change event (matching
// 1,000 endpoints and building their jobs), what signing one delivery costs, and one whole attempt
// (claim, sign, POST to a loopback receiver through the SSRF-checked sender, log) on in-memory
// stores. The queues in between are SQS's; DynamoDB's latency is not measured here.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpWebhookSender } from '../../lambdas/adapters/webhook-sender.ts';
import { newEvent } from '../../lambdas/core/events.ts';
import { fanOut, webhookIdFor } from '../../lambdas/core/outgoing-webhooks.ts';
import { deliverJob } from '../../lambdas/core/webhook-delivery.ts';
import { standardSign } from '../../lambdas/wiring/deliver.ts';
import {
  MemoryDeliveryLog,
  MemoryDeliveryQueue,
  MemoryEndpointStore,
  makeEndpoint,
} from '../../test/helpers/outgoing-webhooks.ts';
import { round, summarize } from '../lib/stats.ts';
import type { Goal, Row, SuiteResult } from '../lib/types.ts';

export const description =
  'Outgoing webhooks: fan-out per change event (1,000 endpoints), signing, one attempt to a loopback receiver.';

const N = 2_000;
const N_ATTEMPTS = 500;
const ENDPOINTS = 1_000;
const FANOUT_P50_GOAL_MS = 5;

const measure = async (scenario: string, n: number, f: (i: number) => unknown): Promise<Row> => {
  for (let i = 0; i < 50; i++) await f(-1 - i);
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f(i);
    samples[i] = performance.now() - t0;
  }
  const s = summarize(samples);
  return {
    scenario,
    n: s.n,
    'p50 µs': round(s.p50 * 1000, 1),
    'p99 µs': round(s.p99 * 1000, 1),
    'max µs': round(s.max * 1000, 0),
  };
};

export default async function run(): Promise<SuiteResult> {
  // A tenth of the endpoints watch demo; the rest other profiles.
  const endpoints = Array.from({ length: ENDPOINTS }, (_, i) =>
    makeEndpoint({ id: `ep_${String(i).padStart(24, '0')}`, profiles: [i % 10 === 0 ? 'demo' : `user${i}`] }),
  );
  const event = newEvent('links.updated', { profileId: 'prof_demo', username: 'demo', linkIds: ['a', 'b', 'c'] });
  let jobs = 0;
  const fan = await measure(`fan-out of one event over ${ENDPOINTS} endpoints`, N, () => {
    jobs = fanOut(event, endpoints).length;
  });
  const body = JSON.stringify({ type: 'links.updated', timestamp: new Date().toISOString(), data: event.data });
  const secret = endpoints[0]?.secret as string;
  const sign = await measure('sign one delivery (standardwebhooks)', N, (i) =>
    standardSign(secret, webhookIdFor(`e${i}`, 'ep'), new Date(), body),
  );

  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  try {
    const endpoint = makeEndpoint({ id: 'ep_bench', url });
    const deps = {
      endpoints: new MemoryEndpointStore([endpoint]),
      log: new MemoryDeliveryLog(),
      queue: new MemoryDeliveryQueue(),
      sender: new HttpWebhookSender({ policy: { local: true }, timeoutMs: 10_000 }),
      sign: standardSign,
      schedule: [5],
      leaseMs: 30_000,
    };
    let delivered = 0;
    const attempt = await measure('one attempt: claim, sign, POST to loopback, log', N_ATTEMPTS, async (i) => {
      const o = await deliverJob(
        { webhookId: `msg_${i}`, endpointId: endpoint.id, eventId: `e${i}`, type: 'links.updated', attempt: 1, payload: body },
        deps,
      );
      if (o === 'delivered' && i >= 0) delivered++;
    });
    const goals: Goal[] = [
      {
        goal: `fan-out over ${ENDPOINTS} endpoints ≤ ${FANOUT_P50_GOAL_MS} ms at p50`,
        met: Number(fan['p50 µs']) <= FANOUT_P50_GOAL_MS * 1000,
      },
      { goal: `every fan-out matched the ${ENDPOINTS / 10} demo endpoints`, met: jobs === ENDPOINTS / 10 },
      { goal: 'every attempt delivered (204)', met: delivered === N_ATTEMPTS && received >= N_ATTEMPTS },
    ];
    return {
      name: 'webhooks-out',
      rows: [fan, sign, attempt],
      goals,
      notes: [
        'The fan-out runs in the consumer once per change event (one Scan of the endpoints per batch with changes, not measured).',
        'An attempt opens a new connection each time (no keep-alive: the checked address is pinned per request).',
      ],
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
