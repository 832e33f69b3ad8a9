// A typed client of the linkcache HTTP API: openapi-fetch over the types openapi-typescript
// generates from the API description (client/api-types.generated.ts, from
// lambdas/openapi/openapi.generated.json, the document GET /openapi.json serves). Paths,
// parameters, bodies and answers are checked by the compiler; nothing here knows a route by hand.
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './api-types.generated.ts';

export type { components, operations, paths };

export type Profile = components['schemas']['Profile'];
export type Link = components['schemas']['Link'];
export type ApiError = components['schemas']['Error'];
export type ErrorCode = ApiError['error']['code'];

export interface LinkcacheClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** ADMIN_TOKEN, for the private routes: sent as `Authorization: Bearer <token>`. */
  adminToken?: string;
}

export type LinkcacheClient = Client<paths>;

/** A client of the API at `baseUrl` (e.g. `http://127.0.0.1:3000`, or the deployed API's URL). */
export const createLinkcacheClient = (baseUrl: string, options: LinkcacheClientOptions = {}): LinkcacheClient => {
  const { adminToken, headers, ...rest } = options;
  return createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ''),
    ...rest,
    headers: { ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}), ...(headers as Record<string, string>) },
  });
};
