// Cold start cost of every Lambda: bundle size (esbuild, minified ESM, node24, all dependencies
// bundled) and the time to import that bundle in a fresh node process (median of 5). Also the
// weight of /assets/embed.js, which other sites' visitors download to render <link-profile>.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { assetBodies } from '../../lambdas/pages/assets.generated.ts';
import {
  type BundleResult,
  bundle,
  bytesBy,
  importChain,
  importTime,
  LAMBDA_IMPORT_ENV,
  packageOf,
  tempDir,
} from '../lib/bundle.ts';
import { ROOT } from '../lib/procs.ts';
import { round } from '../lib/stats.ts';
import type { Goal, Row, SuiteResult } from '../lib/types.ts';
import { bench } from '../lib/config.ts';

export const description =
  "Each Lambda's bundle size (minified, as CDK bundles it) and cold import time; embed.js minified and gzipped.";

const PROFILE_LIMIT_KB = 250;
/**
 * The analytics dimensions and visitors may grow these by at most a fifth: their sizes (KB) when
 * that work began (2026-12-01, this suite).
 */
const GROWTH_BASE_KB: Record<string, number> = { track: 559.6, consumer: 512.9 };
const GROWTH_LIMIT = 1.2;
/** embed.js loads on pages that are not ours: it should cost their visitors next to nothing. */
const EMBED_JS_LIMIT_KB = 5;
const RUNS = bench.BENCH_IMPORT_RUNS;

const IMPORT_ENV = LAMBDA_IMPORT_ENV;

const kb = (bytes: number) => round(bytes / 1024, 1);

export default async function run(): Promise<SuiteResult> {
  const lambdasDir = path.join(ROOT, 'lambdas');
  const fns = readdirSync(lambdasDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(lambdasDir, d.name, 'index.ts')))
    .map((d) => d.name)
    .sort();
  const tmp = tempDir('bench-cold-init-');
  try {
    const rows: Row[] = [];
    const goals: Goal[] = [];
    const notes: string[] = [];
    const details: Record<string, unknown> = {};
    for (const fn of fns) {
      let b: BundleResult;
      try {
        b = await bundle(path.join(lambdasDir, fn, 'index.ts'), tmp.dir);
      } catch (err) {
        rows.push({
          handler: fn,
          'bundle KB': 'build failed',
          'import ms': '-',
          'process ms': '-',
          'top packages (KB)': String(err).slice(0, 120),
        });
        continue;
      }
      let timing: { importMs: number; processMs: number } | undefined;
      let importError = '';
      try {
        timing = await importTime(b.outfile, RUNS, IMPORT_ENV);
      } catch (err) {
        importError = String(err).split('\n').slice(0, 3).join(' ');
      }
      const pkgs = bytesBy(b.metafile, 'package');
      rows.push({
        handler: fn,
        'bundle KB': kb(b.bytes),
        'import ms': timing ? round(timing.importMs, 1) : 'failed',
        'process ms': timing ? round(timing.processMs, 1) : '-',
        'top packages (KB)': pkgs
          .slice(0, 4)
          .map((p) => `${p.name} ${kb(p.bytes)}`)
          .join(', '),
      });
      if (importError) notes.push(`${fn}: import failed: ${importError}`);
      details[fn] = {
        bytes: b.bytes,
        ...timing,
        packages: pkgs.slice(0, 20),
        files: bytesBy(b.metafile, 'file').slice(0, 20),
        why: Object.fromEntries(
          pkgs
            .slice(0, 8)
            .filter((p) => p.name !== '(app)')
            .map((p) => [p.name, importChain(b.metafile, p.name)]),
        ),
      };
      const base = GROWTH_BASE_KB[fn];
      if (base !== undefined) {
        goals.push({
          goal: `${fn} bundle ≤ ${GROWTH_LIMIT}× its ${base} KB before the analytics dimensions (measured ${kb(b.bytes)} KB, ${(b.bytes / 1024 / base).toFixed(2)}×)`,
          met: b.bytes <= base * GROWTH_LIMIT * 1024,
        });
      }
      if (fn === 'profile') {
        goals.push({
          goal: `profile handler bundle ≤ ${PROFILE_LIMIT_KB} KB (measured ${kb(b.bytes)} KB)`,
          met: b.bytes <= PROFILE_LIMIT_KB * 1024,
        });
        if (b.bytes > PROFILE_LIMIT_KB * 1024) {
          for (const p of pkgs.slice(0, 6)) {
            const chain = importChain(b.metafile, p.name);
            notes.push(
              `profile: ${p.name} ${kb(p.bytes)} KB${chain && chain.length > 1 ? `, imported via ${chain.filter((f) => packageOf(f) === '(app)').join(' → ')}` : ''}`,
            );
          }
        }
      }
    }
    if (!fns.includes('profile')) goals.push({ goal: 'profile entry exists (lambdas/profile/index.ts)', met: false });
    // The committed build (test/unit/pages/assets.test.ts keeps it in step with web/embed.ts).
    const embedJs = Buffer.from(assetBodies['embed.js']);
    const embedGz = gzipSync(embedJs, { level: 9 }).length;
    rows.push({
      handler: 'embed.js (browser)',
      'bundle KB': kb(embedJs.length),
      'import ms': '-',
      'process ms': '-',
      'top packages (KB)': `gzipped ${round(embedGz / 1024, 2)}`,
    });
    goals.push({
      goal: `embed.js ≤ ${EMBED_JS_LIMIT_KB} KB gzipped (measured ${round(embedGz / 1024, 2)} KB; ${kb(embedJs.length)} KB minified)`,
      met: embedGz <= EMBED_JS_LIMIT_KB * 1024,
    });
    details['embed.js'] = { bytes: embedJs.length, gzipBytes: embedGz };
    notes.unshift(
      `esbuild minified ESM, platform node, target node24, bundle everything but the local-only modules; import = fresh \`node\` importing the bundle, median of ${RUNS}, REDIS_URL unset`,
      'embed.js: the committed /assets/embed.js (esbuild minified IIFE from web/embed.ts), gzip level 9 (node:zlib)',
    );
    return { name: 'cold-init', rows, goals, notes, details };
  } finally {
    tmp.remove();
  }
}
