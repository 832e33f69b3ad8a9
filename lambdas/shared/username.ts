import { InvalidUsernameError } from './errors.ts';

export const USERNAME_RE = /^[A-Za-z0-9._]{1,30}$/;

/**
 * Usernames are case-insensitive on link-in-bio platforms; the lower-case form is the cache key
 * so `Demo` and `demo` share one entry and one origin call.
 */
export const parseUsername = (raw: string | undefined): string => {
  const value = raw ?? '';
  if (!USERNAME_RE.test(value)) throw new InvalidUsernameError(value);
  return value.toLowerCase();
};
