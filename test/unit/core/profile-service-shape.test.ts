// A changed origin shape (OriginShapeError, from either Linktree origin) is an origin failure for
// the read path: stale copies keep being served, 503 when nothing is cached, never a 404 and
// never remembered as "missing".
import { describe, expect, it } from 'vitest';
import { MemoryProfileCache } from '../../../lambdas/adapters/memory-profile-cache.ts';
import { MetricNames } from '../../../lambdas/contracts/metrics.ts';
import type { ProfileOrigin } from '../../../lambdas/core/ports.ts';
import type { Profile } from '../../../lambdas/core/profile.ts';
import { ProfileService } from '../../../lambdas/core/profile-service.ts';
import { OriginShapeError, ProfileNotFoundError } from '../../../lambdas/shared/errors.ts';
import { profileView } from '../../../lambdas/profile/views.ts';
import { cacheConfig, FakeClock, FakeSnapshotCache, makeProfile, RecordingTelemetry } from '../../helpers/fakes.ts';

class ShapeOrigin implements ProfileOrigin {
  changed = false;
  calls = 0;
  readonly profile: Profile;
  constructor(profile: Profile) {
    this.profile = profile;
  }
  async fetchProfile(): Promise<Profile | undefined> {
    this.calls++;
    if (this.changed) throw new OriginShapeError('no __NEXT_DATA__ script in the page');
    return structuredClone(this.profile);
  }
  async updateLinks(): Promise<Profile> {
    throw new Error('not used');
  }
}

const setup = () => {
  const clock = new FakeClock();
  const origin = new ShapeOrigin(makeProfile('jane'));
  const config = cacheConfig();
  const l1 = new MemoryProfileCache({ maxEntries: 100, maxBytes: 1 << 20, retainMs: config.staleTtlS * 1000 });
  const telemetry = new RecordingTelemetry();
  const service = new ProfileService({ config, l1, l2: new FakeSnapshotCache(), origin, clock, telemetry });
  return { clock, origin, service, config, telemetry };
};

describe('ProfileService and a changed origin shape', () => {
  it('keeps serving the cached copy as STALE while the refresh fails', async () => {
    const t = setup();
    const first = await t.service.view(profileView, 'jane');
    t.origin.changed = true;
    t.clock.advance((t.config.profileTtlS + 1) * 1000);
    const stale = await t.service.view(profileView, 'jane');
    expect(stale.outcome).toBe('STALE');
    expect(stale.body).toBe(first.body);
    await t.service.settled();
    expect(t.origin.calls).toBe(2);
    expect(t.telemetry.counts.get(MetricNames.RefreshFailed)).toBe(1);
  });

  it('with nothing cached is 503 ORIGIN_UNAVAILABLE, not a 404, and is not remembered as missing', async () => {
    const t = setup();
    t.origin.changed = true;
    const err = await t.service.view(profileView, 'jane').catch((e) => e);
    expect(err).toBeInstanceOf(OriginShapeError);
    expect(err).not.toBeInstanceOf(ProfileNotFoundError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('ORIGIN_UNAVAILABLE');
    expect(err.headers['retry-after']).toMatch(/^\d+$/);
    // Fixed at the origin: the next read gets the profile at once (no negative entry was kept).
    t.origin.changed = false;
    const ok = await t.service.view(profileView, 'jane');
    expect(ok.outcome).toBe('MISS');
    expect(JSON.parse(ok.body).username).toBe('jane');
  });
});
