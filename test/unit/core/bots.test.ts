import { describe, expect, it } from 'vitest';
import { isBotUserAgent, isCountable } from '../../../lambdas/core/bots.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const IPHONE_INSTAGRAM =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 335.0.0.36.89';

describe('bot detection', () => {
  it.each([
    'Googlebot/2.1 (+http://www.google.com/bot.html)',
    'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
    'Twitterbot/1.0',
    'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
    'curl/8.5.0',
    'python-requests/2.31.0',
    '',
    undefined,
  ])('flags %j', (ua) => {
    expect(isBotUserAgent(ua)).toBe(true);
  });
  it.each([CHROME, IPHONE_INSTAGRAM])('lets a browser through: %s', (ua) => {
    expect(isBotUserAgent(ua)).toBe(false);
  });
  it('does not count HEAD requests even from browsers', () => {
    expect(isCountable('HEAD', CHROME)).toBe(false);
    expect(isCountable('GET', CHROME)).toBe(true);
    expect(isCountable('GET', 'Googlebot/2.1')).toBe(false);
  });
});
