// The outgoing-webhook delivery queue over SQS: SendMessageBatch in chunks of 10, each job with
// its own DelaySeconds (≤ 900). Rejects unless every job was accepted, so the caller (the
// consumer's fan-out, or the deliver worker scheduling a retry) fails its record and it comes back.
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryJob, DeliveryQueue } from '../core/outgoing-webhooks.ts';
import { MAX_QUEUE_DELAY_S } from '../core/webhook-delivery.ts';

export class SqsDeliveryQueue implements DeliveryQueue {
  readonly #client: Pick<SQSClient, 'send'>;
  readonly #queueUrl: string;

  constructor(o: { client: Pick<SQSClient, 'send'>; queueUrl: string }) {
    this.#client = o.client;
    this.#queueUrl = o.queueUrl;
  }

  async send(jobs: readonly { job: DeliveryJob; delayS?: number }[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += 10) {
      let pending = jobs.slice(i, i + 10).map((j, k) => ({ id: String(k), ...j }));
      for (let attempt = 1; pending.length; attempt++) {
        const res = await this.#client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.#queueUrl,
            Entries: pending.map((p) => ({
              Id: p.id,
              MessageBody: JSON.stringify(p.job),
              DelaySeconds: Math.max(0, Math.min(MAX_QUEUE_DELAY_S, Math.round(p.delayS ?? 0))),
            })),
          }),
        );
        const failed = new Set((res.Failed ?? []).map((f) => f.Id));
        pending = pending.filter((p) => failed.has(p.id));
        if (pending.length && attempt >= 3) {
          const why = (res.Failed ?? []).map((f) => `${f.Code}: ${f.Message}`).join('; ');
          throw new Error(`${pending.length} delivery job(s) refused by the delivery queue (${why})`);
        }
      }
    }
  }
}
