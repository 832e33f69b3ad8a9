// The site function's API description routes: GET /openapi.json (the generated document as JSON)
// and GET /docs (the same document as a page), each built once per process, with a strong ETag,
// 304 on If-None-Match and a day of caching; the page escapes everything and has the pages' CSP.
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { type OpenApiDocument, openApiDocument } from '../../../lambdas/openapi/document.ts';
import { DOCS_CSS_HASH, renderDocsPage } from '../../../lambdas/pages/docs-page.ts';
import { makeHandler } from '../../../lambdas/site/handler.ts';
import { demoHandler } from '../../helpers/pages.ts';

const setup = () => demoHandler(makeHandler);

describe('GET /openapi.json', () => {
  it('answers the generated document as JSON with a strong ETag and a day of caching', async () => {
    const t = setup();
    const r = await t.call({ route: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['cache-control']).toBe('public, max-age=86400');
    expect(r.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(JSON.parse(r.body as string)).toEqual(openApiDocument);
    expect(JSON.parse(r.body as string).openapi).toBe('3.1.0');
  });

  it('builds the body once per process and answers 304 to its ETag', async () => {
    const t = setup();
    const first = await t.call({ route: '/openapi.json' });
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const again = await t.call({ route: '/openapi.json' });
      expect(again.body).toBe(first.body);
      expect(stringify.mock.calls.filter(([v]) => v === openApiDocument)).toHaveLength(0);
    } finally {
      stringify.mockRestore();
    }
    const r304 = await t.call({ route: '/openapi.json', headers: { 'if-none-match': `W/${first.headers.etag}, "other"` } });
    expect(r304.statusCode).toBe(304);
    expect(r304.body).toBeUndefined();
    expect(r304.headers.etag).toBe(first.headers.etag);
    expect(r304.headers['cache-control']).toBe('public, max-age=86400');
    expect((await t.call({ route: '/openapi.json', headers: { 'if-none-match': '"stale"' } })).statusCode).toBe(200);
  });

  it('answers HEAD as GET (the kernel routes it to the same handler)', async () => {
    const t = setup();
    const r = await t.call({ method: 'HEAD', route: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers.etag).toBe((await t.call({ route: '/openapi.json' })).headers.etag);
  });
});

describe('GET /docs', () => {
  it('is an HTML page with the pages’ CSP, its stylesheet allowed by hash and no script', async () => {
    const t = setup();
    const r = await t.call({ route: '/docs' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('public, max-age=86400');
    const csp = r.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    const body = r.body as string;
    const style = /<style>([^<]*)<\/style>/.exec(body)?.[1] as string;
    expect(`'sha256-${createHash('sha256').update(style).digest('base64')}'`).toBe(DOCS_CSS_HASH);
    expect(csp).toContain(DOCS_CSS_HASH);
    expect(body).not.toMatch(/<script/i);
    expect(body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"\s<]*\.(js|css)/);
    expect(r.headers['x-frame-options']).toBe('DENY');
    const r304 = await t.call({ route: '/docs', headers: { 'if-none-match': r.headers.etag } });
    expect(r304.statusCode).toBe(304);
    expect(r304.headers['content-security-policy']).toBe(csp);
  });

  it('lists every operation of the document in the contents and as a section', async () => {
    const body = (await setup().call({ route: '/docs' })).body as string;
    for (const [path, item] of Object.entries(openApiDocument.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(body).toContain(`href="#op-${op.operationId}"`);
        expect(body).toContain(`id="op-${op.operationId}"`);
        expect(body).toContain(`<code>${method.toUpperCase()} ${path}</code>`);
      }
    }
    for (const name of Object.keys(openApiDocument.components.schemas)) expect(body).toContain(`id="schema-${name}"`);
    expect(body).toContain('id="error-PROFILE_NOT_FOUND"');
    expect(body).toContain('<a href="#schema-Profile">');
  });

  it('escapes everything the document says', () => {
    const hostile: OpenApiDocument = structuredClone(openApiDocument);
    hostile.info.title = '<img src=x onerror=alert(1)>';
    const op = hostile.paths['/health'].get;
    op.summary = '<script>alert(1)</script>';
    op.description = 'a `<b>code</b>` span & "quotes"';
    hostile.components.schemas.Health = { description: '</pre><script>x</script>', type: 'object' };
    const page = renderDocsPage(hostile).value;
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('<code>&lt;b&gt;code&lt;/b&gt;</code> span &amp; &quot;quotes&quot;');
  });
});
