// The consumer's fan-out of change events to outgoing webhooks: each `profile.updated`,
// `links.updated` or `profile.deleted` record becomes one delivery job per matching endpoint on
// the delivery queue (core/outgoing-webhooks.ts `fanOut`). Nothing is sent from here: a slow
// receiver slows nobody. A record whose jobs were not all accepted is a failure, so SQS brings it
// back; fanning it out again makes the same webhook-ids, which the deliver worker sends once.
import type { QueueEvent } from '../contracts/events.ts';
import { type DeliveryQueue, type EndpointStore, fanOut, isOutgoingEventType } from './outgoing-webhooks.ts';

export interface FanOutDeps {
  endpoints: Pick<EndpointStore, 'list'>;
  queue: DeliveryQueue;
}

export interface FanOutOutcome {
  /** Records to fail (their jobs were not all enqueued). */
  failedIds: string[];
  /** Jobs enqueued. */
  jobs: number;
  /** Change events seen. */
  events: number;
  errors: unknown[];
}

const parseChange = (body: string): QueueEvent | undefined => {
  try {
    const e = JSON.parse(body) as Partial<QueueEvent>;
    if (
      typeof e.id === 'string' &&
      typeof e.type === 'string' &&
      isOutgoingEventType(e.type) &&
      typeof e.occurredAt === 'string' &&
      typeof e.data === 'object' &&
      e.data !== null
    )
      return e as QueueEvent;
  } catch {
    // not an event: the analytics side sets it aside
  }
  return undefined;
};

export const fanOutRecords = async (
  records: readonly { id: string; body: string }[],
  deps: FanOutDeps,
): Promise<FanOutOutcome> => {
  const changes = records.flatMap((r) => {
    const event = parseChange(r.body);
    return event ? [{ id: r.id, event }] : [];
  });
  const outcome: FanOutOutcome = { failedIds: [], jobs: 0, events: changes.length, errors: [] };
  if (!changes.length) return outcome;
  let endpoints: Awaited<ReturnType<FanOutDeps['endpoints']['list']>>;
  try {
    endpoints = await deps.endpoints.list();
  } catch (err) {
    return { ...outcome, failedIds: changes.map((c) => c.id), errors: [err] };
  }
  const settled = await Promise.allSettled(
    changes.map(async (c) => {
      const jobs = fanOut(c.event, endpoints);
      if (jobs.length) await deps.queue.send(jobs.map((job) => ({ job })));
      return jobs.length;
    }),
  );
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') outcome.jobs += s.value;
    else {
      outcome.failedIds.push((changes[i] as { id: string }).id);
      outcome.errors.push(s.reason);
    }
  });
  return outcome;
};
