import { describe, expect, it } from 'vitest';
import { authenticate, ROOT_PRINCIPAL, tokensMatch } from '../../../lambdas/shared/auth.ts';
import { UnauthorizedError } from '../../../lambdas/shared/errors.ts';
import { apiEvent } from '../../helpers/events.ts';

describe('tokensMatch', () => {
  it('matches equal tokens only', () => {
    expect(tokensMatch('secret-token', 'secret-token')).toBe(true);
    expect(tokensMatch('secret-tokeN', 'secret-token')).toBe(false);
    expect(tokensMatch('secret', 'secret-token')).toBe(false);
    expect(tokensMatch('', '')).toBe(false);
  });
});

describe('authenticate', () => {
  const event = (authorization?: string) =>
    apiEvent({
      method: 'POST',
      route: '/api/cache/invalidate/{username}',
      pathParameters: { username: 'a' },
      headers: authorization ? { authorization } : {},
    });

  const root = { adminToken: async () => 'tok' };

  it('accepts the root key as the root principal, case-insensitive scheme, without asking the key store', async () => {
    const verifyKey = async () => {
      throw new Error('the root key never reaches the key store');
    };
    await expect(authenticate(event('Bearer tok'), { ...root, verifyKey })).resolves.toBe(ROOT_PRINCIPAL);
    await expect(authenticate(event('bearer tok'), root)).resolves.toBe(ROOT_PRINCIPAL);
  });

  it('asks the key store for any other key', async () => {
    const p = { keyId: 'k1', root: false, scopes: ['analytics:read' as const], profiles: ['demo'] };
    const seen: string[] = [];
    const verifyKey = async (k: string) => {
      seen.push(k);
      return k === 'good' ? p : undefined;
    };
    await expect(authenticate(event('Bearer good'), { ...root, verifyKey })).resolves.toBe(p);
    await expect(authenticate(event('Bearer bad'), { ...root, verifyKey })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(seen).toEqual(['good', 'bad']);
  });

  it.each([undefined, 'Basic dG9rOg==', 'Bearer nope', 'tok'])('refuses %s', async (auth) => {
    await expect(authenticate(event(auth), root)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
