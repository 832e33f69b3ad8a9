// Page-route helpers the profile and site handlers share: reserved first path segments and the
// public base URL. (robots.txt, the favicon and /assets are in static-files.ts, site only.)
import { RESERVED_SEGMENTS } from '../contracts/routes.ts';
import { NotFoundError } from '../shared/errors.ts';
import type { HttpEvent } from '../shared/http.ts';

// First path segments that are routes of their own and never usernames (contract: Pages),
// derived from the route table so a new route reserves its segment.
export { RESERVED_SEGMENTS };

export const isReserved = (segment: string | undefined): boolean => RESERVED_SEGMENTS.has((segment ?? '').toLowerCase());

/** Throws a 404 (rendered as the HTML 404 page) for a reserved name; never reaches the origin. */
export const assertNotReserved = (username: string | undefined): void => {
  if (isReserved(username)) throw new NotFoundError(`"${username}" is not a profile.`);
};

const HOST_RE = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/;

/**
 * The public origin for absolute URLs in pages (og:url, canonical): `PUBLIC_BASE_URL` when set
 * (deployments behind a CDN: its domain), else the domain the request came in on as API Gateway
 * reports it (`requestContext.domainName`, not a client-supplied header; the local adapter
 * fills it from Host), https unless it is localhost/127.0.0.1.
 */
export const publicBaseUrl = (event: HttpEvent, configuredBaseUrl?: string): string => {
  const configured = configuredBaseUrl?.replace(/\/+$/, '');
  if (configured) return configured;
  const host = event.requestContext?.domainName ?? '';
  if (!HOST_RE.test(host)) return 'https://localhost';
  const local = /^(localhost|127\.0\.0\.1)(:\d+)?$/.test(host);
  return `${local ? 'http' : 'https'}://${host}`;
};
