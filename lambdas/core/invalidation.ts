// Dropping every cached view of a profile after it changed (webhooks, admin writes). The tiers'
// own invalidation lives in ProfileService.invalidate (L1 entry + one Lua script over the exact
// Redis keys); this adds the profileId → username resolution webhooks need.
import { MetricNames } from '../contracts/metrics.ts';
import { DependencyUnavailableError } from '../shared/errors.ts';
import { noTelemetry, type Telemetry } from './ports.ts';

export interface InvalidatorDeps {
  /** ProfileService.invalidate: rejects when the shared tier can't be reached. */
  invalidate(username: string): Promise<number>;
  /** The id → username mapping the read path writes with each snapshot; undefined without L2. */
  usernameForId?: (profileId: string) => Promise<string | undefined>;
  /** Waits for the shared tier's connection at cold start (commands fail fast while it's down). */
  ready?: () => Promise<void>;
  telemetry?: Telemetry;
}

export class ProfileInvalidator {
  readonly #deps: InvalidatorDeps;
  readonly #telemetry: Telemetry;

  constructor(deps: InvalidatorDeps) {
    this.#deps = deps;
    this.#telemetry = deps.telemetry ?? noTelemetry;
  }

  /**
   * Invalidates the profile under every username it may be cached as: the one the caller names,
   * and the one the read path last cached its id under (they differ after a rename). Resolves to
   * the usernames invalidated (empty: never cached and no username given). Throws
   * DependencyUnavailableError when invalidation cannot be guaranteed.
   */
  async invalidateProfile(ref: { profileId?: string; username?: string }): Promise<string[]> {
    try {
      await this.#deps.ready?.();
      const names = new Set<string>();
      if (ref.username) names.add(ref.username);
      if (ref.profileId && this.#deps.usernameForId) {
        const mapped = await this.#deps.usernameForId(ref.profileId);
        if (mapped) names.add(mapped);
      }
      for (const name of names) await this.#deps.invalidate(name);
      this.#telemetry.count(MetricNames.CacheInvalidations, names.size);
      return [...names];
    } catch (err) {
      this.#telemetry.count(MetricNames.CacheInvalidationFailed);
      throw new DependencyUnavailableError('cache', { cause: err });
    }
  }
}
