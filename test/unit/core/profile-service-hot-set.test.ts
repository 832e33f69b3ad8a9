// The read path tells the change watcher's hot set of reads past L1, and of nothing else.
import { describe, expect, it } from 'vitest';
import { MemoryProfileCache } from '../../../lambdas/adapters/memory-profile-cache.ts';
import { ProfileService } from '../../../lambdas/core/profile-service.ts';
import { profileView } from '../../../lambdas/profile/views.ts';
import { cacheConfig, FakeClock, FakeOrigin, FakeSnapshotCache, makeProfile } from '../../helpers/fakes.ts';

const setup = (l2: FakeSnapshotCache | undefined) => {
  const clock = new FakeClock();
  const config = cacheConfig();
  const recorded: string[] = [];
  const service = new ProfileService({
    config,
    l1: new MemoryProfileCache({ maxEntries: 100, maxBytes: 1 << 20, retainMs: config.staleTtlS * 1000 }),
    l2,
    origin: new FakeOrigin(makeProfile('demo')),
    clock,
    reads: { recordRead: (u) => recorded.push(u) },
  });
  return { service, clock, recorded, config };
};

const flush = () => new Promise((r) => setImmediate(r));

describe('ProfileService and the hot set', () => {
  for (const [name, l2] of [
    ['with L2', () => new FakeSnapshotCache()],
    ['without L2', () => undefined],
  ] as const) {
    it(`${name}: records a read past L1, not an L1 hit, and again once the L1 copy is past its TTL`, async () => {
      const t = setup(l2());
      await t.service.view(profileView, 'demo');
      await flush();
      expect(t.recorded).toEqual(['demo']);
      await t.service.view(profileView, 'demo');
      await t.service.view(profileView, 'demo');
      await flush();
      expect(t.recorded).toEqual(['demo']);
      t.clock.advance(t.config.l1TtlS * 1000 + 1);
      await t.service.view(profileView, 'demo');
      await flush();
      expect(t.recorded).toEqual(['demo', 'demo']);
    });
  }

  it('never records a username the origin does not know', async () => {
    const t = setup(new FakeSnapshotCache());
    await expect(t.service.view(profileView, 'nobody')).rejects.toThrow();
    await flush();
    expect(t.recorded).toEqual([]);
  });
});
