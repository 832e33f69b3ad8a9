// Seed profiles for the demo origin. `hostile` exists to prove that pages escape everything.
import type { Profile } from '../lambdas/core/profile.ts';

const at = '2026-01-01T00:00:00.000Z';

export const demoProfiles = (): Profile[] => [
  {
    id: 'prof_demo',
    username: 'demo',
    displayName: 'Demo Creator',
    bio: 'Photographer, traveller and maker of very small films.',
    avatarUrl: 'https://picsum.photos/seed/demo/256',
    theme: { background: '#1f2937', foreground: '#f9fafb', button: '#f59e0b', buttonText: '#111827' },
    lastModified: at,
    links: [
      { id: 'lnk_portfolio', title: 'Portfolio', url: 'https://example.com/portfolio', position: 0, enabled: true },
      { id: 'lnk_shop', title: 'Print shop', url: 'https://example.com/shop', position: 1, enabled: true },
      { id: 'lnk_newsletter', title: 'Newsletter', url: 'https://example.com/newsletter', position: 2, enabled: true },
      { id: 'lnk_old', title: 'Old blog (hidden)', url: 'https://example.com/old', position: 3, enabled: false },
    ],
  },
  {
    id: 'prof_alice',
    username: 'alice',
    displayName: 'Alice Example',
    bio: 'Writes about distributed systems and bread.',
    avatarUrl: 'https://picsum.photos/seed/alice/256',
    theme: { background: '#fdf2f8', foreground: '#1f2937', button: '#be185d', buttonText: '#ffffff' },
    lastModified: at,
    links: [
      { id: 'lnk_blog', title: 'Blog', url: 'https://example.org/blog', position: 1, enabled: true },
      { id: 'lnk_talks', title: 'Talks', url: 'https://example.org/talks', position: 0, enabled: true },
    ],
  },
  {
    // Linktree's extras (contract 4): a section header (no URL) and social icons.
    id: 'prof_sections',
    username: 'sections',
    displayName: 'Sections Example',
    bio: 'Links in sections, with social icons.',
    avatarUrl: 'https://picsum.photos/seed/sections/256',
    theme: { background: '#ecfeff', foreground: '#164e63', button: '#0e7490', buttonText: '#ffffff' },
    lastModified: at,
    links: [
      { id: 'lnk_h_music', title: 'Music', url: '', position: 0, enabled: true, type: 'header' },
      { id: 'lnk_album', title: 'New album', url: 'https://example.com/album', position: 1, enabled: true, type: 'link' },
      { id: 'lnk_h_video', title: 'Videos', url: '', position: 2, enabled: true, type: 'header' },
      {
        id: 'lnk_video',
        title: 'Latest video',
        url: 'https://www.youtube.com/watch?v=demo',
        position: 3,
        enabled: true,
        type: 'link',
      },
    ],
    socials: [
      { type: 'INSTAGRAM', url: 'https://www.instagram.com/example' },
      { type: 'EMAIL_ADDRESS', url: 'mailto:hello@example.com' },
    ],
  },
  {
    id: 'prof_hostile',
    username: 'hostile',
    displayName: '<img src=x onerror="window.__pwned=1">Mallory',
    bio: '<script>window.__pwned = 1</script> "quotes" & <b>tags</b>',
    avatarUrl: 'javascript:window.__pwned=1',
    theme: { background: 'red;} body{display:none', foreground: '#000000' },
    lastModified: at,
    links: [
      { id: 'lnk_js', title: '<script>alert(1)</script>', url: 'javascript:window.__pwned=1', position: 0, enabled: true },
      { id: 'lnk_data', title: 'Data URL', url: 'data:text/html,<script>alert(1)</script>', position: 1, enabled: true },
      { id: 'lnk_ok', title: 'A safe link', url: 'https://example.net/', position: 2, enabled: true },
    ],
  },
];
