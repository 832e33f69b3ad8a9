// `GET /docs`: the API reference for people, rendered on the server from the same OpenAPI document
// that `GET /openapi.json` serves (lambdas/openapi/document.ts): a table of contents by tag, each
// route with its method, path, summary, parameters, bodies and answers, then the schemas and the
// error codes, shown as readable JSON. One inline stylesheet (allowed by its hash in the CSP), no
// script, nothing from another host: it works offline. Rendered once per process.
import {
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiParameter,
  type OpenApiResponse,
  openApiDocument,
  type Ref,
  staticBody,
  staticResponse,
} from '../openapi/document.ts';
import type { HttpResult } from '../shared/http.ts';
import { assetPath } from './assets.ts';
import { escapeHtml, html, raw, type SafeHtml } from './html.ts';
import { HTML_TYPE, pageHeaders } from './security.ts';
import { styleHash } from './theme.ts';

const CSS = [
  ':root{color-scheme:light dark;--fg:#0f172a;--muted:#475569;--bg:#f8fafc;--card:#fff;--line:#e2e8f0;--code:#f1f5f9;--accent:#0369a1}',
  '@media (prefers-color-scheme:dark){:root{--fg:#e2e8f0;--muted:#94a3b8;--bg:#0b1120;--card:#111827;--line:#1f2937;--code:#1e293b;--accent:#38bdf8}}',
  '*{box-sizing:border-box}',
  'body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  '.wrap{max-width:72rem;margin:0 auto;padding:1.5rem 1rem 4rem}',
  'a{color:var(--accent)}',
  'a:focus-visible{outline:2px solid var(--accent);outline-offset:2px}',
  'code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}',
  'code{background:var(--code);padding:.05rem .3rem;border-radius:.25rem}',
  'pre{background:var(--code);padding:.75rem;border-radius:.4rem;overflow:auto;max-height:28rem;margin:.25rem 0 .75rem}',
  'pre code{background:none;padding:0}',
  'h1{margin:.25rem 0}h2{margin-top:2.5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}',
  'h3{margin:0;font-size:1.05rem;display:flex;gap:.5rem;align-items:baseline;flex-wrap:wrap}',
  'h4{margin:1rem 0 .25rem;font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}',
  '.op,.schema{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem;margin:1rem 0}',
  '.m{font:700 12px/1 ui-monospace,monospace;padding:.3rem .45rem;border-radius:.25rem;color:#fff;background:#475569}',
  '.m.get{background:#0369a1}.m.post{background:#15803d}.m.patch{background:#b45309}.m.head{background:#6d28d9}.m.options{background:#64748b}',
  '.muted,.meta{color:var(--muted)}.meta{font-size:.85rem;margin:.25rem 0}',
  'table{border-collapse:collapse;width:100%;margin:.25rem 0 .5rem}',
  'th,td{text-align:left;vertical-align:top;border-top:1px solid var(--line);padding:.4rem .5rem}',
  'th{font-size:.8rem;color:var(--muted);font-weight:600}',
  'nav ul{list-style:none;padding-left:0;columns:2 24rem}nav li{margin:.15rem 0;break-inside:avoid}',
  'details>summary{cursor:pointer;color:var(--muted)}',
].join('');

export const DOCS_CSS_HASH = styleHash(CSS);

const anchor = (operationId: string) => `op-${operationId}`;
const schemaAnchor = (name: string) => `schema-${name}`;
const refName = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);
const isRef = (v: unknown): v is Ref => typeof (v as Ref | undefined)?.$ref === 'string';

const resolve = <T>(doc: OpenApiDocument, v: T | Ref): T => {
  if (!isRef(v)) return v;
  const [, , kind, name] = v.$ref.split('/');
  const found = (doc.components as unknown as Record<string, Record<string, unknown>>)[kind]?.[name];
  if (found === undefined) throw new Error(`unresolved ${v.$ref}`);
  return found as T;
};

/**
 * JSON for people, escaped; each `"$ref": "#/components/schemas/X"` becomes a link to the schema.
 * Names of components are `[A-Za-z0-9._-]` (OpenAPI), so they need no escaping of their own.
 */
export const jsonBlock = (value: unknown): SafeHtml => {
  const text = escapeHtml(JSON.stringify(value, null, 2));
  const linked = text.replace(
    /&quot;#\/components\/schemas\/([A-Za-z0-9._-]+)&quot;/g,
    (_, name: string) => `&quot;<a href="#${schemaAnchor(name)}">#/components/schemas/${name}</a>&quot;`,
  );
  return html`<pre><code>${raw(linked)}</code></pre>`;
};

/** Description text (CommonMark in OpenAPI): only its `code` spans are rendered, the rest is text. */
export const prose = (text: string | undefined): SafeHtml =>
  html`${(text ?? '').split('`').map((part, i) => (i % 2 ? html`<code>${part}</code>` : part))}`;

/** A one-line summary of a schema: its type and the constraints that fit on a line. */
const schemaLine = (schema: JsonSchema | undefined): SafeHtml => {
  if (!schema) return html``;
  if (isRef(schema)) return html`<a href="#${schemaAnchor(refName(schema.$ref))}">${refName(schema.$ref)}</a>`;
  const parts: string[] = [];
  if (schema.type) parts.push(String(schema.type));
  if (Array.isArray(schema.enum)) parts.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (schema.pattern) parts.push(`pattern ${schema.pattern}`);
  if (schema.minLength !== undefined) parts.push(`min length ${schema.minLength}`);
  if (schema.maxLength !== undefined) parts.push(`max length ${schema.maxLength}`);
  if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return html`<code>${parts.join('; ')}</code>`;
};

const mediaSchema = (schema: JsonSchema | undefined): SafeHtml => {
  if (!schema) return html``;
  if (isRef(schema)) return schemaLine(schema);
  // An error answer: the Error schema with this answer's codes.
  const allOf = schema.allOf as JsonSchema[] | undefined;
  if (allOf && isRef(allOf[0])) {
    const codes = (allOf[1] as { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } })?.properties?.error
      ?.properties?.code?.enum;
    return html`${schemaLine(allOf[0])}${codes ? html` with <code>error.code</code> ${codes.map((c, i) => html`${i ? ', ' : ''}<a href="#error-${c}"><code>${c}</code></a>`)}` : ''}`;
  }
  return schemaLine(schema);
};

const parametersTable = (doc: OpenApiDocument, op: OpenApiOperation): SafeHtml => {
  const params = (op.parameters ?? []).map((p) => resolve<OpenApiParameter>(doc, p));
  if (!params.length) return html``;
  return html`<h4>Parameters</h4>
<table><thead><tr><th scope="col">name</th><th scope="col">in</th><th scope="col">schema</th><th scope="col">description</th></tr></thead><tbody>
${params.map(
  (p) =>
    html`<tr><td><code>${p.name}</code>${p.required ? html` <span class="muted">required</span>` : ''}</td><td>${p.in}</td><td>${schemaLine(p.schema)}${p.example !== undefined ? html`<br><span class="muted">e.g.</span> <code>${String(p.example)}</code>` : ''}</td><td>${prose(p.description)}</td></tr>`,
)}
</tbody></table>`;
};

const requestBody = (op: OpenApiOperation): SafeHtml => {
  const body = op.requestBody;
  if (!body) return html``;
  const entries = Object.entries(body.content);
  const example = entries.find(([, m]) => m.example !== undefined)?.[1].example;
  return html`<h4>Request body${body.required ? '' : ' (optional)'}</h4>
${body.description ? html`<p>${prose(body.description)}</p>` : ''}
<p>${entries.map(([type, m], i) => html`${i ? html`<br>` : ''}<code>${type}</code>: ${mediaSchema(m.schema)}`)}</p>
${example !== undefined ? html`<details open><summary>Example</summary>${jsonBlock(example)}</details>` : ''}`;
};

const responsesTable = (doc: OpenApiDocument, op: OpenApiOperation): SafeHtml => {
  const rows = Object.entries(op.responses).map(([status, r]) => {
    const res = resolve<OpenApiResponse>(doc, r);
    const headers = Object.keys(res.headers ?? {});
    const content = Object.entries(res.content ?? {});
    return html`<tr><td><strong>${status}</strong></td><td>${prose(res.description)}${
      headers.length
        ? html`<br><span class="muted">Headers:</span> ${headers.map((h, i) => html`${i ? ', ' : ''}<code>${h}</code>`)}`
        : ''
    }</td><td>${content.map(([type, m], i) => html`${i ? html`<br>` : ''}<code>${type}</code> ${mediaSchema(m.schema)}`)}</td></tr>`;
  });
  return html`<h4>Responses</h4>
<table><thead><tr><th scope="col">status</th><th scope="col">meaning</th><th scope="col">body</th></tr></thead><tbody>
${rows}
</tbody></table>`;
};

interface Entry {
  method: string;
  path: string;
  op: OpenApiOperation;
}

const operationSection = (doc: OpenApiDocument, { method, path, op }: Entry): SafeHtml => {
  const admin = op.security?.some((s) => 'adminToken' in s);
  // The scope the bearer key needs (docs/api-keys.md); 'root': ADMIN_TOKEN only.
  const scope = op.security?.flatMap((s) => s.adminToken ?? [])[0];
  return html`<section class="op" id="${anchor(op.operationId)}" aria-labelledby="${anchor(op.operationId)}-h">
<h3 id="${anchor(op.operationId)}-h"><span class="m ${method}">${method.toUpperCase()}</span> <code>${path}</code> <span class="muted">${op.summary ?? ''}</span></h3>
<p class="meta">${admin ? (scope === 'root' || !scope ? html`<strong>Bearer root key (ADMIN_TOKEN)</strong> · ` : html`<strong>Bearer key with <code>${scope}</code></strong> · `) : ''}function <code>${op['x-function'] ?? '?'}</code>${op['x-page'] ? ' · HTML page' : ''} · operationId <code>${op.operationId}</code></p>
${op.description ? html`<p>${prose(op.description)}</p>` : ''}
${parametersTable(doc, op)}
${requestBody(op)}
${responsesTable(doc, op)}
</section>`;
};

const entriesOf = (doc: OpenApiDocument): Entry[] =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));

const paragraphs = (text: string | undefined): SafeHtml[] =>
  (text ?? '')
    .split(/\n\n+/)
    .filter(Boolean)
    .map((p) => html`<p>${prose(p)}</p>`);

export const renderDocsPage = (doc: OpenApiDocument = openApiDocument): SafeHtml => {
  const entries = entriesOf(doc);
  const tags = doc.tags ?? [];
  const byTag = tags.map((t) => ({ tag: t, entries: entries.filter((e) => e.op.tags?.includes(t.name)) }));
  const untagged = entries.filter((e) => !e.op.tags?.some((t) => tags.some((x) => x.name === t)));
  if (untagged.length) byTag.push({ tag: { name: 'Other', description: undefined }, entries: untagged });
  const codes =
    ((doc.components.schemas.Error as { properties?: { error?: { properties?: { code?: { oneOf?: JsonSchema[] } } } } })
      ?.properties?.error?.properties?.code?.oneOf as Array<{ const: string; description?: string }> | undefined) ?? [];
  const tagId = (name: string) => `tag-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${doc.info.title} ${doc.info.version}: API reference</title>
<link rel="icon" href="${assetPath('favicon.svg')}" type="image/svg+xml">
<style>${raw(CSS)}</style>
</head>
<body>
<div class="wrap">
<header>
<h1>${doc.info.title} <span class="muted">${doc.info.version}</span></h1>
${paragraphs(doc.info.description)}
<p>OpenAPI ${doc.openapi}: <a href="/openapi.json">/openapi.json</a> (the same document, for tools and client generators).</p>
</header>
<nav aria-labelledby="toc-h">
<h2 id="toc-h">Contents</h2>
${byTag.map(
  ({ tag, entries: list }) => html`<h3><a href="#${tagId(tag.name)}">${tag.name}</a></h3>
<ul>${list.map((e) => html`<li><a href="#${anchor(e.op.operationId)}"><code>${e.method.toUpperCase()} ${e.path}</code></a> <span class="muted">${e.op.summary ?? ''}</span></li>`)}</ul>`,
)}
<h3><a href="#schemas">Schemas</a> · <a href="#errors">Error codes</a></h3>
</nav>
<main>
${byTag.map(
  ({ tag, entries: list }) => html`<section aria-labelledby="${tagId(tag.name)}">
<h2 id="${tagId(tag.name)}">${tag.name}</h2>
${tag.description ? html`<p>${prose(tag.description)}</p>` : ''}
${list.map((e) => operationSection(doc, e))}
</section>`,
)}
<section aria-labelledby="schemas">
<h2 id="schemas">Schemas</h2>
${Object.entries(doc.components.schemas).map(
  ([name, schema]) => html`<section class="schema" id="${schemaAnchor(name)}" aria-labelledby="${schemaAnchor(name)}-h">
<h3 id="${schemaAnchor(name)}-h"><code>${name}</code></h3>
${typeof schema.description === 'string' ? html`<p>${prose(schema.description)}</p>` : ''}
${jsonBlock(schema)}
</section>`,
)}
</section>
<section aria-labelledby="errors">
<h2 id="errors">Error codes</h2>
<p>Every JSON error is <code>{"error": {"code", "message"}}</code> (<a href="#${schemaAnchor('Error')}">Error</a>); each answer above lists the codes it may carry.</p>
<table><thead><tr><th scope="col">code</th><th scope="col">status: when</th></tr></thead><tbody>
${codes.map((c) => html`<tr id="error-${c.const}"><td><code>${c.const}</code></td><td>${prose(c.description)}</td></tr>`)}
</tbody></table>
</section>
</main>
</div>
</body>
</html>
`;
};

const docsBody = staticBody(() => renderDocsPage().value);

/** `GET /docs`: the page, with the pages' CSP (its one inline stylesheet allowed by hash). */
export const docsResponse = (ifNoneMatch: string | undefined): HttpResult =>
  staticResponse(docsBody(), ifNoneMatch, HTML_TYPE, pageHeaders({ styleHashes: [DOCS_CSS_HASH] }));
