// Which requests count as a click or view: people, not crawlers or link-preview fetchers.
// The user-agent list is isbot's (maintained, zero dependencies); a missing or empty user agent
// is treated as a bot too, since every browser sends one.
import { isbot } from 'isbot';

export const isBotUserAgent = (userAgent: string | undefined | null): boolean => {
  const ua = userAgent?.trim();
  if (!ua) return true;
  return isbot(ua);
};

/** HEAD requests (link checkers, prefetchers) and bots are served but not counted. */
export const isCountable = (method: string, userAgent: string | undefined | null): boolean =>
  method.toUpperCase() !== 'HEAD' && !isBotUserAgent(userAgent);
