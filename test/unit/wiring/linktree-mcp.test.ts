import { describe, expect, it } from 'vitest';
import { asOwnError, lazyLinktreeMcpOrigin } from '../../../lambdas/wiring/linktree-mcp.ts';
import { noTelemetry } from '../../../lambdas/core/ports.ts';
import {
  NotFoundError,
  OriginUnavailableError,
  ProfileNotFoundError,
  UpgradeRequiredError,
  ValidationError,
} from '../../../lambdas/shared/errors.ts';
import { makeProfile } from '../../helpers/fakes.ts';

const settings = {
  url: 'http://mcp.test/mcp',
  tokens: '/nonexistent/tokens.json',
  userAgent: 'test',
  origin: { url: '', timeoutMs: 100, retryBudgetMs: 100, maxAttempts: 1, backoffBaseMs: 1, backoffCapMs: 1, ratePerMin: 10 },
};
const limiter = { take: async () => ({ allowed: true, retryAfterMs: 0 }) };

/** An error as the separately built module throws it: same shape, another class. */
const foreign = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`foreign ${code}`), { code, ...extra });

describe('asOwnError', () => {
  it('turns errors of the separately built module into this bundle’s classes by code', () => {
    const unavailable = asOwnError(foreign('ORIGIN_UNAVAILABLE', { retryAfterS: 42 }));
    expect(unavailable).toBeInstanceOf(OriginUnavailableError);
    expect((unavailable as OriginUnavailableError).retryAfterS).toBe(42);
    expect(asOwnError(foreign('INVALID_REQUEST'))).toBeInstanceOf(ValidationError);
    expect(asOwnError(foreign('UPGRADE_REQUIRED'))).toBeInstanceOf(UpgradeRequiredError);
    const nf = asOwnError(foreign('PROFILE_NOT_FOUND', { username: 'alice' }));
    expect(nf).toBeInstanceOf(ProfileNotFoundError);
    expect((nf as ProfileNotFoundError).username).toBe('alice');
    const link = asOwnError(foreign('LINK_NOT_FOUND'));
    expect(link).toBeInstanceOf(NotFoundError);
    expect((link as NotFoundError).status).toBe(404);
  });

  it('anything unknown is an origin failure, never a 500', () => {
    expect(asOwnError(new TypeError('boom'))).toBeInstanceOf(OriginUnavailableError);
    expect(asOwnError('a string')).toBeInstanceOf(OriginUnavailableError);
  });

  it('keeps this bundle’s own errors as they are', () => {
    const own = new ValidationError('x');
    expect(asOwnError(own)).toBe(own);
  });
});

describe('lazyLinktreeMcpOrigin', () => {
  it('loads the module on first use only, once', async () => {
    let loads = 0;
    const profile = makeProfile('demo');
    const origin = lazyLinktreeMcpOrigin(settings, limiter, noTelemetry, async () => {
      loads++;
      return {
        createLinktreeMcpOrigin: async () => ({
          fetchProfile: async () => profile,
          updateLinks: async () => profile,
          health: () => ({ status: 'up' as const }),
        }),
      } as never;
    });
    expect(loads).toBe(0);
    expect(origin.health()).toEqual({ status: 'up', detail: 'not called yet' });
    expect(await origin.fetchProfile('demo')).toBe(profile);
    expect(await origin.fetchProfile('demo')).toBe(profile);
    expect(loads).toBe(1);
    expect(origin.health()).toEqual({ status: 'up' });
  });

  it('a module that fails to load is an origin failure, and the next call tries again', async () => {
    let loads = 0;
    const origin = lazyLinktreeMcpOrigin(settings, limiter, noTelemetry, async () => {
      loads++;
      throw new Error('Cannot find module ./linktree-mcp.mjs');
    });
    await expect(origin.fetchProfile('demo')).rejects.toBeInstanceOf(OriginUnavailableError);
    await expect(origin.fetchProfile('demo')).rejects.toBeInstanceOf(OriginUnavailableError);
    expect(loads).toBe(2);
  });

  it('passes the username through to updateLinks and translates what comes back', async () => {
    const seen: unknown[] = [];
    const origin = lazyLinktreeMcpOrigin(
      settings,
      limiter,
      noTelemetry,
      async () =>
        ({
          createLinktreeMcpOrigin: async () => ({
            fetchProfile: async () => undefined,
            updateLinks: async (...args: unknown[]) => {
              seen.push(args);
              throw foreign('INVALID_REQUEST');
            },
            health: () => ({ status: 'up' as const }),
          }),
        }) as never,
    );
    await expect(origin.updateLinks('prof_1', [{ title: 'x' }], 'alice')).rejects.toBeInstanceOf(ValidationError);
    expect(seen).toEqual([['prof_1', [{ title: 'x' }], 'alice']]);
  });
});
