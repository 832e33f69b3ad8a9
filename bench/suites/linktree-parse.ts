// Linktree page parse cost (ORIGIN=linktree): µs per profile to go from a ~300 KB public page to a
// mapped Profile, with this service's DOM-free `__NEXT_DATA__` scan (lambdas/adapters/next-data.ts)
// against two baselines measured in the same run, on the same page, interleaved round by round:
// a naive full-document regex that walks every <script> element and keeps the one with the id,
// and the one-regex extraction open scrapers use. Extraction alone is timed too: JSON.parse of
// the data dominates the total, and is the same for all three.
import { extractNextData } from '../../lambdas/adapters/next-data.ts';
import { mapNextData } from '../../lambdas/core/linktree-mapping.ts';
import type { Profile } from '../../lambdas/core/profile.ts';
import { linktreePageHtml } from '../../local/demo-linktree-page.ts';
import { round, summarize } from '../lib/stats.ts';
import type { Goal, Row, SuiteResult } from '../lib/types.ts';

export const description = 'Linktree page parse: µs per profile for a ~300 KB page, DOM-free scan vs naive regex baselines.';

const TARGET_BYTES = 300 * 1024;
const ROUNDS = 15;
/** Each round runs each method for at least this long (and at least MIN_ITERS times). */
const ROUND_MS = 60;
const MIN_ITERS = 5;
const TOTAL_GOAL_US = 5_000;

/** A page of the real shape: ~40 links with Linktree's extra fields, chunk scripts, inline CSS and JS. */
const bigPage = (): string => {
  const links = Array.from({ length: 40 }, (_, i) => ({
    id: `lnk_${i}`,
    title: `Link number ${i}: ${'a fairly long descriptive title '.repeat(2)}`,
    url: `https://example.com/path/${i}?utm_source=linktree&ref=${'x'.repeat(40)}`,
    position: i,
    enabled: true,
    type: i % 10 === 0 ? ('header' as const) : ('link' as const),
  }));
  const profile: Profile = {
    id: '2f9c7a10-5b1e-4c3d-9e8f-0a1b2c3d4e5f',
    username: 'benchprofile',
    displayName: 'Bench Profile',
    bio: 'A profile as big as busy real ones. '.repeat(8),
    avatarUrl: 'https://ugc.production.linktr.ee/avatar.jpg',
    links,
    theme: {
      key: 'custom',
      colors: { body: '#f3f3f1', linkText: '#ffffff', linkBackground: '#111827' },
      components: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`Component${i}`, { style: 'x'.repeat(120), n: i }])),
    },
    lastModified: new Date(1_717_171_717_171).toISOString(),
    socials: [{ type: 'INSTAGRAM', url: 'https://instagram.com/bench' }],
  };
  const page = linktreePageHtml(profile);
  // Real pages carry many chunk scripts, inline scripts and styles before the data script.
  const chunk = (i: number) =>
    `<script src="/_next/static/chunks/${i}-${'0123456789abcdef'.repeat(1)}.js" defer=""></script>\n` +
    `<script>(self.__next_s=self.__next_s||[]).push([${i},{"k":"${'v'.repeat(300)}"}])</script>\n` +
    `<style data-emotion="css ${i}">.css-${i}{${'color:#123456;margin:0 auto;padding:4px 8px;'.repeat(12)}}</style>\n`;
  let filler = '';
  for (let i = 0; page.length + filler.length < TARGET_BYTES; i++) filler += chunk(i);
  return page.replace('</head>', `${filler}</head>`);
};

const NAIVE_ALL_SCRIPTS = /<script([^>]*)>([\s\S]*?)<\/script>/g;
const naiveAllScripts = (html: string): string | undefined => {
  for (const m of html.matchAll(NAIVE_ALL_SCRIPTS)) {
    if (/id=["']?__NEXT_DATA__["']?/.test(m[1])) return m[2];
  }
  return undefined;
};

const NAIVE_ONE = /<script id="__NEXT_DATA__" type="application\/json">([\s\S]*?)<\/script>/;
const naiveOneRegex = (html: string): string | undefined => NAIVE_ONE.exec(html)?.[1];

type Extract = (html: string) => string | undefined;
const METHODS: [string, Extract][] = [
  ['DOM-free scan (ours)', extractNextData],
  ['naive: regex over every <script>', naiveAllScripts],
  ['naive: one regex (scrapers)', naiveOneRegex],
];

let sink = 0;

/** µs per call of `fn` over one round of at least ROUND_MS. */
const timeRound = (fn: () => unknown): number => {
  let iters = 0;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  while (iters < MIN_ITERS || elapsedNs < BigInt(ROUND_MS) * 1_000_000n) {
    const out = fn();
    if (out) sink++;
    iters++;
    elapsedNs = process.hrtime.bigint() - start;
  }
  return Number(elapsedNs) / 1_000 / iters;
};

export default async function run(): Promise<SuiteResult> {
  const html = bigPage();
  const bytes = Buffer.byteLength(html);
  const dataBytes = Buffer.byteLength(extractNextData(html) ?? '');
  // All three must find the same text, or the comparison means nothing.
  for (const [name, extract] of METHODS) {
    if (extract(html) !== extractNextData(html)) throw new Error(`${name} extracts something else`);
  }
  const full = (extract: Extract) => () => mapNextData(JSON.parse(extract(html) ?? 'null'));
  const only = (extract: Extract) => () => extract(html)?.length;

  const samples = new Map<string, { total: number[]; extract: number[] }>();
  for (const [name] of METHODS) samples.set(name, { total: [], extract: [] });
  // Warm-up, then interleaved rounds so drift on a shared machine hits every method alike.
  for (const [, extract] of METHODS) {
    timeRound(full(extract));
    timeRound(only(extract));
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, extract] of METHODS) {
      const s = samples.get(name)!;
      s.total.push(timeRound(full(extract)));
      s.extract.push(timeRound(only(extract)));
    }
  }

  const ours = samples.get(METHODS[0][0])!;
  const oursTotal = summarize(ours.total).p50;
  const oursExtract = summarize(ours.extract).p50;
  const rows: Row[] = METHODS.map(([name]) => {
    const s = samples.get(name)!;
    const total = summarize(s.total);
    const extract = summarize(s.extract);
    return {
      method: name,
      'extract µs p50': round(extract.p50, 1),
      'extract µs p90': round(extract.p90, 1),
      'extract ratio vs ours': round(extract.p50 / oursExtract, 2),
      'page→Profile µs p50': round(total.p50, 1),
      'page→Profile µs p90': round(total.p90, 1),
      'total ratio vs ours': round(total.p50 / oursTotal, 2),
    };
  });
  const goals: Goal[] = [
    {
      goal: `page → Profile for a ${Math.round(bytes / 1024)} KB page under ${TOTAL_GOAL_US} µs (p50 ${round(oursTotal, 1)} µs)`,
      met: oursTotal < TOTAL_GOAL_US,
    },
  ];
  return {
    name: 'linktree-parse',
    rows,
    goals,
    notes: [
      `page ${bytes} bytes, __NEXT_DATA__ ${dataBytes} bytes; ${ROUNDS} interleaved rounds of ≥ ${ROUND_MS} ms per method; ratio > 1 means slower than ours`,
      'page→Profile = extract + JSON.parse + mapNextData; JSON.parse is the same work for all three methods',
    ],
    details: { bytes, dataBytes, samples: Object.fromEntries(samples), sink },
  };
}
