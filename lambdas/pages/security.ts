// Response headers of the HTML pages: a strict Content-Security-Policy (scripts and styles only
// from /assets, plus the page's hashed inline theme stylesheet; no inline script at all) and the
// usual hardening headers.

export interface CspOptions {
  /** Extra style-src sources, e.g. the hash of the page's inline theme stylesheet. */
  styleHashes?: string[];
  /** Origins images may come from (avatars are any http(s) URL). */
  remoteImages?: boolean;
}

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
    "frame-ancestors 'none'",
  ].join('; ');

export const pageHeaders = (o: CspOptions & { referrerPolicy?: string } = {}): Record<string, string> => ({
  'content-security-policy': contentSecurityPolicy(o),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': o.referrerPolicy ?? 'strict-origin-when-cross-origin',
});

export const HTML_TYPE = 'text/html; charset=utf-8';
