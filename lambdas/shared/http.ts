// HTTP edge helpers shared by every handler: JSON responses, the error → response mapping
// (the only place AppErrors become HTTP), and the middy middleware that applies it.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AppError } from './errors.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

export const JSON_TYPE = 'application/json; charset=utf-8';

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': JSON_TYPE, ...headers },
  body: JSON.stringify(body),
});

export const errorBody = (code: string, message: string): string => JSON.stringify({ error: { code, message } });

/** Maps any thrown value to a contract error response; unknown errors become a 500 with no details leaked. */
export const errorResponse = (err: unknown): HttpResult => {
  if (err instanceof AppError) {
    return {
      statusCode: err.status,
      headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...err.headers },
      body: errorBody(err.code, err.message),
    };
  }
  return {
    statusCode: 500,
    headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store' },
    body: errorBody('INTERNAL_ERROR', 'Something went wrong on our side.'),
  };
};

export interface ErrorLogger {
  error(message: string, ...extra: unknown[]): void;
}

/** middy: turns errors into responses; logs the ones that are ours to fix (5xx). */
export const httpErrors = (
  logger: ErrorLogger,
  render: (err: unknown, event: HttpEvent) => HttpResult = errorResponse,
): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: async (request) => {
    const response = render(request.error, request.event);
    if (response.statusCode >= 500) logger.error('request failed', { error: request.error, routeKey: request.event.routeKey });
    request.response = response;
  },
});

/** Headers arrive lower-cased from API Gateway HTTP APIs and from the local adapter. */
export const header = (event: HttpEvent, name: string): string | undefined => event.headers?.[name];

export const bearerToken = (event: HttpEvent): string | undefined => {
  const auth = header(event, 'authorization');
  if (!auth) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
  return m?.[1];
};

/** The raw request body as bytes, whatever the transport encoded it as. */
export const rawBody = (event: HttpEvent): Buffer =>
  event.body === undefined || event.body === null
    ? Buffer.alloc(0)
    : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
