// GET /api/profiles/{username}/analytics?from=&to=&interval=10s|1m|1h|1d (private; the admin
// handler checks the token before routing here).
//
// The username is resolved through the cached read path (unknown → 404 PROFILE_NOT_FOUND) and the
// aggregates are read by profile id: analytics follow the profile, not a username that can be
// renamed or handed to someone else. The answer is cached in Redis for ANALYTICS_TTL_S, keyed by
// (profile id, from, to, interval), and listed in the profile's analytics index so a webhook's
// invalidation deletes it.
import { createHash } from 'node:crypto';
import { type AnalyticsReport, type AnalyticsStore, parseAnalyticsQuery } from '../core/analytics.ts';
import type { ProfileService } from '../core/profile-service.ts';
import { DependencyUnavailableError, ValidationError } from '../shared/errors.ts';
import { type HttpEvent, type HttpResult, JSON_TYPE } from '../shared/http.ts';
import { telemetry } from '../shared/telemetry.ts';
import { parseUsername } from '../shared/username.ts';

export interface AnalyticsCache {
  get(username: string, queryHash: string): Promise<string | undefined>;
  set(username: string, queryHash: string, body: string, ttlS: number): Promise<void>;
}

export interface AnalyticsDeps {
  service: Pick<ProfileService, 'profile'>;
  /** The aggregates; built on first use (the pool connects lazily). */
  store: () => AnalyticsStore;
  /** Undefined when Redis is not configured. */
  cache: () => AnalyticsCache | undefined;
  /** ANALYTICS_TTL_S; 0 disables caching. */
  ttlS: () => number;
  now?: () => number;
}

export const queryHash = (profileId: string, from: Date, to: Date, interval: string): string =>
  createHash('sha256')
    .update(`${profileId}\u0000${from.toISOString()}\u0000${to.toISOString()}\u0000${interval}`)
    .digest('base64url')
    .slice(0, 22);

export const analyticsRoute = (deps: AnalyticsDeps) => {
  const { store, cache, ttlS } = deps;
  const now = deps.now ?? Date.now;

  return async (event: HttpEvent): Promise<HttpResult> => {
    const username = parseUsername(event.pathParameters?.username);
    const parsed = parseAnalyticsQuery(event.queryStringParameters ?? {}, now());
    if (!parsed.ok) throw new ValidationError(parsed.message);
    const q = parsed.query;
    const { profile } = await deps.service.profile(username);
    const hash = queryHash(profile.id, q.from, q.to, q.interval);
    const headers = { 'content-type': JSON_TYPE, 'cache-control': 'private, no-store' };

    const c = ttlS() > 0 ? cache() : undefined;
    if (c) {
      const hit = await c.get(username, hash).catch((err) => {
        telemetry.warn('analytics cache read failed; querying the database', { error: String(err) });
        return undefined;
      });
      if (hit) return { statusCode: 200, headers: { ...headers, 'x-cache': 'HIT' }, body: hit };
    }

    let report: AnalyticsReport;
    try {
      report = await store().report(profile.id, q);
    } catch (err) {
      throw new DependencyUnavailableError('analytics database', { cause: err });
    }
    const body = JSON.stringify({
      username,
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      interval: q.interval,
      ...report,
    });
    if (c) {
      await c.set(username, hash, body, ttlS()).catch((err) => {
        telemetry.warn('analytics cache write failed', { error: String(err) });
      });
    }
    return { statusCode: 200, headers: { ...headers, 'x-cache': 'MISS' }, body };
  };
};
