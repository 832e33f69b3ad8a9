// The owner's analytics dashboard shell: server-rendered from the cached profile (so an unknown
// profile is a 404 page), with the link titles as an inert JSON data block. Everything else is
// done by /assets/dashboard.<hash>.js: it asks for a key (the admin token or a scoped
// `analytics:read` key), keeps it in sessionStorage and calls the analytics route with
// `Authorization: Bearer`, for the CSV download too (fetched, then saved from a Blob).
import type { View } from '../core/profile-service.ts';
import { type Profile, visibleLinks } from '../core/profile.ts';
import { assetPath } from './assets.ts';
import { html, jsonForScript, type SafeHtml } from './html.ts';
import { HTML_TYPE, pageHeaders } from './security.ts';

const RANGES = ['1h', '24h', '7d', '30d'] as const;
const INTERVALS = ['10s', '1m', '1h', '1d'] as const;

const options = (values: readonly string[], selected: string): SafeHtml[] =>
  values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${v}</option>`);

const DEVICES = ['mobile', 'tablet', 'desktop', 'other'] as const;

/** A breakdown table: a label column, then number columns (filled by the script). */
const table = (
  id: string,
  title: string,
  label: string,
  columns: readonly string[] = ['Clicks'],
): SafeHtml => html`<section class="card" aria-labelledby="${id}-title">
<h3 id="${id}-title">${title}</h3>
<table id="${id}">
<thead><tr><th scope="col">${label}</th>${columns.map((c) => html`<th scope="col" class="num">${c}</th>`)}</tr></thead>
<tbody><tr><td colspan="${String(columns.length + 1)}" class="empty">No data yet.</td></tr></tbody>
</table>
</section>`;

const stat = (id: string, label: string): SafeHtml =>
  html`<div class="card stat"><span class="label">${label}</span><span id="total-${id}" class="value">–</span><span id="delta-${id}" class="delta" data-kind="none"></span></div>`;

const VIEWS_CLICKS = ['Views', 'Clicks'] as const;

export const renderDashboardPage = (profile: Profile): SafeHtml => {
  const username = profile.username.toLowerCase();
  const name = profile.displayName.trim() || `@${username}`;
  // Enabled links only: a disabled link is the owner's draft, and this shell is public.
  const data = { username, links: visibleLinks(profile).map((l) => ({ id: l.id, title: l.title })) };
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Analytics: ${name} (@${username})</title>
<link rel="icon" href="${assetPath('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetPath('dashboard.css')}">
<script src="${assetPath('dashboard.js')}" defer></script>
</head>
<body>
<header class="bar">
<h1>Analytics · ${name} <span class="handle">@${username}</span></h1>
<a href="/${encodeURIComponent(username)}">View page</a>
</header>
<main>
<noscript><p class="card">The dashboard needs JavaScript.</p></noscript>
<section id="auth" class="card" aria-labelledby="auth-title" hidden>
<h2 id="auth-title">Sign in</h2>
<p id="auth-error" class="error-text" role="alert" hidden></p>
<form id="token-form" method="post" action="#" autocomplete="off">
<label class="token-label" for="token">Key</label>
<input id="token" name="token" type="password" required autocomplete="off" spellcheck="false">
<button type="submit">Open dashboard</button>
</form>
<p class="hint">A key with the <code>analytics:read</code> scope for this profile (or the admin token). It stays in this browser tab and is only ever sent as an Authorization header.</p>
</section>
<section id="dash" aria-labelledby="dash-title" hidden>
<h2 id="dash-title" class="visually-hidden">Analytics</h2>
<div class="controls">
<label>Range <select id="range">${options(RANGES, '24h')}</select></label>
<label>Interval <select id="interval">${options(INTERVALS, '1h')}</select></label>
<button type="button" id="refresh">Refresh</button>
<button type="button" id="csv" class="secondary">Download CSV</button>
<button type="button" id="signout" class="secondary">Forget key</button>
</div>
<div class="controls filters">
<label>Link <select id="filter-link"><option value="">All links</option>${data.links.map(
    (l) => html`<option value="${l.id}">${l.title || l.id}</option>`,
  )}</select></label>
<label>Country <select id="filter-country"><option value="">All countries</option></select></label>
<label>Device <select id="filter-device"><option value="">All devices</option>${DEVICES.map(
    (d) => html`<option value="${d}">${d}</option>`,
  )}</select></label>
</div>
<p id="status" role="status" aria-live="polite"></p>
<div class="totals">
${stat('views', 'Views')}
${stat('visitors', 'Unique visitors')}
${stat('clicks', 'Clicks')}
${stat('ctr', 'Click-through')}
</div>
<p class="hint">Changes compare with the previous period of the same length.</p>
<figure class="card">
<figcaption>Views, clicks and visitors over time</figcaption>
<div id="chart" role="img" aria-label="Chart of views, clicks and visitors"></div>
</figure>
<div class="tables">
${table('top-links', 'Top links', 'Link', ['Clicks', 'Unique clicks', 'CTR'])}
${table('referrers', 'Referrers', 'Referrer')}
${table('countries', 'Countries', 'Country')}
${table('regions', 'Regions', 'Region')}
${table('cities', 'Cities', 'City')}
${table('devices', 'Devices', 'Device', VIEWS_CLICKS)}
${table('browsers', 'Browsers', 'Browser', VIEWS_CLICKS)}
${table('os', 'Operating systems', 'OS', VIEWS_CLICKS)}
${table('utm-source', 'Campaign sources (utm_source)', 'Source', VIEWS_CLICKS)}
${table('utm-medium', 'Campaign media (utm_medium)', 'Medium', VIEWS_CLICKS)}
${table('utm-campaign', 'Campaigns (utm_campaign)', 'Campaign', VIEWS_CLICKS)}
</div>
</section>
</main>
<script type="application/json" id="profile-data">${jsonForScript(data)}</script>
</body>
</html>
`;
};

/** The same for every profile (no inline style to admit), so built once per process. */
export const dashboardHeaders: Readonly<Record<string, string>> = {
  ...pageHeaders({ referrerPolicy: 'no-referrer' }),
  'x-robots-tag': 'noindex, nofollow',
};

export const dashboardView: View = {
  name: 'dashboard',
  contentType: HTML_TYPE,
  maxAgeS: (c) => c.profileTtlS,
  render: (profile) => ({ body: renderDashboardPage(profile).value, headers: dashboardHeaders }),
};
