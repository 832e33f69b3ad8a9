// Factories for the events handlers receive; tests build what they need, no snapshots.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { routes } from '../../lambdas/contracts/routes.ts';

export interface ApiEventInput {
  method?: string;
  /** The route's path template, e.g. `/api/profiles/{username}`. */
  route: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  sourceIp?: string;
}

export const apiEvent = (input: ApiEventInput): APIGatewayProxyEventV2 => {
  const method = input.method ?? 'GET';
  const known = routes.some((r) => r.method === method && r.path === input.route);
  if (!known) throw new Error(`test uses a route not in lambdas/contracts/routes.ts: ${method} ${input.route}`);
  const rawPath = input.route.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(input.pathParameters?.[name] ?? ''));
  const headers = Object.fromEntries(Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const rawQueryString = new URLSearchParams(input.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey: `${method} ${input.route}`,
    rawPath,
    rawQueryString,
    headers,
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'test.local',
      domainPrefix: 'test',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: input.sourceIp ?? '203.0.113.7',
        userAgent: headers['user-agent'] ?? 'vitest',
      },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: `${method} ${input.route}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(input.body !== undefined ? { body: input.body } : {}),
    isBase64Encoded: input.isBase64Encoded ?? false,
  };
};

export const lambdaContext = (fn = 'test'): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: fn,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${fn}`,
  memoryLimitInMB: '1024',
  awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
  logGroupName: `/aws/lambda/${fn}`,
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 10_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
});
