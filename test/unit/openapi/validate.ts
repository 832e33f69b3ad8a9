// JSON Schema validation of bodies against the API description (ajv, draft 2020-12, the dialect of
// OpenAPI 3.1), for the unit tests of this folder and test/e2e/openapi.test.ts: a body checks out
// when it validates against the schema the document gives for that route, status and media type.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { JsonSchema, OpenApiDocument, OpenApiOperation, OpenApiResponse, Ref } from '../../../lambdas/openapi/document.ts';

const COMPONENTS_ID = 'urn:linkcache:components';

/** `#/components/schemas/X` → a reference into the schema that holds the components. */
const rebase = (value: unknown, prefix: string): unknown => {
  if (Array.isArray(value)) return value.map((v) => rebase(v, prefix));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', `${prefix}#/$defs/`) : rebase(v, prefix),
      ]),
    );
  }
  return value;
};

const isRef = (v: unknown): v is Ref => typeof (v as Ref | undefined)?.$ref === 'string';

export interface DocumentValidator {
  /** The operation of `method` (any case) on `path` (the template), or undefined. */
  operation(method: string, path: string): OpenApiOperation | undefined;
  /** The answer the document gives for that status, resolved. */
  response(method: string, path: string, status: number): OpenApiResponse | undefined;
  /** Validates `body` against a schema; the error text when it does not. */
  check(schema: JsonSchema, body: unknown): string | undefined;
  /** Validates a JSON answer against its documented schema; the error text when it does not. */
  checkAnswer(method: string, path: string, status: number, body: unknown): string | undefined;
  /** Validates `body` against `#/components/schemas/<name>`. */
  checkComponent(name: string, body: unknown): string | undefined;
}

export const documentValidator = (doc: OpenApiDocument): DocumentValidator => {
  const ajv = new Ajv2020({ allErrors: true, strictTypes: false });
  // A CommonJS module: its default export is on `default` under Node's ESM interop.
  formats.default(ajv);
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: rebase(doc.components.schemas, '') as Record<string, JsonSchema> });
  const compiled = new Map<string, ValidateFunction>();
  const check = (schema: JsonSchema, body: unknown): string | undefined => {
    const key = JSON.stringify(schema);
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(rebase(schema, COMPONENTS_ID) as JsonSchema);
      compiled.set(key, validate);
    }
    return validate(body) ? undefined : ajv.errorsText(validate.errors, { separator: '; ' });
  };
  const operation = (method: string, path: string) => doc.paths[path]?.[method.toLowerCase()];
  const response = (method: string, path: string, status: number): OpenApiResponse | undefined => {
    const r = operation(method, path)?.responses[String(status)];
    if (!isRef(r)) return r;
    return doc.components.responses?.[r.$ref.slice(r.$ref.lastIndexOf('/') + 1)];
  };
  return {
    operation,
    response,
    check,
    checkAnswer: (method, path, status, body) => {
      const res = response(method, path, status);
      if (!res) return `${method} ${path} does not document ${status}`;
      const media = Object.entries(res.content ?? {}).find(([type]) => type.startsWith('application/json'));
      if (!media?.[1].schema) return `${method} ${path} ${status} has no JSON schema`;
      return check(media[1].schema, body);
    },
    checkComponent: (name, body) => check({ $ref: `#/components/schemas/${name}` }, body),
  };
};
