// An in-memory ApiKeyStore for unit tests, counting its reads, and a switch to make it fail.
import type { ApiKeyRecord, ApiKeyStore } from '../../lambdas/core/api-keys.ts';

export class MemoryApiKeyStore implements ApiKeyStore {
  readonly records = new Map<string, ApiKeyRecord>();
  reads = 0;
  failing = false;

  async put(record: ApiKeyRecord): Promise<void> {
    this.records.set(record.hash, { ...record });
  }

  async byHash(hash: string): Promise<ApiKeyRecord | undefined> {
    this.reads++;
    if (this.failing) throw new Error('store down');
    const r = this.records.get(hash);
    return r ? { ...r } : undefined;
  }

  async list(): Promise<ApiKeyRecord[]> {
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  async revoke(id: string, at: string): Promise<boolean> {
    for (const r of this.records.values()) {
      if (r.id !== id) continue;
      r.revokedAt ??= at;
      return true;
    }
    return false;
  }
}
