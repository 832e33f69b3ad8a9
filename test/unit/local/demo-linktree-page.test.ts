// The demo origin's Linktree-shaped pages: what the page origin maps from them is the demo's
// current public profile, and an edit through the demo's PATCH API shows on the next page read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractNextData } from '../../../lambdas/adapters/next-data.ts';
import { mapNextData } from '../../../lambdas/core/linktree-mapping.ts';
import { publicProfile } from '../../../lambdas/core/profile.ts';
import { DemoOrigin } from '../../../local/demo-origin.ts';

const KEY = 'k-test';
let demo: DemoOrigin;
let url: string;

beforeAll(async () => {
  demo = new DemoOrigin(KEY);
  url = await demo.listen(0);
});
afterAll(() => demo.close());

const page = async (username: string) => {
  const res = await fetch(`${url}/${username}`, { headers: { accept: 'text/html' } });
  return { status: res.status, type: res.headers.get('content-type'), html: await res.text() };
};

describe('demo origin pages', () => {
  it('serves /{username} as a Linktree page whose mapping is the public profile', async () => {
    const got = await page('demo');
    expect(got.status).toBe(200);
    expect(got.type).toMatch(/^text\/html/);
    const mapped = mapNextData(JSON.parse(extractNextData(got.html) ?? 'null'));
    const want = publicProfile(demo.profiles.get('demo')!);
    expect(mapped).toEqual({ ...want, links: want.links.map((l) => ({ ...l, type: 'link' })), socials: [] });
    expect(mapped.links.some((l) => l.id === 'lnk_old')).toBe(false);
  });

  it('round-trips section headers and social icons', async () => {
    const mapped = mapNextData(JSON.parse(extractNextData((await page('sections')).html) ?? 'null'));
    expect(mapped).toEqual(publicProfile(demo.profiles.get('sections')!));
    expect(mapped.links.filter((l) => l.type === 'header').map((l) => [l.title, l.url])).toEqual([
      ['Music', ''],
      ['Videos', ''],
    ]);
    expect(mapped.socials?.map((x) => x.type)).toEqual(['INSTAGRAM', 'EMAIL_ADDRESS']);
  });

  it('an edit through the PATCH API shows on the page', async () => {
    const res = await fetch(`${url}/v1/profiles/prof_demo/links`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ links: [{ id: 'lnk_portfolio', title: 'Portfolio (edited)' }] }),
    });
    expect(res.status).toBe(200);
    const mapped = mapNextData(JSON.parse(extractNextData((await page('demo')).html) ?? 'null'));
    expect(mapped.links.find((l) => l.id === 'lnk_portfolio')?.title).toBe('Portfolio (edited)');
    expect(mapped.lastModified).toBe(demo.profiles.get('demo')?.lastModified);
  });

  it('escapes the hostile profile inside the script and the markup', async () => {
    const { html } = await page('hostile');
    expect(html).not.toContain('<script>window.__pwned');
    expect(html).not.toContain('<img src=x');
    const mapped = mapNextData(JSON.parse(extractNextData(html) ?? 'null'));
    expect(mapped.bio).toBe('<script>window.__pwned = 1</script> "quotes" & <b>tags</b>');
    expect(mapped.avatarUrl).toBe('');
    expect(mapped.links.map((l) => l.id)).toEqual(['lnk_ok']);
  });

  it('an unknown profile is 404, and the failure modes apply to pages too', async () => {
    expect((await page('nobody')).status).toBe(404);
    demo.control = { ...demo.control, mode: '429', retryAfterS: 7 };
    try {
      const res = await fetch(`${url}/demo`);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
    } finally {
      demo.control = { ...demo.control, mode: 'none', retryAfterS: 0 };
    }
  });
});
