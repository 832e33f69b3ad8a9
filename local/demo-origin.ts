// The demo profile origin for the local stack: speaks the HTTP origin API of contract section 3,
// and Linktree-shaped public pages at `/{username}` (contract 3.2, for `ORIGIN=linktree
// LINKTREE_BASE_URL=<this URL>`, built from the same state), and can be told to fail (429 / 500 /
// slow / refuse) so the degraded modes can be seen by hand:
//   curl -XPOST localhost:<port>/__control -d '{"mode":"500"}'
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LinkUpdate, Profile } from '../lambdas/core/profile.ts';
import { linktreePageHtml } from './demo-linktree-page.ts';
import { demoProfiles } from './demo-profiles.ts';

export type FailMode = 'none' | '429' | '500' | 'slow';

export interface OriginControl {
  mode: FailMode;
  /** For `slow`: how long each answer takes. */
  delayMs: number;
  /** For `429`: the Retry-After to send (seconds); omitted when 0. */
  retryAfterS: number;
}

export class DemoOrigin {
  readonly profiles = new Map<string, Profile>();
  readonly calls = new Map<string, number>();
  control: OriginControl = { mode: 'none', delayMs: 3_000, retryAfterS: 0 };
  readonly #apiKey: string;
  readonly #server: http.Server;

  constructor(apiKey: string, seed: Profile[] = demoProfiles()) {
    this.#apiKey = apiKey;
    for (const p of seed) this.profiles.set(p.username.toLowerCase(), p);
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.#handle(req, Buffer.concat(chunks).toString('utf8'), res).catch((err) => {
          res.writeHead(500).end(String(err));
        });
      });
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(port, host, resolve));
    return `http://${host}:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  get totalCalls(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }

  async #handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://origin');
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };

    // Control plane for people and tests; not part of the origin API.
    if (url.pathname === '/__control') {
      if (req.method === 'POST') this.control = { ...this.control, ...(JSON.parse(body || '{}') as Partial<OriginControl>) };
      return send(200, this.control);
    }
    if (url.pathname === '/__stats') {
      if (req.method === 'DELETE') this.calls.clear();
      return send(200, { total: this.totalCalls, byUsername: Object.fromEntries(this.calls) });
    }
    const admin = /^\/__profiles\/([^/]+)$/.exec(url.pathname);
    if (admin) {
      const username = decodeURIComponent(admin[1]).toLowerCase();
      if (req.method === 'PUT') this.profiles.set(username, JSON.parse(body) as Profile);
      if (req.method === 'DELETE') this.profiles.delete(username);
      return send(200, this.profiles.get(username) ?? null);
    }

    const page = /^\/([A-Za-z0-9._]{1,30})$/.exec(url.pathname);
    if (page && (req.method === 'GET' || req.method === 'HEAD')) return this.#page(decodeURIComponent(page[1]), res);

    if (req.headers.authorization !== `Bearer ${this.#apiKey}`) return send(401, { error: 'bad api key' });
    const get = /^\/v1\/profiles\/([^/]+)$/.exec(url.pathname);
    const patch = /^\/v1\/profiles\/([^/]+)\/links$/.exec(url.pathname);
    const subject = decodeURIComponent((get ?? patch)?.[1] ?? '');
    this.calls.set(subject, (this.calls.get(subject) ?? 0) + 1);

    if (this.control.mode === 'slow') await new Promise((r) => setTimeout(r, this.control.delayMs));
    if (this.control.mode === '429') {
      return send(
        429,
        { error: 'rate limited' },
        this.control.retryAfterS ? { 'retry-after': String(this.control.retryAfterS) } : {},
      );
    }
    if (this.control.mode === '500') return send(500, { error: 'origin failure' });

    if (get && req.method === 'GET') {
      const profile = this.profiles.get(subject.toLowerCase());
      return profile ? send(200, profile) : send(404, { error: 'not found' });
    }
    if (patch && req.method === 'PATCH') {
      const profile = [...this.profiles.values()].find((p) => p.id === subject);
      if (!profile) return send(404, { error: 'not found' });
      const { links } = JSON.parse(body) as { links: LinkUpdate[] };
      const updated = { ...profile, links: applyLinkUpdates(profile.links, links), lastModified: new Date().toISOString() };
      this.profiles.set(profile.username.toLowerCase(), updated);
      return send(200, updated);
    }
    return send(404, { error: 'no such route' });
  }

  /** A public page as Linktree serves it: no auth, HTML, the same failure modes as the API. */
  async #page(username: string, res: http.ServerResponse): Promise<void> {
    this.calls.set(username, (this.calls.get(username) ?? 0) + 1);
    const html = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(body);
    };
    if (this.control.mode === 'slow') await new Promise((r) => setTimeout(r, this.control.delayMs));
    if (this.control.mode === '429') {
      return html(
        429,
        '<h1>Too many requests</h1>',
        this.control.retryAfterS ? { 'retry-after': String(this.control.retryAfterS) } : {},
      );
    }
    if (this.control.mode === '500') return html(500, '<h1>Server error</h1>');
    const profile = this.profiles.get(username.toLowerCase());
    if (!profile) return html(404, '<h1>Page not found</h1>');
    return html(200, linktreePageHtml(profile));
  }
}

/** Updates with an `id` patch that link; updates without one add a link. Others are kept. */
export const applyLinkUpdates = (links: Profile['links'], updates: LinkUpdate[]): Profile['links'] => {
  const out = links.map((l) => ({ ...l }));
  for (const u of updates) {
    const existing = u.id ? out.find((l) => l.id === u.id) : undefined;
    if (existing) Object.assign(existing, Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined)));
    else {
      out.push({
        id: u.id ?? `lnk_${randomUUID().slice(0, 8)}`,
        title: u.title ?? '',
        url: u.url ?? '',
        position: u.position ?? out.length,
        enabled: u.enabled ?? true,
      });
    }
  }
  return out;
};
