import { describe, expect, it } from 'vitest';
import { requireAdmin, tokensMatch } from '../../../lambdas/shared/auth.ts';
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

describe('requireAdmin', () => {
  const event = (authorization?: string) =>
    apiEvent({
      method: 'POST',
      route: '/api/cache/invalidate/{username}',
      pathParameters: { username: 'a' },
      headers: authorization ? { authorization } : {},
    });

  it('accepts the bearer token, case-insensitive scheme', async () => {
    await expect(requireAdmin(event('Bearer tok'), async () => 'tok')).resolves.toBeUndefined();
    await expect(requireAdmin(event('bearer tok'), async () => 'tok')).resolves.toBeUndefined();
  });

  it.each([undefined, 'Basic dG9rOg==', 'Bearer nope', 'tok'])('refuses %s', async (auth) => {
    await expect(requireAdmin(event(auth), async () => 'tok')).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
