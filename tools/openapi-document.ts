// Builds the API description (OpenAPI 3.1) from the route table (lambdas/contracts/routes.ts, every
// route, the implied HEAD and OPTIONS ones included), the per-route metadata of
// tools/openapi-operations.ts and the error classes of lambdas/shared/errors.ts, converting the
// handlers' zod/mini schemas with zod's own JSON Schema output (`z.toJSONSchema`: request bodies
// and query parameters as input, answers as output).
//
// It runs at build time, not in the site Lambda: the document is written to
// lambdas/openapi/openapi.generated.json, which the site function serves and renders, and from
// which the typed client is generated (tools/generate-client.ts). So the converter and the other
// functions' handler modules stay out of the site bundle, and every change to the API shows up as
// a diff of that file. Run after changing a route, a schema or an error:
//   npm run openapi
// test/unit/openapi/document.test.ts fails when the committed file differs from a fresh build.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import { CORS_METHODS, type Route, routeKey, routes } from '../lambdas/contracts/routes.ts';
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_S } from '../lambdas/shared/cors.ts';
import { type ErrorInfo, errorCatalog } from './openapi-errors.ts';
import {
  COMPONENTS,
  type Named,
  type OperationMeta,
  OPERATIONS,
  PATH_PARAM_DEFAULTS,
  REQUEST_HEADERS,
  RESPONSE_HEADERS,
  type ResponseHeader,
  type ResponseMeta,
  type Schema,
  TAG_DESCRIPTIONS,
  Tags,
} from './openapi-operations.ts';

const root = path.resolve(import.meta.dirname, '..');
export const DOCUMENT_PATH = path.join(root, 'lambdas/openapi/openapi.generated.json');

type Json = Record<string, unknown>;

const JSON_TYPE = 'application/json; charset=utf-8';
const CORS_ANSWER: ResponseHeader[] = ['access-control-allow-origin', 'access-control-expose-headers', 'vary'];
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

// ---------------------------------------------------------------------------------------------
// Regular expressions: JSON Schema `pattern` has no flags, so a case-insensitive one (the beacon's
// UUID) is spelled out with both cases, or the description would refuse what the handler accepts.

const otherCase = (c: string): string => {
  const lower = c.toLowerCase();
  const upper = c.toUpperCase();
  return c === lower ? (upper !== c ? upper : '') : lower;
};

/** `source` of a RegExp with the `i` flag → a source that matches the same without it (ASCII letters). */
export const caseInsensitivePattern = (source: string): string => {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      // An escape is copied whole: \d, \p{L}, \u{1F600}, \u00e9, \x41, \cJ, \k<name>.
      const next = source[i + 1] ?? '';
      let end = i + 1;
      if ('pPu'.includes(next) && source[i + 2] === '{') end = source.indexOf('}', i);
      else if (next === 'k' && source[i + 2] === '<') end = source.indexOf('>', i);
      else if (next === 'u') end = i + 5;
      else if (next === 'x') end = i + 3;
      else if (next === 'c') end = i + 2;
      const escaped = source.slice(i, end + 1);
      // \x41 or \u0061 stand for a letter, which the flag matched in either case too.
      const code = /^\\(?:x([0-9a-f]{2})|u([0-9a-f]{4}))$/i.exec(escaped);
      const letter = code ? String.fromCharCode(Number.parseInt(code[1] ?? code[2], 16)) : '';
      out += /^[a-z]$/i.test(letter) && !inClass ? `[${letter.toLowerCase()}${letter.toUpperCase()}]` : escaped;
      i = end;
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        out += c;
      } else if (source[i + 1] === '-' && source[i + 2] !== undefined && source[i + 2] !== ']' && source[i + 2] !== '\\') {
        const hi = source[i + 2];
        const [lo2, hi2] = [otherCase(c), otherCase(hi)];
        out += `${c}-${hi}${lo2 && hi2 && /[a-z]/i.test(c) && /[a-z]/i.test(hi) ? `${lo2}-${hi2}` : ''}`;
        i += 2;
      } else {
        out += c + (/[a-z]/i.test(c) ? otherCase(c) : '');
      }
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') {
        out += '^';
        i++;
      }
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      // A group's own syntax ((?:, (?=, (?<name>) is not text to match.
      const named = source[i + 2] === '<' && /[A-Za-z]/.test(source[i + 3] ?? '');
      const end = named ? source.indexOf('>', i) : source[i + 2] === '<' ? i + 3 : i + 2;
      out += source.slice(i, end + 1);
      i = end;
      continue;
    }
    out += /[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
  }
  return out;
};

/** The regexes of a string schema's checks (`z.regex`), as zod's converter reads them. */
const patternsOf = (schema: Schema): RegExp[] =>
  ((schema._zod.def as { checks?: z.core.$ZodCheck[] }).checks ?? [])
    .map((c) => (c._zod.def as { pattern?: unknown }).pattern)
    .filter((p): p is RegExp => p instanceof RegExp);

/** zod's `override`: flags zod drops are spelled out (i) or refused (those JSON Schema cannot say). */
const overridePatterns = (ctx: { zodSchema: Schema; jsonSchema: Json }): void => {
  for (const re of patternsOf(ctx.zodSchema)) {
    if (/[msv]/.test(re.flags)) throw new Error(`/${re.source}/${re.flags}: JSON Schema patterns have no ${re.flags} flag`);
    if (!re.flags.includes('i')) continue;
    const fixed = caseInsensitivePattern(re.source);
    const js = ctx.jsonSchema as { pattern?: string; allOf?: Array<{ pattern?: string }> };
    if (js.pattern === re.source) js.pattern = fixed;
    for (const part of js.allOf ?? []) if (part.pattern === re.source) part.pattern = fixed;
  }
};

const clean = (schema: Json): Json => {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
};

/** One schema (a parameter's), inline. */
export const jsonSchemaOf = (schema: Schema, io: 'input' | 'output'): Json =>
  clean(z.toJSONSchema(schema, { io, override: overridePatterns }) as Json);

/** The named schemas as components, each converted for the side it is used on. */
const components = (named: Named[], io: Map<string, 'input' | 'output'>): Record<string, Json> => {
  const out: Record<string, Json> = {};
  for (const side of ['input', 'output'] as const) {
    const registry = z.registry<{ id: string }>();
    const mine = named.filter((n) => (io.get(n.id) ?? 'output') === side);
    // A schema nested in another (Link in Profile) is a $ref when it is a component of that side.
    for (const n of mine) registry.add(n.schema, { id: n.id });
    if (!mine.length) continue;
    const { schemas } = z.toJSONSchema(registry, {
      io: side,
      uri: (id) => `#/components/schemas/${id}`,
      override: overridePatterns,
    }) as { schemas: Record<string, Json> };
    for (const n of mine) out[n.id] = { ...clean(schemas[n.id]), ...(n.description ? { description: n.description } : {}) };
  }
  return Object.fromEntries(named.map((n) => [n.id, out[n.id]]));
};

// ---------------------------------------------------------------------------------------------
// Operations

const pathParams = (template: string): string[] => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);

const headerRefs = (names: readonly ResponseHeader[]): Json | undefined =>
  names.length ? Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }])) : undefined;

const PAGE_ERRORS: Record<number, string> = {
  404: 'The HTML 404 page: no such page (an unknown, invalid or reserved name).',
  503: 'The HTML 503 page, with Retry-After: the origin is unavailable and nothing is cached.',
  500: 'The HTML 500 page: an unexpected failure.',
};

/**
 * Error answers are shared components (`#/components/responses/<codes>`), one per set of codes of
 * one status, with a variant for CORS routes (which add their headers) and for HEAD (no body).
 */
class ErrorResponses {
  readonly components: Record<string, Json> = {};
  private readonly catalog: Map<string, ErrorInfo>;
  constructor(catalog: Map<string, ErrorInfo>) {
    this.catalog = catalog;
  }

  private add(name: string, make: () => Json): Json {
    this.components[name] ??= make();
    return { $ref: `#/components/responses/${name}` };
  }

  for(meta: OperationMeta, route: Route): Record<string, Json> {
    const extra: ResponseHeader[] = route.cors ? CORS_ANSWER : [];
    const suffix = `${route.cors ? '.cors' : ''}${meta.headersOnly ? '.head' : ''}`;
    const out: Record<string, Json> = {};
    // A page route's errors are HTML pages (lambdas/pages/error-page.ts), never the JSON body.
    if (route.page ? meta.errors?.length : meta.pageErrors) {
      throw new Error(`${routeKey(route)}: ${route.page ? 'a page has pageErrors, not errors' : 'only pages have pageErrors'}`);
    }
    if (route.page) {
      for (const status of [...(meta.pageErrors ?? []), 500]) {
        const description = PAGE_ERRORS[status];
        if (!description) throw new Error(`${meta.operationId}: no text for an HTML ${status} page`);
        const headers = headerRefs([...(status === 503 ? (['retry-after'] as const) : []), ...extra]);
        out[status] = this.add(`Page${status}${suffix}`, () => ({
          description,
          ...(headers ? { headers } : {}),
          ...(meta.headersOnly ? {} : { content: { 'text/html; charset=utf-8': { schema: { type: 'string' } } } }),
        }));
      }
      return out;
    }
    const byStatus = new Map<number, ErrorInfo[]>();
    // A private route answers 401 (no or a dead key) and 403 (outside its scopes or profiles), from the kernel.
    const guard = route.auth ? ['UNAUTHORIZED', 'FORBIDDEN'] : [];
    for (const code of new Set([...guard, ...(meta.errors ?? []), 'INTERNAL_ERROR'])) {
      const info = this.catalog.get(code);
      if (!info) throw new Error(`${meta.operationId}: ${code} is not an error code of lambdas/shared/errors.ts`);
      byStatus.set(info.status, [...(byStatus.get(info.status) ?? []), info]);
    }
    for (const [status, infos] of [...byStatus].sort(([a], [b]) => a - b)) {
      const codes = infos.map((i) => i.code);
      const headers = headerRefs([...new Set([...infos.flatMap((i) => i.headers as ResponseHeader[]), ...extra])].sort());
      out[status] = this.add(`${codes.join('-')}${suffix}`, () => ({
        description: infos.map((i) => `\`${i.code}\`: ${i.when}`).join(' '),
        ...(headers ? { headers } : {}),
        ...(meta.headersOnly
          ? {}
          : {
              content: {
                [JSON_TYPE]: {
                  schema: {
                    allOf: [ref('Error'), { properties: { error: { properties: { code: { enum: codes } } } } }],
                  },
                },
              },
            }),
      }));
    }
    return out;
  }
}

const response = (r: ResponseMeta, extraHeaders: readonly ResponseHeader[]): Json => {
  const headers = headerRefs([...(r.headers ?? []), ...extraHeaders.filter((h) => !r.headers?.includes(h))]);
  // A JSON body and other media types may be offered side by side (the analytics route's CSV).
  const content =
    r.json || r.content
      ? {
          ...(r.json ? { [JSON_TYPE]: { schema: ref(r.json.id) } } : {}),
          ...Object.fromEntries(Object.entries(r.content ?? {}).map(([type, schema]) => [type, { schema }])),
        }
      : undefined;
  return { description: r.description, ...(headers ? { headers } : {}), ...(content ? { content } : {}) };
};

const operation = (route: Route, meta: OperationMeta, errors: ErrorResponses): Json => {
  const params: Json[] = pathParams(route.path).map((name) => {
    const own = meta.pathParams?.[name];
    if (!own && PATH_PARAM_DEFAULTS[name]) return { $ref: `#/components/parameters/${name}` };
    const p = own ?? PATH_PARAM_DEFAULTS[name];
    if (!p) throw new Error(`${routeKey(route)}: say what {${name}} is (pathParams)`);
    return {
      name,
      in: 'path',
      required: true,
      description: p.description,
      schema: p.schema ? jsonSchemaOf(p.schema, 'input') : { type: 'string' },
      ...(p.example ? { example: p.example } : {}),
    };
  });
  if (meta.query) {
    const q = jsonSchemaOf(meta.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, ...rest } = schema;
      params.push({
        name,
        in: 'query',
        required: q.required?.includes(name) ?? false,
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  for (const name of meta.requestHeaders ?? []) params.push({ $ref: `#/components/parameters/${name}` });
  // The route table says which routes are private; the metadata must agree, so neither drifts.
  if (Boolean(meta.admin) !== Boolean(route.auth))
    throw new Error(`${routeKey(route)}: ${route.auth ? 'a private route needs admin: true' : 'admin: true on a public route'}`);
  const extra = route.cors ? CORS_ANSWER : [];
  const responses: Json = Object.fromEntries(Object.entries(meta.responses).map(([s, r]) => [s, response(r, extra)]));
  Object.assign(responses, errors.for(meta, route));
  return {
    operationId: meta.operationId,
    summary: meta.summary,
    ...(meta.description || route.cors
      ? {
          description: [
            meta.description,
            route.cors ? 'Readable by browser code on the sites of CORS_ORIGINS (errors included).' : undefined,
          ]
            .filter(Boolean)
            .join(' '),
        }
      : {}),
    tags: [meta.tag],
    // The scope (or 'root') as the requirement's role, as OpenAPI 3.1 allows for any scheme.
    ...(route.auth ? { security: [{ adminToken: [route.auth] }] } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(meta.body
      ? {
          requestBody: {
            required: true,
            ...(meta.body.description ? { description: meta.body.description } : {}),
            content: Object.fromEntries(
              meta.body.mediaTypes.map((t, i) => [
                t,
                { schema: ref(meta.body!.id), ...(i === 0 ? { example: meta.body!.example } : {}) },
              ]),
            ),
          },
        }
      : {}),
    responses,
    'x-function': route.fn,
    ...(route.page ? { 'x-page': true } : {}),
  };
};

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** HEAD answers as GET does, without the body (the kernel routes it to the GET handler). */
export const headOf = (get: OperationMeta): OperationMeta => ({
  ...get,
  operationId: `${get.operationId}Head`,
  summary: `${get.summary} (headers only)`,
  description: 'As GET, without the body: the same status and headers.',
  headersOnly: true,
  body: undefined,
  responses: Object.fromEntries(
    Object.entries(get.responses).map(([s, r]) => [s, { description: r.description, headers: r.headers }]),
  ),
});

/** The CORS kernel's answer to a preflight (lambdas/shared/cors.ts). */
export const preflightOf = (route: Route, tagOf: OperationMeta['tag']): OperationMeta => {
  const methods = CORS_METHODS.get(routeKey(route)) ?? [];
  const id = route.path
    .split('/')
    .filter(Boolean)
    .map((s) =>
      capitalized(s.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())),
    )
    .join('');
  return {
    operationId: `preflight${id}`,
    summary: 'CORS preflight',
    description: `For browsers on other sites: an allowed Origin asking for one of ${methods.join(', ')} gets the grant (methods, request headers \`${CORS_ALLOW_HEADERS}\`, max-age ${CORS_MAX_AGE_S} s; readable answer headers \`${CORS_EXPOSE_HEADERS}\`). Anything else gets no CORS header.`,
    tag: tagOf,
    requestHeaders: ['origin', 'access-control-request-method'],
    responses: {
      204: {
        description: 'No body.',
        headers: [
          'allow',
          'cache-control',
          'vary',
          'access-control-allow-origin',
          'access-control-allow-methods',
          'access-control-allow-headers',
          'access-control-max-age',
        ],
      },
    },
    errors: [],
  };
};

/** The metadata of every route of `table`: written, or derived (HEAD from GET, OPTIONS preflight). */
export const operationsFor = (table: readonly Route[], written = OPERATIONS): Map<string, OperationMeta> => {
  const out = new Map<string, OperationMeta>();
  for (const r of table) {
    const key = routeKey(r);
    let meta = written[key];
    if (!meta && r.method === 'HEAD') {
      const get = written[routeKey({ method: 'GET', path: r.path })];
      if (get) meta = headOf(get);
    }
    if (!meta && r.method === 'OPTIONS') {
      const first = table.find((t) => t.path === r.path && t.method !== 'OPTIONS');
      meta = preflightOf(r, (first && written[routeKey(first)]?.tag) ?? Tags.meta);
    }
    if (!meta) throw new Error(`No OpenAPI metadata for ${key}: add it to tools/openapi-operations.ts`);
    out.set(key, meta);
  }
  const stale = Object.keys(written).filter((k) => !out.has(k));
  if (stale.length) throw new Error(`tools/openapi-operations.ts describes routes the table does not have: ${stale.join(', ')}`);
  return out;
};

const version = (): string => (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

export const buildOpenApiDocument = (table: readonly Route[] = routes): Json => {
  const errors = new ErrorResponses(errorCatalog());
  const ops = operationsFor(table);
  const ids = new Set<string>();
  const io = new Map<string, 'input' | 'output'>();
  const use = (n: Named, side: 'input' | 'output') => {
    if (io.get(n.id) && io.get(n.id) !== side) throw new Error(`${n.id} is used both as a request and as an answer`);
    io.set(n.id, side);
  };
  const paths: Record<string, Json> = {};
  for (const r of table) {
    const meta = ops.get(routeKey(r)) as OperationMeta;
    if (ids.has(meta.operationId)) throw new Error(`operationId ${meta.operationId} is used twice`);
    ids.add(meta.operationId);
    if (meta.body) use(meta.body, 'input');
    for (const res of Object.values(meta.responses)) if (res.json) use(res.json, 'output');
    paths[r.path] = { ...paths[r.path], [r.method.toLowerCase()]: operation(r, meta, errors) };
  }
  // Nested components take the side of the component they are in (Link in Profile, LinkUpdate in LinksPatch).
  if (!io.has('Link')) io.set('Link', 'output');
  if (!io.has('LinkUpdate')) io.set('LinkUpdate', 'input');
  const catalog = errorCatalog();
  return {
    openapi: '3.1.0',
    info: {
      title: 'linkcache HTTP API',
      version: version(),
      description: [
        'A read-optimized cache of link-in-bio profiles: cached reads, click redirects and beacons counted exactly once, private admin routes and signed webhooks.',
        'Every JSON error is `{"error": {"code", "message"}}`; a client error is never a 5xx. Deployed, API Gateway answers some requests itself as `{"message"}` (no route: 404, throttling: 429, bodies over 10 MB: 413).',
        "Generated from the route table (lambdas/contracts/routes.ts) and the handlers' own schemas.",
      ].join('\n\n'),
    },
    tags: Object.values(Tags).map((name) => ({ name, description: TAG_DESCRIPTIONS[name] })),
    paths,
    components: {
      schemas: {
        ...components(COMPONENTS, io),
        Error: {
          type: 'object',
          description: 'Every JSON error.',
          properties: {
            error: {
              type: 'object',
              properties: {
                code: {
                  type: 'string',
                  description: 'UPPER_SNAKE; each answer lists the codes it may carry.',
                  oneOf: [...catalog.values()].map((i) => ({ const: i.code, description: `${i.status}: ${i.when}` })),
                },
                message: { type: 'string', description: 'A sentence for people.' },
              },
              required: ['code', 'message'],
              additionalProperties: false,
            },
          },
          required: ['error'],
          additionalProperties: false,
        },
      },
      parameters: {
        ...Object.fromEntries(
          Object.entries(PATH_PARAM_DEFAULTS).map(([name, p]) => [
            name,
            {
              name,
              in: 'path',
              required: true,
              description: p.description,
              schema: p.schema ? jsonSchemaOf(p.schema, 'input') : { type: 'string' },
              ...(p.example ? { example: p.example } : {}),
            },
          ]),
        ),
        ...Object.fromEntries(
          Object.entries(REQUEST_HEADERS).map(([name, h]) => [
            name,
            { name, in: 'header', required: h.required, description: h.description, schema: h.schema },
          ]),
        ),
      },
      headers: Object.fromEntries(
        Object.entries(RESPONSE_HEADERS).map(([name, h]) => [name, { description: h.description, schema: h.schema }]),
      ),
      responses: errors.components,
      securitySchemes: {
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'The root key ADMIN_TOKEN (npm start prints a dev token), or a scoped API key from `POST /api/keys` holding the scope each operation names (`root`: the root key only).',
        },
      },
    },
  };
};

/** The text of lambdas/openapi/openapi.generated.json. */
export const generateOpenApiJson = (): string => `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;

if (import.meta.main) {
  const text = generateOpenApiJson();
  let before = '';
  try {
    before = readFileSync(DOCUMENT_PATH, 'utf8');
  } catch {}
  if (text === before) console.log(`${path.relative(root, DOCUMENT_PATH)} is up to date`);
  else {
    writeFileSync(DOCUMENT_PATH, text);
    console.log(`${path.relative(root, DOCUMENT_PATH)} written (${text.length} bytes)`);
  }
}
