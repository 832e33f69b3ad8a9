// The private routes' guard: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from './errors.ts';
import { bearerToken, type HttpEvent } from './http.ts';

/** SHA-256 digests have equal length whatever the inputs, so timingSafeEqual never throws or leaks length. */
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export const tokensMatch = (presented: string, expected: string): boolean =>
  timingSafeEqual(digest(presented), digest(expected)) && expected.length > 0;

/**
 * Throws UnauthorizedError (401 `UNAUTHORIZED`) unless the request carries the admin token. Call it
 * first in every private route, before reading any other input.
 */
export const requireAdmin = async (event: HttpEvent, expected: () => Promise<string>): Promise<void> => {
  const presented = bearerToken(event);
  if (!presented) throw new UnauthorizedError('A bearer token is required: Authorization: Bearer <admin token>.');
  if (!tokensMatch(presented, await expected())) throw new UnauthorizedError('The bearer token is not valid.');
};
