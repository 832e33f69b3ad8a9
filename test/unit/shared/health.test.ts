import { describe, expect, it } from 'vitest';
import { checkHealth } from '../../../lambdas/shared/health.ts';

describe('checkHealth', () => {
  it('is ok when every dependency is up', async () => {
    const r = await checkHealth({ a: async () => ({ status: 'up' }) });
    expect(r.dependencies.a.status).toBe('up');
  });

  it('is degraded when a dependency is down, throws, or does not answer within a second', async () => {
    const r = await checkHealth({
      up: async () => ({ status: 'up' }),
      down: async () => ({ status: 'down', detail: 'refused' }),
      throws: async () => {
        throw new Error('ECONNREFUSED');
      },
      hangs: () => new Promise(() => {}),
    });
    expect(r.status).toBe('degraded');
    expect(r.dependencies.down.status).toBe('down');
    expect(r.dependencies.throws).toMatchObject({ status: 'down', detail: expect.stringContaining('ECONNREFUSED') });
    expect(r.dependencies.hangs).toMatchObject({ status: 'down', detail: 'timed out' });
  });
});
