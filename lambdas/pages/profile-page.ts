// The link-in-bio page: server-rendered from the cached profile, no client framework. Every
// profile field is escaped; only http(s) URLs become links or image sources; theme colours are
// validated (theme.ts). The only script is /assets/page.<hash>.js (the view beacon), deferred.
import type { View } from '../core/profile-service.ts';
import { isHttpUrl, type Profile, visibleLinks } from '../core/profile.ts';
import { assetPath } from './assets.ts';
import { html, type SafeHtml } from './html.ts';
import { oembedDiscoveryLink, profilePageUrl } from './oembed.ts';
import { HTML_TYPE, pageHeaders } from './security.ts';
import { type PageTheme, resolveTheme, styleHash, themeCss } from './theme.ts';

const truncate = (s: string, max: number): string => {
  const chars = [...s.trim()];
  return chars.length <= max
    ? chars.join('')
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
};

/** Up to two letters for the avatar placeholder. */
export const initials = (name: string): string =>
  name
    .replace(/<[^>]*>/g, ' ')
    .split(/\s+/)
    .map((w) => [...w].find((c) => /\p{L}|\p{N}/u.test(c)) ?? '')
    .filter(Boolean)
    .slice(0, 2)
    .join('')
    .toUpperCase();

export const linkHref = (username: string, linkId: string): string =>
  `/r/${encodeURIComponent(username)}/${encodeURIComponent(linkId)}`;

export interface PageContext {
  /** Absolute origin of the public site, e.g. `https://links.example.com` (for og:url). */
  baseUrl: string;
}

/** What the page and the embed show of a profile, derived the same way for both. */
export const pageFacts = (profile: Profile) => {
  const username = profile.username.toLowerCase();
  return {
    username,
    name: profile.displayName.trim() || `@${username}`,
    avatar: isHttpUrl(profile.avatarUrl) ? profile.avatarUrl : undefined,
    // A link whose stored URL is not http(s) is not rendered at all (its /r/ route answers 404 too).
    links: visibleLinks(profile).filter((l) => isHttpUrl(l.url)),
  };
};

/** A handful of public origins at most. */
const MAX_VIEWS = 8;

/**
 * Page Views memoized by key (the public origin; for the embed its frame-ancestors too: both are
 * in the output). Past MAX_VIEWS keys the first one's view is used, so no request can grow the
 * memo without bound.
 */
export const boundedViews = (build: (key: string) => View): ((key: string) => View) => {
  const views = new Map<string, View>();
  return (key) => {
    let view = views.get(key);
    if (view) return view;
    if (views.size >= MAX_VIEWS) return views.values().next().value as View;
    view = build(key);
    views.set(key, view);
    return view;
  };
};

export const renderProfilePage = (profile: Profile, ctx: PageContext, theme = resolveTheme(profile.theme)): SafeHtml => {
  const { username, name, avatar, links } = pageFacts(profile);
  const css = themeCss(theme);
  const description = truncate(profile.bio || `Links from ${name}`, 200);
  const pageUrl = profilePageUrl(ctx.baseUrl, username);

  return html`<!doctype html>
<html lang="en" data-username="${username}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} (@${username})</title>
<meta name="description" content="${description}">
<link rel="canonical" href="${pageUrl}">
${oembedDiscoveryLink(ctx.baseUrl, pageUrl, `${name} (@${username})`)}
<meta property="og:type" content="profile">
<meta property="og:title" content="${name}">
<meta property="og:description" content="${description}">
<meta property="og:url" content="${pageUrl}">
${
  avatar
    ? html`<meta property="og:image" content="${avatar}">
<meta property="og:image:alt" content="${`Avatar of ${name}`}">
`
    : ''
}<meta name="twitter:card" content="summary">
<meta name="theme-color" content="${theme.background}">
<link rel="icon" href="${assetPath('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetPath('page.css')}">
<style>${css}</style>
<script src="${assetPath('page.js')}" defer></script>
</head>
<body>
<a class="skip" href="#links">Skip to links</a>
<header class="profile">
<div class="avatar"><span aria-hidden="true">${initials(name) || '@'}</span>${
    avatar
      ? html`<img src="${avatar}" alt="${`Avatar of ${name}`}" width="112" height="112" decoding="async" referrerpolicy="no-referrer">`
      : ''
  }</div>
<h1>${name}</h1>
<p class="handle">@${username}</p>
${profile.bio.trim() ? html`<p class="bio">${profile.bio.trim()}</p>` : ''}
</header>
<main id="links">
<h2 class="visually-hidden">Links</h2>
${
  links.length
    ? html`<ul class="links">
${links.map(
  (l) => html`<li><a class="link" href="${linkHref(username, l.id)}">${l.title.trim() || l.url}</a></li>
`,
)}</ul>`
    : html`<p class="empty">No links yet.</p>`
}
</main>
<footer><p>Powered by linkcache</p></footer>
</body>
</html>
`;
};

/** The page's response headers: the CSP admits exactly the inline stylesheet of `theme`. */
export const profilePageHeaders = (theme: PageTheme): Record<string, string> =>
  pageHeaders({ styleHashes: [styleHash(themeCss(theme))], remoteImages: true });

/** The page as a cached View, one per public origin (og:url and the canonical link are absolute). */
export const profilePageView: (baseUrl: string) => View = boundedViews((baseUrl) => ({
  name: `page ${baseUrl}`,
  contentType: HTML_TYPE,
  maxAgeS: (c) => c.profileTtlS,
  // One theme for the body and its CSP, so the style hash always matches the inline stylesheet.
  render: (profile) => {
    const theme = resolveTheme(profile.theme);
    return { body: renderProfilePage(profile, { baseUrl }, theme).value, headers: profilePageHeaders(theme) };
  },
}));
