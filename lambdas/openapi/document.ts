// The API description the site function serves (`GET /openapi.json`) and renders (`GET /docs`,
// lambdas/pages/docs-page.ts). The document is built at build time from the route table and the
// handlers' own zod schemas by tools/openapi-document.ts (`npm run openapi`) into
// openapi.generated.json beside this file; a unit test fails when that file is not what a fresh
// build gives. Building it here instead would put zod's JSON Schema converter and the other
// functions' handler modules in the site bundle, and cost a conversion at every cold start.
import { strongEtag } from '../core/profile-service.ts';
import { etagMatches } from '../profile/respond.ts';
import { type HttpResult, JSON_TYPE } from '../shared/http.ts';
import generated from './openapi.generated.json' with { type: 'json' };

/** The parts of an OpenAPI 3.1 document this code reads; the file has the whole of it. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    parameters?: Record<string, OpenApiParameter>;
    headers?: Record<string, { description?: string; schema?: JsonSchema }>;
    responses?: Record<string, OpenApiResponse>;
    securitySchemes?: Record<string, { type: string; scheme?: string; description?: string }>;
  };
}

export type JsonSchema = Record<string, unknown>;
export type Ref = { $ref: string };

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
  example?: unknown;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, Ref | { description?: string; schema?: JsonSchema }>;
  content?: Record<string, { schema?: JsonSchema; example?: unknown }>;
}

export interface OpenApiOperation {
  operationId: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<OpenApiParameter | Ref>;
  requestBody?: { required?: boolean; description?: string; content: Record<string, { schema?: JsonSchema; example?: unknown }> };
  responses: Record<string, OpenApiResponse | Ref>;
  'x-function'?: string;
  'x-page'?: boolean;
}

export const openApiDocument = generated as unknown as OpenApiDocument;

/** The document changes only with a deploy; like robots.txt and the favicon, caches keep it a day. */
export const DOCUMENT_CACHE_CONTROL = 'public, max-age=86400';

/** A body served as is to every request, with its strong ETag; built on first use, once per process. */
export interface StaticBody {
  body: string;
  etag: string;
}

export const staticBody = (render: () => string): (() => StaticBody) => {
  let memo: StaticBody | undefined;
  return () => {
    if (!memo) {
      const body = render();
      memo = { body, etag: strongEtag(body) };
    }
    return memo;
  };
};

/** 200 with the body, or 304 when If-None-Match matches; `headers` go on both. */
export const staticResponse = (
  { body, etag }: StaticBody,
  ifNoneMatch: string | undefined,
  contentType: string,
  headers: Record<string, string> = {},
): HttpResult => {
  const common = { etag, 'cache-control': DOCUMENT_CACHE_CONTROL, ...headers };
  if (etagMatches(ifNoneMatch, etag)) return { statusCode: 304, headers: common };
  return { statusCode: 200, headers: { 'content-type': contentType, ...common }, body };
};

const documentBody = staticBody(() => JSON.stringify(openApiDocument));

/** `GET /openapi.json`. */
export const openApiResponse = (ifNoneMatch: string | undefined): HttpResult =>
  staticResponse(documentBody(), ifNoneMatch, JSON_TYPE, { 'x-content-type-options': 'nosniff' });
