// Response headers of the HTML pages: a strict Content-Security-Policy (scripts and styles only
// from /assets, plus the page's hashed inline theme stylesheet; no inline script at all) and the
// usual hardening headers. Pages are unframable, except the embed page (`frameAncestors`).

export interface CspOptions {
  /** Extra style-src sources, e.g. the hash of the page's inline theme stylesheet. */
  styleHashes?: string[];
  /** Origins images may come from (avatars are any http(s) URL). */
  remoteImages?: boolean;
  /**
   * CSP frame-ancestors sources (`FRAME_ANCESTORS`, checked by frameAncestorSources); `'none'`
   * when unset: only the embed page may be framed.
   */
  frameAncestors?: string;
}

const NOT_FRAMABLE = "'none'";

/**
 * `raw` as frame-ancestors sources, whitespace collapsed. A `;` or `,` would end the directive
 * and start another policy (or a second header value), so such a value is refused outright.
 */
export const frameAncestorSources = (raw: string): string => {
  const sources = raw.trim().split(/\s+/).join(' ');
  if (!sources || /[;,\r\n]/.test(sources))
    throw new Error(`Not CSP frame-ancestors sources: ${JSON.stringify(raw.slice(0, 64))}`);
  return sources;
};

export const contentSecurityPolicy = (o: CspOptions = {}): string =>
  [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self'${o.styleHashes?.length ? ` ${o.styleHashes.join(' ')}` : ''}`,
    `img-src 'self'${o.remoteImages ? ' https: http:' : ''}`,
    "connect-src 'self'",
    "base-uri 'none'",
    // No form is ever submitted natively: the dashboard's token form is handled by script, and
    // this makes sure a token can never end up in a URL even if the script did not load.
    "form-action 'none'",
    `frame-ancestors ${o.frameAncestors ?? NOT_FRAMABLE}`,
  ].join('; ');

export const pageHeaders = (o: CspOptions & { referrerPolicy?: string } = {}): Record<string, string> => {
  const framable = (o.frameAncestors ?? NOT_FRAMABLE) !== NOT_FRAMABLE;
  return {
    'content-security-policy': contentSecurityPolicy(o),
    'x-content-type-options': 'nosniff',
    // X-Frame-Options has no allow-list (ALLOW-FROM is gone from browsers): a framable page is
    // governed by its frame-ancestors alone, every other page also says DENY for old browsers.
    ...(framable ? {} : { 'x-frame-options': 'DENY' }),
    'referrer-policy': o.referrerPolicy ?? 'strict-origin-when-cross-origin',
  };
};

export const HTML_TYPE = 'text/html; charset=utf-8';
