// The API description: the committed document is what the route table and the handlers' schemas
// give now, it names every route of the table, it is valid OpenAPI 3.1, and its schemas say what
// the handlers' parsers say (examples accepted by both, case-insensitive patterns spelled out).
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { parseLinksPatch } from '../../../lambdas/admin/links.ts';
import { type Route, routeKey, routes } from '../../../lambdas/contracts/routes.ts';
import { type OpenApiDocument, openApiDocument } from '../../../lambdas/openapi/document.ts';
import * as errors from '../../../lambdas/shared/errors.ts';
import { parseBeacon } from '../../../lambdas/track/handler.ts';
import { parseWebhookPayload } from '../../../lambdas/webhook/payload.ts';
import {
  buildOpenApiDocument,
  caseInsensitivePattern,
  DOCUMENT_PATH,
  generateOpenApiJson,
  operationsFor,
} from '../../../tools/openapi-document.ts';
import { errorCatalog } from '../../../tools/openapi-errors.ts';
import { OPERATIONS } from '../../../tools/openapi-operations.ts';
import { apiEvent } from '../../helpers/events.ts';
import { documentValidator } from './validate.ts';

const doc = openApiDocument;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const documented = (d: OpenApiDocument) =>
  Object.entries(d.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => METHODS.includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );

describe('the committed API description', () => {
  it('lambdas/openapi/openapi.generated.json is up to date with the routes and schemas (else run `npm run openapi`)', () => {
    expect(readFileSync(DOCUMENT_PATH, 'utf8')).toBe(generateOpenApiJson());
  });

  it('documents every route of the table (HEAD and OPTIONS included) and nothing else', () => {
    expect(documented(doc).sort()).toEqual(routes.map(routeKey).sort());
    expect(routes.some((r) => r.method === 'HEAD')).toBe(true);
    expect(routes.some((r) => r.method === 'OPTIONS')).toBe(true);
  });

  it('is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('refuses to build without metadata for a route, or with metadata for a route the table lacks', () => {
    const extra: Route = { method: 'POST', path: '/api/new', fn: 'track' };
    expect(() => buildOpenApiDocument([...routes, extra])).toThrow(/No OpenAPI metadata for POST \/api\/new/);
    expect(() =>
      operationsFor(routes.filter((r) => routeKey(r) !== 'GET /robots.txt' && routeKey(r) !== 'HEAD /robots.txt')),
    ).toThrow(/describes routes the table does not have: GET \/robots.txt/);
    // A HEAD or OPTIONS route the table implies needs none of its own.
    const head: Route = { method: 'HEAD', path: '/health', fn: 'profile' };
    expect(
      operationsFor([{ method: 'GET', path: '/health', fn: 'profile' }, head], { 'GET /health': OPERATIONS['GET /health'] }).get(
        'HEAD /health',
      )?.operationId,
    ).toBe('getHealthHead');
  });

  it('gives each operation a unique id, a summary, its tag, and every path parameter of its template', () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        expect(op.tags?.length, `${method} ${path}`).toBe(1);
        const declared = (op.parameters ?? [])
          .map((p) => ('$ref' in p ? doc.components.parameters?.[p.$ref.split('/').pop() as string] : p))
          .filter((p) => p?.in === 'path')
          .map((p) => p?.name);
        expect(declared.sort(), `${method} ${path}`).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
      }
    }
  });

  it('answers every error status of a JSON route with the error body and only codes of that status', () => {
    const catalog = errorCatalog();
    const v = documentValidator(doc);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const isPage = op['x-page'] === true;
        for (const status of Object.keys(op.responses).map(Number)) {
          const res = v.response(method, path, status);
          expect(res?.description, `${method} ${path} ${status}`).toBeTruthy();
          if (status < 400 || method === 'head') continue;
          if (isPage) {
            expect(Object.keys(res?.content ?? {}), `${method} ${path} ${status}`).toEqual(['text/html; charset=utf-8']);
            continue;
          }
          const schema = res?.content?.['application/json; charset=utf-8']?.schema as { allOf: unknown[] };
          const codes = (schema.allOf[1] as { properties: { error: { properties: { code: { enum: string[] } } } } }).properties
            .error.properties.code.enum;
          expect(codes.length).toBeGreaterThan(0);
          for (const code of codes) expect({ code, status: catalog.get(code)?.status }).toEqual({ code, status });
          // A body of one of its codes validates; one of another code does not.
          expect(v.checkAnswer(method, path, status, { error: { code: codes[0], message: 'x' } })).toBeUndefined();
          expect(v.checkAnswer(method, path, status, { error: { code: 'NOT_A_CODE', message: 'x' } })).toBeDefined();
        }
      }
    }
  });

  it('lists every error class of lambdas/shared/errors.ts with its status, and the 500', () => {
    const listed = (
      doc.components.schemas.Error as {
        properties: { error: { properties: { code: { oneOf: { const: string; description: string }[] } } } };
      }
    ).properties.error.properties.code.oneOf;
    const byCode = new Map(listed.map((c) => [c.const, c.description]));
    // One code per class (and the 500 of lambdas/shared/http.ts), each in the document; a
    // subclass that answers as its parent (OriginShapeError is an ORIGIN_UNAVAILABLE) adds none.
    const classes = Object.values(errors).filter(
      (v) =>
        typeof v === 'function' &&
        v.prototype instanceof errors.AppError &&
        Object.getPrototypeOf(v.prototype).constructor !== errors.OriginUnavailableError,
    );
    expect(errorCatalog().size).toBe(classes.length + 1);
    expect([...byCode.keys()]).toEqual([...errorCatalog().keys()]);
    for (const info of errorCatalog().values()) expect(byCode.get(info.code)).toMatch(new RegExp(`^${info.status}: `));
    expect(byCode.get('INTERNAL_ERROR')).toMatch(/^500: /);
    expect(byCode.get('ORIGIN_UNAVAILABLE')).toMatch(/^503: /);
    expect(byCode.get('UNAUTHORIZED')).toMatch(/^401: /);
    // Error headers come from the instances: a 503 of the origin carries Retry-After.
    expect(errorCatalog().get('ORIGIN_UNAVAILABLE')?.headers).toEqual(['retry-after']);
    expect(errorCatalog().get('UNAUTHORIZED')?.headers).toEqual(['www-authenticate']);
  });

  it('marks the admin routes with the bearer scheme and no other route', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const route = routes.find((r) => r.path === path && r.method === method.toUpperCase()) as Route;
        expect({ key: routeKey(route), admin: !!op.security }).toEqual({ key: routeKey(route), admin: route.fn === 'admin' });
        expect(op['x-function']).toBe(route.fn);
      }
    }
    expect(doc.components.securitySchemes?.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('schemas from the handlers', () => {
  const v = documentValidator(doc);
  const now = Date.now();

  it("takes request bodies from the handlers' own zod schemas, as input", () => {
    const body = (key: string) => {
      const [method, path] = key.split(' ');
      return v.operation(method, path)?.requestBody?.content['application/json']?.schema;
    };
    expect(body('POST /api/events')).toEqual({ $ref: '#/components/schemas/BeaconBody' });
    expect(body('PATCH /api/profiles/{username}/links')).toEqual({ $ref: '#/components/schemas/LinksPatch' });
    expect(body('POST /webhooks/linktree')).toEqual({ $ref: '#/components/schemas/WebhookPayload' });
    // Input: the webhook's username (lower-cased by a transform) is a plain string with the pattern.
    expect(
      (doc.components.schemas.WebhookPayload as { properties: { data: { properties: Record<string, unknown> } } }).properties.data
        .properties.username,
    ).toEqual({
      type: 'string',
      pattern: '^[A-Za-z0-9._]{1,30}$',
    });
    // Unknown fields: refused in a link update (strict), ignored in a beacon event.
    expect(v.checkComponent('LinksPatch', { links: [{ id: 'a', colour: 'red' }] })).toMatch(/additional/);
    expect(v.checkComponent('BeaconBody', { events: [{ type: 'profile.viewed', username: 'demo', extra: 1 }] })).toBeUndefined();
  });

  it("has examples that both the documented schema and the handler's parser accept", () => {
    const example = (key: string) => {
      const [method, path] = key.split(' ');
      return v.operation(method, path)?.requestBody?.content['application/json']?.example;
    };
    const beacon = example('POST /api/events');
    expect(v.checkComponent('BeaconBody', beacon)).toBeUndefined();
    expect(parseBeacon(JSON.stringify(beacon), now, 345_600).events).toHaveLength(2);
    const patch = example('PATCH /api/profiles/{username}/links');
    expect(v.checkComponent('LinksPatch', patch)).toBeUndefined();
    const event = apiEvent({ method: 'PATCH', route: '/api/profiles/{username}/links', body: JSON.stringify(patch) });
    expect(parseLinksPatch(event)).toEqual([{ id: 'lnk_shop', title: 'Print shop' }]);
    const webhook = example('POST /webhooks/linktree');
    expect(v.checkComponent('WebhookPayload', webhook)).toBeUndefined();
    expect(parseWebhookPayload(Buffer.from(JSON.stringify(webhook))).data.profileId).toBe('prof_demo');
  });

  it('agrees with the parsers on values at the edges of the schemas', () => {
    const beacon = (event: Record<string, unknown>) => ({ events: [{ type: 'profile.viewed', username: 'demo', ...event }] });
    const parses = (body: unknown) => {
      try {
        parseBeacon(JSON.stringify(body), now, 345_600);
        return true;
      } catch {
        return false;
      }
    };
    for (const event of [
      { id: '0B3F7A5E-5C1D-4E8A-9F2B-6D4C3A2B1E0F' }, // upper case: the handler's UUID regex has the i flag
      { id: '0b3f7a5e-5c1d-4e8a-9f2b-6d4c3a2b1e0f' },
      { id: 'not-a-uuid' },
      { username: 'Demo.User_1' },
      { username: 'no-dashes' },
      { username: 'x'.repeat(31) },
      { linkId: 'x'.repeat(128), type: 'link.clicked' },
      { linkId: 'x'.repeat(129), type: 'link.clicked' },
      { referrer: 'r'.repeat(2049) },
      { type: 'page.viewed' },
      { utm: { source: 's'.repeat(201) } },
    ]) {
      const body = beacon(event);
      expect({ event, documented: v.checkComponent('BeaconBody', body) === undefined }).toEqual({
        event,
        documented: parses(body),
      });
    }
  });
});

describe('caseInsensitivePattern', () => {
  it('matches what the pattern with the i flag matches, without the flag', () => {
    const cases: Array<[RegExp, string[]]> = [
      [/^[0-9a-f]{8}-[0-9a-f]{4}$/i, ['0b3f7a5e-5c1d', '0B3F7A5E-5C1D', '0b3f7a5g-5c1d', 'zzzz']],
      [/^abc\d+$/i, ['ABC12', 'abc1', 'aBc', 'abd1']],
      [/^(?:x|y)[^a-c]$/i, ['xd', 'XD', 'xA', 'Yc', 'yz']],
      [/^\p{L}z\u0041\x42\d$/iu, ['éZAB1', 'éZab1', '1zAB1', 'éZAB']],
      [/^(?<name>q)r$/i, ['qr', 'QR', 'qR', 'qq']],
    ];
    for (const [re, inputs] of cases) {
      const without = new RegExp(caseInsensitivePattern(re.source), re.flags.replace('i', ''));
      for (const s of inputs)
        expect({ re: re.source, s, matches: without.test(s) }).toEqual({ re: re.source, s, matches: re.test(s) });
    }
  });
});
