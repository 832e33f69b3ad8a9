// The demo origin's Linktree-shaped public pages (`GET /{username}`), so `ORIGIN=linktree
// LINKTREE_BASE_URL=<demo origin URL>` works offline: a page of the current shape (ANCHORS "The
// origin": `props.pageProps` with `account` and the top-level copies), built from the demo's
// current state, so an edit through its PATCH API shows on the next read of the page.
import type { Profile } from '../lambdas/core/profile.ts';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** JSON safe inside a <script>: no "</script>", no HTML comment openers, no line separators. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** A stable small number for Linktree's numeric account id (its uuid is our profile id). */
const numericId = (s: string): number => {
  let h = 0;
  for (const ch of s) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 2_000_000_000;
  return h;
};

/** The `__NEXT_DATA__` object Linktree would serve for this profile (public: enabled links only). */
export const linktreeNextData = (p: Profile): unknown => {
  const links = p.links
    .filter((l) => l.enabled)
    .sort((a, b) => a.position - b.position)
    .map((l) => ({
      id: l.id,
      type: l.type === 'header' ? 'HEADER' : 'CLASSIC',
      title: l.title,
      url: l.type === 'header' ? '' : l.url,
      position: l.position,
      locked: false,
      thumbnail: null,
    }));
  const updatedAt = Date.parse(p.lastModified);
  const account = {
    id: numericId(p.id),
    uuid: p.id,
    username: p.username,
    isActive: true,
    pageTitle: p.displayName,
    description: p.bio,
    profilePictureUrl: p.avatarUrl,
    createdAt: Number.isNaN(updatedAt) ? 0 : updatedAt,
    updatedAt: Number.isNaN(updatedAt) ? 0 : updatedAt,
    links,
    socialLinks: p.socials ?? [],
    theme: p.theme,
  };
  return {
    props: {
      pageProps: {
        account,
        username: p.username,
        pageTitle: p.displayName,
        description: p.bio,
        profilePictureUrl: p.avatarUrl,
        links,
        socialLinks: p.socials ?? [],
        theme: p.theme,
        hasSensitiveContent: false,
        contentGating: 'NONE',
      },
      __N_SSP: true,
    },
    page: '/[profile]',
    query: { profile: p.username },
    buildId: 'demo-build',
    isFallback: false,
    gssp: true,
    scriptLoader: [],
  };
};

export const linktreePageHtml = (p: Profile): string => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(p.displayName)} | Linktree (demo)</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<script>window.dataLayer = window.dataLayer || []; /* not __NEXT_DATA__ */</script>
</head><body><div id="__next"><main><h1>${escapeHtml(p.displayName)}</h1><p>${escapeHtml(p.bio)}</p><ul>
${p.links
  .filter((l) => l.enabled)
  .map((l) => `<li>${escapeHtml(l.title)}</li>`)
  .join('\n')}
</ul></main></div>
<script id="__NEXT_DATA__" type="application/json">${scriptJson(linktreeNextData(p))}</script>
</body></html>
`;
