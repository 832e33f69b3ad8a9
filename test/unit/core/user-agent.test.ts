// Classification of real User-Agent strings into the contract's device types and families.
import { describe, expect, it } from 'vitest';
import { classifyUserAgent, makeUserAgentClassifier } from '../../../lambdas/core/user-agent.ts';

// [case, User-Agent, device, browser, os]: strings as browsers and in-app WebViews send them.
const TABLE: Array<[string, string, string, string, string]> = [
  [
    'iphone safari',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    'mobile',
    'Safari',
    'iOS',
  ],
  [
    'ipad safari',
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
    'tablet',
    'Safari',
    'iOS',
  ],
  [
    'iphone chrome',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/123.0.6312.52 Mobile/15E148 Safari/604.1',
    'mobile',
    'Chrome',
    'iOS',
  ],
  [
    'android chrome',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
    'mobile',
    'Chrome',
    'Android',
  ],
  [
    'android tablet chrome',
    'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'tablet',
    'Chrome',
    'Android',
  ],
  [
    'samsung',
    'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
    'mobile',
    'Samsung Internet',
    'Android',
  ],
  [
    'firefox windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
    'desktop',
    'Firefox',
    'Windows',
  ],
  ['firefox android', 'Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0', 'mobile', 'Firefox', 'Android'],
  [
    'firefox linux',
    'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
    'desktop',
    'Firefox',
    'Linux',
  ],
  [
    'firefox ios',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15',
    'mobile',
    'Firefox',
    'iOS',
  ],
  [
    'edge windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51',
    'desktop',
    'Edge',
    'Windows',
  ],
  [
    'edge android',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64',
    'mobile',
    'Edge',
    'Android',
  ],
  [
    'opera windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0',
    'desktop',
    'Opera',
    'Windows',
  ],
  [
    'opera android',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 OPR/82.0.4227.0',
    'mobile',
    'Opera',
    'Android',
  ],
  [
    'chrome mac',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'desktop',
    'Chrome',
    'macOS',
  ],
  [
    'safari mac',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    'desktop',
    'Safari',
    'macOS',
  ],
  [
    'chrome windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'desktop',
    'Chrome',
    'Windows',
  ],
  [
    'chrome linux',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'desktop',
    'Chrome',
    'Linux',
  ],
  [
    'chrome chromeos',
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'desktop',
    'Chrome',
    'ChromeOS',
  ],
  [
    'instagram ios',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 329.0.3.29.120 (iPhone15,2; iOS 17_4; en_US; en; scale=3.00; 1179x2556; 595251282)',
    'mobile',
    'Instagram',
    'iOS',
  ],
  [
    'instagram android',
    'Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.119 Mobile Safari/537.36 Instagram 321.0.0.39.106 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 7; panther; panther; en_US; 577210397)',
    'mobile',
    'Instagram',
    'Android',
  ],
  [
    'facebook ios',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/458.0.0.40.105;FBBV/583163520;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/585092567]',
    'mobile',
    'Facebook',
    'iOS',
  ],
  [
    'tiktok android',
    'Mozilla/5.0 (Linux; Android 12; SM-A525F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.193 Mobile Safari/537.36 trill_320404 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/32.4.4 ByteLocale/en ByteFullLocale/en Region/US BytedanceWebview/d8a21c6',
    'mobile',
    'TikTok',
    'Android',
  ],
  [
    'android webview',
    'Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36',
    'mobile',
    'Chrome',
    'Android',
  ],
  ['curl', 'curl/8.5.0', 'other', 'Other', 'Other'],
  ['ie11', 'Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko', 'desktop', 'Internet Explorer', 'Windows'],
  [
    'smart tv',
    'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
    'other',
    'Samsung Internet',
    'Other',
  ],
];

describe('classifyUserAgent', () => {
  it.each(TABLE)('%s', (_name, ua, device, browser, os) => {
    expect(classifyUserAgent(ua)).toEqual({ device, browser, os });
  });

  it('covers at least 20 real strings', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(20);
  });

  it('an empty or missing User-Agent is other/Other/Other', () => {
    expect(classifyUserAgent(undefined)).toEqual({ device: 'other', browser: 'Other', os: 'Other' });
    expect(classifyUserAgent('')).toEqual({ device: 'other', browser: 'Other', os: 'Other' });
  });
});

describe('makeUserAgentClassifier', () => {
  it('answers the same facts as the uncached classifier, from its cache on a repeat', () => {
    const classify = makeUserAgentClassifier(2);
    const [, ua] = TABLE[0];
    const first = classify(ua);
    expect(first).toEqual(classifyUserAgent(ua));
    expect(classify(ua)).toBe(first); // the cached object
  });

  it('is bounded: the least recently used entry is evicted', () => {
    const classify = makeUserAgentClassifier(2);
    const a = classify(TABLE[0][1]);
    const b = classify(TABLE[1][1]);
    expect(classify(TABLE[0][1])).toBe(a); // a is now most recent
    classify(TABLE[2][1]); // evicts b
    expect(classify(TABLE[0][1])).toBe(a);
    expect(classify(TABLE[1][1])).not.toBe(b);
    expect(classify(TABLE[1][1])).toEqual(b);
  });
});
