// What the track function adds per counted event, in process: User-Agent classification parsed
// (ua-parser-js) and from the bounded cache, the salted visitor hash, and a whole redirect through
// the handler (profile from a fake read path, the publish to a fake queue, the salt cached).
import { makeUserAgentClassifier, classifyUserAgent } from '../../lambdas/core/user-agent.ts';
import { makeVisitorHasher, visitorHash } from '../../lambdas/core/visitors.ts';
import type { Profile } from '../../lambdas/core/profile.ts';
import { makeHandler } from '../../lambdas/track/handler.ts';
import { round } from '../lib/stats.ts';
import type { Goal, Row, SuiteResult } from '../lib/types.ts';

export const description =
  'Per-event cost at the edge: User-Agent parse vs cached, the visitor HMAC, and a whole counted redirect in process.';

const UAS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 329.0.3.29.120 (iPhone15,2; iOS 17_4; en_US; en; scale=3.00; 1179x2556; 595251282)',
  'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
];

/** Median µs per operation over `rounds` rounds of `n` operations. */
const perOp = async (n: number, rounds: number, op: (i: number) => unknown | Promise<unknown>): Promise<number> => {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await op(i);
    samples.push(((performance.now() - t0) * 1000) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
};

export default async (): Promise<SuiteResult> => {
  const parse = await perOp(2_000, 5, (i) => classifyUserAgent(UAS[i % UAS.length]));
  const classify = makeUserAgentClassifier();
  const cached = await perOp(200_000, 5, (i) => classify(UAS[i % UAS.length]));
  const salt = Buffer.alloc(32, 1);
  const hash = await perOp(50_000, 5, (i) => visitorHash(salt, `203.0.113.${i % 250}`, UAS[i % UAS.length], 'demo'));

  const profile = {
    id: 'prof-1',
    username: 'demo',
    links: [{ id: 'lnk', title: 'x', url: 'https://example.com/', position: 0, enabled: true }],
  } as unknown as Profile;
  let published = 0;
  const publisher = {
    publish: async () => {
      published++;
    },
    publishBatch: async () => {},
  };
  const handler = makeHandler({
    service: { profile: async () => ({ profile, outcome: 'HIT' as const }) },
    config: { cache: { linksTtlS: 120 } },
    clickPublisher: publisher,
    publisher,
    clickBudgetMs: 300,
    queueRetentionS: 86_400,
    visitors: makeVisitorHasher({
      store: { saltFor: async () => ({ salt, createdAt: Date.now() }) },
      telemetry: { count: () => {}, warn: () => {} },
      metric: 'VisitorSaltUnavailable',
    }),
    telemetry: { count: () => {}, warn: () => {} },
    log: { error: () => {} },
  });
  const event = (i: number) =>
    ({
      version: '2.0',
      routeKey: 'GET /r/{username}/{linkId}',
      rawPath: '/r/demo/lnk',
      rawQueryString: '',
      headers: { 'user-agent': UAS[i % UAS.length], 'cloudfront-viewer-address': `198.51.100.${i % 250}:443` },
      pathParameters: { username: 'demo', linkId: 'lnk' },
      requestContext: {
        http: { method: 'GET', path: '/r/demo/lnk', sourceIp: '127.0.0.1' },
        routeKey: 'GET /r/{username}/{linkId}',
      },
      isBase64Encoded: false,
    }) as unknown as Parameters<typeof handler>[0];
  const ctx = { awsRequestId: 'bench', functionName: 'track' } as unknown as Parameters<typeof handler>[1];
  const redirect = await perOp(5_000, 5, (i) => handler(event(i), ctx));

  const rows: Row[] = [
    { measure: 'User-Agent parse (ua-parser-js)', 'µs/op': round(parse, 2) },
    { measure: 'User-Agent from the LRU cache', 'µs/op': round(cached, 3) },
    { measure: 'visitor HMAC-SHA256', 'µs/op': round(hash, 2) },
    { measure: 'counted redirect, whole handler', 'µs/op': round(redirect, 1) },
  ];
  const goals: Goal[] = [
    { goal: 'a cached User-Agent costs at most a tenth of a parse', met: cached * 10 <= parse },
    { goal: 'a counted redirect takes under 1 ms in process (cached profile and salt)', met: redirect < 1_000 },
  ];
  const notes = [
    `${published} redirects published; every number is per operation on this machine, so read them beside its load average.`,
  ];
  return { name: 'edge', rows, goals, notes, details: { parse, cached, hash, redirect, published } };
};
