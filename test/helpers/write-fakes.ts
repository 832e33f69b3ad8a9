// In-memory stand-ins for the webhook handler's ports.
import type { IdempotencyClaim, IdempotencyStore } from '../../lambdas/core/ports.ts';
import type { EventPublisher, QueueEvent } from '../../lambdas/core/events.ts';

export class MemoryIdempotency implements IdempotencyStore {
  readonly records = new Map<string, { status: 'INPROGRESS' | 'COMPLETED'; token: string; leaseEnd: number }>();
  readonly calls: string[] = [];
  #n = 0;

  async claim(key: string, leaseMs: number): Promise<IdempotencyClaim> {
    this.calls.push(`claim ${key}`);
    const r = this.records.get(key);
    const now = Date.now();
    if (r?.status === 'COMPLETED') return { state: 'completed' };
    if (r && r.leaseEnd > now) return { state: 'in_progress', retryAfterMs: r.leaseEnd - now };
    const token = `t${++this.#n}`;
    this.records.set(key, { status: 'INPROGRESS', token, leaseEnd: now + leaseMs });
    return { state: 'claimed', token };
  }

  async complete(key: string, token: string): Promise<void> {
    this.calls.push(`complete ${key}`);
    const r = this.records.get(key);
    if (r?.token === token) r.status = 'COMPLETED';
  }

  async release(key: string, token: string): Promise<void> {
    this.calls.push(`release ${key}`);
    if (this.records.get(key)?.token === token) this.records.delete(key);
  }
}

export class FakePublisher implements EventPublisher {
  readonly published: QueueEvent[] = [];
  /** Rejects the next `failures` calls. */
  failures = 0;

  async publish(event: QueueEvent): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('queue unavailable');
    }
    this.published.push(event);
  }

  async publishBatch(events: QueueEvent[]): Promise<void> {
    for (const e of events) await this.publish(e);
  }
}

export class FakeInvalidator {
  readonly calls: Array<{ profileId?: string; username?: string }> = [];
  fail = false;
  /** profileId → username, as the read path's mapping would have it. */
  readonly mapping = new Map<string, string>();

  async invalidateProfile(ref: { profileId?: string; username?: string }): Promise<string[]> {
    if (this.fail) {
      const { DependencyUnavailableError } = await import('../../lambdas/shared/errors.ts');
      throw new DependencyUnavailableError('cache');
    }
    this.calls.push(ref);
    const names = new Set<string>();
    if (ref.username) names.add(ref.username);
    const mapped = ref.profileId ? this.mapping.get(ref.profileId) : undefined;
    if (mapped) names.add(mapped);
    return [...names];
  }
}
