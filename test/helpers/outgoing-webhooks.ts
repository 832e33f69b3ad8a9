// In-memory stand-ins for the outgoing-webhook ports (core/outgoing-webhooks.ts), for unit tests.
import type {
  ClaimState,
  DeliveryJob,
  DeliveryLog,
  DeliveryLogEntry,
  DeliveryQueue,
  EndpointStore,
  WebhookEndpoint,
} from '../../lambdas/core/outgoing-webhooks.ts';

export const makeEndpoint = (over: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id: 'ep_000000000000000000000001',
  url: 'https://hooks.example.com/in',
  events: ['profile.updated', 'links.updated', 'profile.deleted'],
  profiles: null,
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  enabled: true,
  disabledReason: null,
  failingSince: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'root',
  ...over,
});

export class MemoryEndpointStore implements EndpointStore {
  readonly items = new Map<string, WebhookEndpoint>();
  failList = false;
  constructor(endpoints: WebhookEndpoint[] = []) {
    for (const e of endpoints) this.items.set(e.id, { ...e });
  }
  async put(e: WebhookEndpoint) {
    this.items.set(e.id, { ...e });
  }
  async get(id: string) {
    const e = this.items.get(id);
    return e ? { ...e } : undefined;
  }
  async list() {
    if (this.failList) throw new Error('table unreachable');
    return [...this.items.values()].map((e) => ({ ...e }));
  }
  async delete(id: string) {
    return this.items.delete(id);
  }
  async disable(id: string, reason: string) {
    const e = this.items.get(id);
    if (e) Object.assign(e, { enabled: false, disabledReason: reason });
  }
  async setFailingSince(id: string, since: string | null) {
    const e = this.items.get(id);
    if (e) e.failingSince = since;
  }
}

export class MemoryDeliveryLog implements DeliveryLog {
  readonly entries: DeliveryLogEntry[] = [];
  readonly claims = new Map<string, 'pending' | 'done'>();
  async append(e: DeliveryLogEntry) {
    this.entries.push(e);
  }
  async list(endpointId: string, limit: number) {
    return this.entries
      .filter((e) => e.endpointId === endpointId)
      .sort((a, b) => b.at.localeCompare(a.at) || b.attempt - a.attempt)
      .slice(0, limit);
  }
  async claim(webhookId: string, attempt: number): Promise<ClaimState> {
    const k = `${webhookId}#${attempt}`;
    const s = this.claims.get(k);
    if (s === 'done') return 'done';
    if (s === 'pending') return 'in_progress';
    this.claims.set(k, 'pending');
    return 'claimed';
  }
  async complete(webhookId: string, attempt: number) {
    this.claims.set(`${webhookId}#${attempt}`, 'done');
  }
  async release(webhookId: string, attempt: number) {
    this.claims.delete(`${webhookId}#${attempt}`);
  }
}

export class MemoryDeliveryQueue implements DeliveryQueue {
  readonly sent: { job: DeliveryJob; delayS?: number }[] = [];
  fail = false;
  async send(jobs: readonly { job: DeliveryJob; delayS?: number }[]) {
    if (this.fail) throw new Error('queue refused');
    this.sent.push(...jobs);
  }
}
