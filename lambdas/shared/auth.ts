// The private routes' guard: who the bearer key is (the root ADMIN_TOKEN, compared in constant time,
// or a scoped API key from the key store) and whether the route table's `auth` lets it in.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../contracts/routes.ts';
import { ForbiddenError, UnauthorizedError } from './errors.ts';
import { bearerToken, type HttpEvent } from './http.ts';

/** SHA-256 digests have equal length whatever the inputs, so timingSafeEqual never throws or leaks length. */
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export const tokensMatch = (presented: string, expected: string): boolean =>
  timingSafeEqual(digest(presented), digest(expected)) && expected.length > 0;

/** Who a request acts as: the root key, or one scoped API key. */
export interface Principal {
  /** The key's id; 'root' for ADMIN_TOKEN. */
  keyId: string;
  root: boolean;
  scopes: readonly Scope[];
  /** The usernames (lower case) the key may reach; null: every profile. */
  profiles: readonly string[] | null;
}

/** What a route needs: a scope, or the root key itself. */
export type RouteAuth = Scope | 'root';

/** Looks a presented (non-root) key up: its principal, or undefined when unknown, revoked or expired. */
export type KeyVerifier = (key: string) => Promise<Principal | undefined>;

export interface Authenticator {
  /** The root key (ADMIN_TOKEN). */
  adminToken: () => Promise<string>;
  /** Scoped keys; left out, only the root key is accepted. */
  verifyKey?: KeyVerifier;
}

export const ROOT_PRINCIPAL: Principal = Object.freeze({
  keyId: 'root',
  root: true,
  scopes: Object.freeze([]) as readonly Scope[],
  profiles: null,
});

export const hasScope = (p: Principal, scope: Scope): boolean => p.root || p.scopes.includes(scope);

/** Whether `p` may act on the profile `username` (case-insensitive, as usernames are). */
export const mayReach = (p: Principal, username: string): boolean =>
  p.root || p.profiles === null || p.profiles.includes(username.toLowerCase());

/** Throws ForbiddenError (403) unless `p` may act on `username`. */
export const requireProfile = (p: Principal, username: string): void => {
  if (!mayReach(p, username)) throw new ForbiddenError(`This key may not reach profile "${username.slice(0, 64)}".`);
};

/** Throws ForbiddenError (403) unless `p` holds what `need` asks for. */
export const requireAuth = (p: Principal, need: RouteAuth): void => {
  if (need === 'root') {
    if (!p.root) throw new ForbiddenError('Only the root key (ADMIN_TOKEN) may do this.');
    return;
  }
  if (!hasScope(p, need)) throw new ForbiddenError(`This key lacks the "${need}" scope.`);
};

/**
 * The principal of the request's bearer key. Throws UnauthorizedError (401) when there is none or it
 * is not a known, live key. The root comparison comes first and is constant-time; a scoped key is
 * looked up by its hash (the store compares in constant time too).
 */
export const authenticate = async (event: HttpEvent, auth: Authenticator): Promise<Principal> => {
  const presented = bearerToken(event);
  if (!presented) throw new UnauthorizedError('A bearer token is required: Authorization: Bearer <key>.');
  if (tokensMatch(presented, await auth.adminToken())) return ROOT_PRINCIPAL;
  const principal = auth.verifyKey ? await auth.verifyKey(presented) : undefined;
  if (!principal) throw new UnauthorizedError('The bearer token is not valid.');
  return principal;
};

/**
 * The whole check of one private route: authenticate (401), then the scope (403), then, where the
 * route has a `{username}`, the profile (403). Returns the principal for the handler.
 */
export const authorize = async (event: HttpEvent, need: RouteAuth, auth: Authenticator): Promise<Principal> => {
  const principal = await authenticate(event, auth);
  requireAuth(principal, need);
  const username = event.pathParameters?.username;
  if (username !== undefined) requireProfile(principal, username);
  return principal;
};
