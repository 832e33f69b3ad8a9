// The one route table: API Gateway routes in CDK and the local HTTP adapter are both built from it,
// so the local stack dispatches exactly as the deployed HTTP API does.

/** Each Lambda function, by name; its code is `lambdas/<name>/handler.ts`, export `handler`. */
export type FunctionName = 'profile' | 'track' | 'webhook' | 'admin';

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH';
  /** API Gateway path template: `{param}` segments, no greedy params. */
  path: string;
  fn: FunctionName;
}

export const routes: readonly Route[] = [
  { method: 'GET', path: '/health', fn: 'profile' },
  { method: 'GET', path: '/api/profiles/{username}', fn: 'profile' },
  { method: 'GET', path: '/api/profiles/{username}/links', fn: 'profile' },
];

export const routeKey = (r: Pick<Route, 'method' | 'path'>): string => `${r.method} ${r.path}`;
