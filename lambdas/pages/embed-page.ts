// The embeddable page (GET /embed/{username}): the link-in-bio page made for other products'
// iframes. Compact, without the page's chrome (skip link, footer), and framable by the sources of
// FRAME_ANCESTORS, while /{username} and the dashboard stay unframable. Each link opens in a new
// browsing context (a destination followed inside a 400-pixel frame would strand the visitor
// there) and still goes through /r/{username}/{linkId}, so the click is counted. It is a cached
// View like the page: rendered once per snapshot with its headers, same ETag/304/Cache-Control.
import type { View } from '../core/profile-service.ts';
import type { Profile } from '../core/profile.ts';
import type { ServeView } from '../profile/serve-view.ts';
import { AppError } from '../shared/errors.ts';
import type { HttpEvent, HttpResult } from '../shared/http.ts';
import { logger } from '../shared/telemetry.ts';
import { assetPath } from './assets.ts';
import { errorPageResponse } from './error-page.ts';
import { html, type SafeHtml } from './html.ts';
import { oembedDiscoveryLink, profilePageUrl } from './oembed.ts';
import { boundedViews, initials, linkHref, type PageContext, pageFacts } from './profile-page.ts';
import { frameAncestorSources, HTML_TYPE, pageHeaders } from './security.ts';
import { assertNotReserved, publicBaseUrl } from './static-routes.ts';
import { type PageTheme, resolveTheme, styleHash, themeCss } from './theme.ts';

/** FRAME_ANCESTORS' default: any site may embed a profile (they are public pages). */
export const DEFAULT_FRAME_ANCESTORS = '*';

// The compact layout, over page.css: it travels in the hashed inline stylesheet with the theme, so
// the embed needs no asset of its own. Selectors carry .embed to win over page.css's media queries.
const EMBED_CSS =
  'body.embed{min-height:0;padding:1rem .75rem;scrollbar-width:thin}' +
  '.embed header.profile{margin-bottom:1rem}' +
  '.embed .avatar{width:4rem;height:4rem;margin-bottom:.5rem;font-size:1.25rem}' +
  '.embed h1{font-size:1.25rem}' +
  '.embed .bio{margin-top:.5rem}' +
  '.embed .links{gap:.625rem}' +
  '.embed .link{min-height:2.75rem;padding:.625rem 1rem}';

export const embedCss = (theme: PageTheme): string => `${themeCss(theme)}${EMBED_CSS}`;

export const renderEmbedPage = (profile: Profile, ctx: PageContext, theme = resolveTheme(profile.theme)): SafeHtml => {
  const { username, name, avatar, links } = pageFacts(profile);
  const pageUrl = profilePageUrl(ctx.baseUrl, username);

  // data-username: page.js sends the view beacon (a view in a frame is a view) and swaps a broken
  // avatar for the initials, as on the page.
  return html`<!doctype html>
<html lang="en" data-username="${username}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} (@${username})</title>
<link rel="canonical" href="${pageUrl}">
${oembedDiscoveryLink(ctx.baseUrl, pageUrl, `${name} (@${username})`)}
<link rel="icon" href="${assetPath('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetPath('page.css')}">
<style>${embedCss(theme)}</style>
<script src="${assetPath('page.js')}" defer></script>
</head>
<body class="embed">
<header class="profile">
<div class="avatar"><span aria-hidden="true">${initials(name) || '@'}</span>${
    avatar
      ? html`<img src="${avatar}" alt="${`Avatar of ${name}`}" width="64" height="64" decoding="async" referrerpolicy="no-referrer">`
      : ''
  }</div>
<h1>${name}</h1>
<p class="handle">@${username}</p>
${profile.bio.trim() ? html`<p class="bio">${profile.bio.trim()}</p>` : ''}
</header>
<main>
<h2 class="visually-hidden">Links</h2>
${
  links.length
    ? html`<ul class="links">
${links.map(
  (
    l,
  ) => html`<li><a class="link" href="${linkHref(username, l.id)}" target="_blank" rel="noopener">${l.title.trim() || l.url}</a></li>
`,
)}</ul>`
    : html`<p class="empty">No links yet.</p>`
}
</main>
</body>
</html>
`;
};

/** The embed's headers: the page's policy, framable by `frameAncestors`, its own inline stylesheet admitted. */
export const embedPageHeaders = (theme: PageTheme, frameAncestors: string): Record<string, string> =>
  pageHeaders({ styleHashes: [styleHash(embedCss(theme))], remoteImages: true, frameAncestors });

const embedViews = boundedViews((key) => {
  // FRAME_ANCESTORS may hold spaces but never a newline (its schema refuses them).
  const [frameAncestors, baseUrl] = key.split('\n') as [string, string];
  const sources = frameAncestorSources(frameAncestors);
  return {
    name: `embed ${frameAncestors} ${baseUrl}`,
    contentType: HTML_TYPE,
    maxAgeS: (c) => c.profileTtlS,
    // One theme for the body and its CSP, so the style hash always matches the inline stylesheet.
    render: (profile) => {
      const theme = resolveTheme(profile.theme);
      return { body: renderEmbedPage(profile, { baseUrl }, theme).value, headers: embedPageHeaders(theme, sources) };
    },
  };
});

/** The embed as a cached View, one per public origin and frame-ancestors value (both are in the output). */
export const embedPageView = (baseUrl: string, frameAncestors = DEFAULT_FRAME_ANCESTORS): View =>
  embedViews(`${frameAncestors}\n${baseUrl}`);

/**
 * An error page the embedding site may frame too: with the pages' `frame-ancestors 'none'` a
 * missing profile would show the browser's "refused to connect" inside the partner's page instead
 * of our 404 (or 503) page. Status, Retry-After and Cache-Control stay those of the error.
 */
export const framableErrorPage = (err: AppError, frameAncestors: string): HttpResult => {
  const r = errorPageResponse(err);
  const { 'x-frame-options': _deny, ...headers } = r.headers;
  return { ...r, headers: { ...headers, ...pageHeaders({ frameAncestors: frameAncestorSources(frameAncestors) }) } };
};

export interface EmbedDeps {
  /** `PUBLIC_BASE_URL`: the public origin of the pages; unset, the domain each request came in on. */
  publicBaseUrl?: string;
  /** `FRAME_ANCESTORS`: who may frame the embed; `*` when unset. */
  frameAncestors?: string;
}

/** GET /embed/{username}: the embed view served like the page; its error pages are framable. */
export const embedRoute =
  (serveView: ServeView, deps: EmbedDeps) =>
  async (event: HttpEvent): Promise<HttpResult> => {
    const frameAncestors = deps.frameAncestors ?? DEFAULT_FRAME_ANCESTORS;
    try {
      assertNotReserved(event.pathParameters?.username);
      return await serveView(event, embedPageView(publicBaseUrl(event, deps.publicBaseUrl), frameAncestors));
    } catch (err) {
      // Unexpected failures keep the router's path (a 500 page that leaks nothing).
      if (!(err instanceof AppError)) throw err;
      // Answered here, not by the router's error middleware, so log what it would have logged.
      if (err.status >= 500) logger.error('request failed', { error: err, routeKey: event.routeKey });
      return framableErrorPage(err, frameAncestors);
    }
  };
