// `POST /api/keys`, `GET /api/keys`, `DELETE /api/keys/{id}` (root key only: the route table says
// so, and the kernel checks it first): scoped API keys made, listed without their secrets, revoked.
import * as z from 'zod/mini';
import { SCOPES } from '../contracts/routes.ts';
import type { ApiKeys } from '../core/api-keys.ts';
import { DependencyUnavailableError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { type HttpEvent, json, rawBody } from '../shared/http.ts';
import type { RouteHandler } from '../shared/router.ts';
import { USERNAME_RE } from '../shared/username.ts';
import { firstIssue } from '../shared/validation.ts';

export type KeyService = Pick<ApiKeys, 'create' | 'list' | 'revoke' | 'authenticate'>;

export const MAX_KEY_PROFILES = 100;

const unique = (xs: readonly string[]) => new Set(xs.map((x) => x.toLowerCase())).size === xs.length;

export const newKeySchema = z.strictObject({
  scopes: z.array(z.enum(SCOPES)).check(z.minLength(1), z.maxLength(SCOPES.length), z.refine(unique, 'scopes must not repeat')),
  profiles: z.optional(
    z
      .array(z.string().check(z.regex(USERNAME_RE, 'a username is 1-30 letters, digits, "." or "_"')))
      .check(z.minLength(1), z.maxLength(MAX_KEY_PROFILES), z.refine(unique, 'profiles must not repeat')),
  ),
  expiresAt: z.optional(z.iso.datetime({ offset: true })),
});

/** Key ids as made by lambdas/core/api-keys.ts. */
export const KEY_ID_RE = /^key_[0-9a-f]{24}$/;

const parseNewKey = (event: HttpEvent): z.infer<typeof newKeySchema> => {
  let body: unknown;
  try {
    body = JSON.parse(rawBody(event).toString('utf8'));
  } catch {
    throw new ValidationError(
      'The body is not valid JSON: send {"scopes": Scope[], "profiles"?: username[], "expiresAt"?: ISO-8601}.',
    );
  }
  const parsed = newKeySchema.safeParse(body);
  if (!parsed.success) throw new ValidationError(`Invalid key request at ${firstIssue(parsed.error, '(root)')}.`);
  return parsed.data;
};

const NO_STORE = { 'cache-control': 'no-store' };

export const keyRoutes = (keys: () => KeyService | undefined): Record<string, RouteHandler> => {
  const service = (): KeyService => {
    const k = keys();
    if (!k) throw new DependencyUnavailableError('key store');
    return k;
  };
  return {
    'POST /api/keys': async (event) => {
      const input = parseNewKey(event);
      return json(201, await service().create(input), NO_STORE);
    },
    'GET /api/keys': async () => json(200, { keys: await service().list() }, NO_STORE),
    'DELETE /api/keys/{id}': async (event) => {
      const id = event.pathParameters?.id ?? '';
      const unknown = new NotFoundError(`No API key "${id.slice(0, 64)}".`);
      if (!KEY_ID_RE.test(id)) throw unknown;
      if (!(await service().revoke(id))) throw unknown;
      return json(200, { id, revoked: true }, NO_STORE);
    },
  };
};
