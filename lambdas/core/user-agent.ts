// Device type and browser/OS families from a User-Agent (ua-parser-js 1, MIT), folded into the
// few families people read in a dashboard: mobile variants fold into their family (Mobile Safari
// is Safari, Chrome WebView is Chrome), versions are dropped, and anything unlisted is `Other`,
// which also keeps the stored breakdowns to a bounded set of rows.
import { UAParser } from 'ua-parser-js';

export type Device = 'mobile' | 'tablet' | 'desktop' | 'other';
export const DEVICES: readonly Device[] = ['mobile', 'tablet', 'desktop', 'other'];
export const OTHER = 'Other';

export interface UserAgentFacts {
  device: Device;
  browser: string;
  os: string;
}

// ua-parser's browser names → family. In-app browsers keep the app's name: "Instagram" is what an
// owner wants to see, not the WebView underneath.
const BROWSERS: Record<string, string> = {
  Chrome: 'Chrome',
  'Chrome WebView': 'Chrome',
  'Chrome Headless': 'Chrome',
  'Mobile Chrome': 'Chrome',
  Chromium: 'Chrome',
  Safari: 'Safari',
  'Mobile Safari': 'Safari',
  Firefox: 'Firefox',
  'Mobile Firefox': 'Firefox',
  'Firefox Focus': 'Firefox',
  'Firefox Reality': 'Firefox',
  Edge: 'Edge',
  Opera: 'Opera',
  'Opera Mini': 'Opera',
  'Opera Mobi': 'Opera',
  'Opera Touch': 'Opera',
  'Opera GX': 'Opera',
  'Opera Coast': 'Opera',
  'Samsung Internet': 'Samsung Internet',
  Brave: 'Brave',
  Vivaldi: 'Vivaldi',
  Yandex: 'Yandex',
  UCBrowser: 'UC Browser',
  DuckDuckGo: 'DuckDuckGo',
  'MIUI Browser': 'MIUI Browser',
  'Huawei Browser': 'Huawei Browser',
  IE: 'Internet Explorer',
  IEMobile: 'Internet Explorer',
  Instagram: 'Instagram',
  Facebook: 'Facebook',
  TikTok: 'TikTok',
  Snapchat: 'Snapchat',
  Line: 'Line',
  WeChat: 'WeChat',
  Twitter: 'Twitter',
  LinkedIn: 'LinkedIn',
  Pinterest: 'Pinterest',
};

const OSES: Record<string, string> = {
  iOS: 'iOS',
  Android: 'Android',
  Windows: 'Windows',
  'Windows Phone': 'Windows',
  'Windows Mobile': 'Windows',
  'Mac OS': 'macOS',
  macOS: 'macOS',
  Linux: 'Linux',
  Ubuntu: 'Linux',
  Debian: 'Linux',
  Fedora: 'Linux',
  Mint: 'Linux',
  Arch: 'Linux',
  'Red Hat': 'Linux',
  SUSE: 'Linux',
  Gentoo: 'Linux',
  Manjaro: 'Linux',
  'Chrome OS': 'ChromeOS',
  'Chromium OS': 'ChromeOS',
  HarmonyOS: 'HarmonyOS',
  KaiOS: 'KaiOS',
  FreeBSD: 'BSD',
  OpenBSD: 'BSD',
  NetBSD: 'BSD',
};

/** OS families whose devices ua-parser leaves without a type: those are desktops and laptops. */
const DESKTOP_OS = new Set(['Windows', 'macOS', 'Linux', 'ChromeOS', 'BSD']);

/** ua-parser's `device.type` → ours; an empty type is decided by the OS. */
const deviceOf = (type: string | undefined, os: string): Device => {
  if (type === 'mobile') return 'mobile';
  if (type === 'tablet') return 'tablet';
  if (type === undefined || type === '') {
    if (DESKTOP_OS.has(os)) return 'desktop';
    // An Android without "Mobile" in its UA is a tablet by Google's convention; ua-parser says so
    // for the models it knows, this catches the rest.
    if (os === 'Android') return 'tablet';
    if (os === 'iOS') return 'mobile';
  }
  return 'other';
};

/** Classifies one User-Agent, uncached. */
export const classifyUserAgent = (ua: string | undefined): UserAgentFacts => {
  if (!ua) return { device: 'other', browser: OTHER, os: OTHER };
  const r = new UAParser(ua).getResult();
  const os = OSES[r.os.name ?? ''] ?? OTHER;
  const browser = BROWSERS[r.browser.name ?? ''] ?? OTHER;
  return { device: deviceOf(r.device.type, os), browser, os };
};

/** Parsing costs tens of microseconds; a profile's visitors repeat a few hundred UA strings. */
export const CACHE_SIZE = 1_000;
/** ua-parser itself reads at most 500 characters; longer keys would only bloat the cache. */
const MAX_KEY = 512;

/** A bounded LRU over classifyUserAgent (Map keeps insertion order: re-insert on hit). */
export const makeUserAgentClassifier = (size = CACHE_SIZE) => {
  const cache = new Map<string, UserAgentFacts>();
  return (ua: string | undefined): UserAgentFacts => {
    const key = (ua ?? '').slice(0, MAX_KEY);
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const facts = classifyUserAgent(key);
    cache.set(key, facts);
    if (cache.size > size) cache.delete(cache.keys().next().value as string);
    return facts;
  };
};

export const userAgentFacts = makeUserAgentClassifier();
