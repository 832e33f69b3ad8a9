// Errors on page routes answer as HTML pages with the same status codes the JSON API uses
// (404 unknown or invalid username, 503 origin down with Retry-After, ...).
import { PAGE_ROUTE_KEYS } from '../contracts/routes.ts';
import { AppError, InvalidUsernameError } from '../shared/errors.ts';
import type { HttpEvent, HttpResult } from '../shared/http.ts';
import { assetPath } from './assets.ts';
import { html, type SafeHtml } from './html.ts';
import { HTML_TYPE, pageHeaders } from './security.ts';

interface ErrorCopy {
  title: string;
  message: string;
}

const COPY: Record<number, ErrorCopy> = {
  404: { title: 'Page not found', message: 'There is no page here. Check the address, or the profile may have moved.' },
  503: {
    title: 'Temporarily unavailable',
    message: 'We could not load this page right now. Please try again in a few moments.',
  },
  500: { title: 'Something went wrong', message: 'Something went wrong on our side. Please try again later.' },
};

const copyFor = (status: number): ErrorCopy =>
  COPY[status] ??
  (status >= 500 ? COPY[500] : { title: 'Request not understood', message: 'This request could not be answered.' });

export const renderErrorPage = (status: number, copy: ErrorCopy = copyFor(status)): SafeHtml => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${copy.title}</title>
<link rel="icon" href="${assetPath('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetPath('page.css')}">
</head>
<body>
<main class="error">
<p class="code">${status}</p>
<h1>${copy.title}</h1>
<p>${copy.message}</p>
</main>
</body>
</html>
`;

export const htmlPage = (statusCode: number, body: SafeHtml, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': HTML_TYPE, ...pageHeaders(), ...headers },
  body: body.value,
});

/**
 * The `httpErrors` renderer for page routes: AppErrors keep their status and headers
 * (Retry-After, Cache-Control of a negatively cached 404), except that an invalid username is a
 * page that does not exist (404, not 400). Anything else is a 500 page that leaks nothing.
 */
export const errorPageResponse = (err: unknown): HttpResult => {
  if (err instanceof InvalidUsernameError) return htmlPage(404, renderErrorPage(404), { 'cache-control': 'public, max-age=300' });
  if (err instanceof AppError)
    return htmlPage(err.status, renderErrorPage(err.status), { 'cache-control': 'no-store', ...err.headers });
  return htmlPage(500, renderErrorPage(500), { 'cache-control': 'no-store' });
};

/** Page routes (HTML for people, flagged `page` in the route table) as opposed to the JSON API. */
export const isPageRoute = (event: Pick<HttpEvent, 'routeKey'>): boolean => PAGE_ROUTE_KEYS.has(event.routeKey);
