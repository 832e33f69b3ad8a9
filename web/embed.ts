// <link-profile username="demo">: a profile's links inside another site's page, without an iframe.
// Loaded with <script src="https://<our host>/assets/embed.js">, it reads the profile from the JSON
// API of the origin it was loaded from (or of its `api-base` attribute), which answers other
// origins (CORS), and renders into a shadow root, so the host page's CSS neither breaks it nor is
// broken by it. Profile data reaches the DOM only as textContent, and hrefs are only our own
// /r/{username}/{linkId} (the redirect counts the click), never the stored URL: no markup from a
// profile is ever parsed. No framework, to stay a few KB.

// Read now: document.currentScript is null once this script has finished running.
const scriptSrc = (document.currentScript as HTMLScriptElement | null)?.src;

const USERNAME = /^[A-Za-z0-9._]{1,30}$/;

const CSS =
  ':host{display:block;max-width:24rem}:host([hidden]){display:none}' +
  'p{margin:0}.name{font-weight:700;font-size:1.125em}.bio{margin-top:.25em;white-space:pre-line;overflow-wrap:anywhere}' +
  '.links{list-style:none;margin:.75em 0 0;padding:0;display:grid;gap:.5em}' +
  '.link{display:block;padding:.6em 1em;border:2px solid currentColor;border-radius:.75em;text-align:center;' +
  'text-decoration:none;font-weight:600;overflow-wrap:anywhere;' +
  'color:var(--link-profile-text,inherit);background:var(--link-profile-button,transparent)}' +
  '.link:hover{text-decoration:underline}.link:focus-visible{outline:3px solid currentColor;outline-offset:2px}';

interface Link {
  id: string;
  title: string;
  url: string;
  position: number;
  enabled: boolean;
}

interface Profile {
  username: string;
  displayName: string;
  bio: string;
  links: Link[];
}

const isHttp = (url: string): boolean => {
  try {
    return /^https?:$/.test(new URL(url).protocol);
  } catch {
    return false;
  }
};

/**
 * Where the API is: `api-base` (an origin, or an origin and a path prefix) when given, else the
 * origin this script came from, else the page's own. Only http(s): the hrefs are built on it.
 */
const apiBase = (attr: string | null): string | undefined => {
  try {
    const u = new URL(attr || scriptSrc || location.href, document.baseURI);
    if (!/^https?:$/.test(u.protocol)) return undefined;
    return attr ? u.origin + u.pathname.replace(/\/+$/, '') : u.origin;
  } catch {
    return undefined;
  }
};

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  e.className = cls;
  // part: the host page may style the pieces (link-profile::part(link) {...}).
  e.setAttribute('part', cls);
  if (text !== undefined) e.textContent = text;
  return e;
};

// One constructed stylesheet for every instance where the browser has them (they are also exempt
// from the host page's style-src); a <style> element per instance elsewhere.
let sheet: CSSStyleSheet | null | undefined;
const sharedSheet = (): CSSStyleSheet | null => {
  if (sheet === undefined) {
    try {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    } catch {
      sheet = null;
    }
  }
  return sheet;
};

class LinkProfile extends HTMLElement {
  static observedAttributes = ['username', 'api-base'];
  #card = el('div', 'card');
  #request?: AbortController;
  #queued = false;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const s = sharedSheet();
    if (s) root.adoptedStyleSheets = [s];
    else root.append(Object.assign(document.createElement('style'), { textContent: CSS }));
    root.append(this.#card);
  }

  connectedCallback(): void {
    this.#schedule();
  }

  disconnectedCallback(): void {
    this.#request?.abort();
  }

  attributeChangedCallback(_name: string, before: string | null, after: string | null): void {
    if (before !== after) this.#schedule();
  }

  // Attributes set together (an upgrade reports each one) cost one request, not one each.
  #schedule(): void {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      if (this.isConnected) void this.#load();
    });
  }

  #message(text: string, busy = false): void {
    this.#card.setAttribute('aria-busy', String(busy));
    const p = el('p', 'message', text);
    p.setAttribute('role', 'status');
    this.#card.replaceChildren(p);
  }

  async #load(): Promise<void> {
    // Only the latest username's answer may render: an older request still in flight is dropped.
    this.#request?.abort();
    const request = new AbortController();
    this.#request = request;
    const username = (this.getAttribute('username') ?? '').trim();
    const base = apiBase(this.getAttribute('api-base'));
    if (!base || !USERNAME.test(username)) return this.#message('No such profile.');
    this.#message('Loading…', true);
    try {
      const res = await fetch(`${base}/api/profiles/${encodeURIComponent(username)}`, { signal: request.signal });
      if (res.status === 404 || res.status === 400) return this.#message('No such profile.');
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const profile = (await res.json()) as Profile;
      if (!request.signal.aborted) this.#render(profile, base);
    } catch {
      if (!request.signal.aborted) this.#message('The links could not be loaded.');
    }
  }

  #render(p: Profile, base: string): void {
    const username = String(p.username).toLowerCase();
    const nodes: HTMLElement[] = [el('p', 'name', String(p.displayName ?? '').trim() || `@${username}`)];
    const bio = String(p.bio ?? '').trim();
    if (bio) nodes.push(el('p', 'bio', bio));
    // As the page: enabled links by position, and only those with an http(s) URL.
    const links = (p.links ?? []).filter((l) => l.enabled && isHttp(l.url)).sort((a, b) => a.position - b.position);
    if (links.length) {
      const list = el('ul', 'links');
      for (const l of links) {
        const a = el('a', 'link', String(l.title ?? '').trim() || l.url);
        a.href = `${base}/r/${encodeURIComponent(username)}/${encodeURIComponent(l.id)}`;
        a.target = '_blank';
        a.rel = 'noopener';
        const item = document.createElement('li');
        item.append(a);
        list.append(item);
      }
      nodes.push(list);
    } else {
      nodes.push(el('p', 'empty', 'No links yet.'));
    }
    this.#card.setAttribute('aria-busy', 'false');
    this.#card.replaceChildren(...nodes);
  }
}

// Twice on one page (two script tags) is harmless: the first definition stands.
if (!customElements.get('link-profile')) customElements.define('link-profile', LinkProfile);
