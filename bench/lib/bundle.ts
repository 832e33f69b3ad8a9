// Lambda bundle size and cold import time: esbuild the handler the way CDK does (minified ESM,
// platform node, target node24, everything bundled), then import the bundle in fresh processes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_ALIASES, BUNDLE_TARGET, ESM_BANNER, LOCAL_ONLY_MODULES } from '../../lib/bundling.ts';
import { ROOT } from './procs.ts';
import { median } from './stats.ts';

export { ESM_BANNER, LOCAL_ONLY_MODULES };

/** What a Lambda has at import: no Redis URL (so nothing connects), no local-stack flags. */
export const LAMBDA_IMPORT_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'Bench',
  ORIGIN_URL: 'http://127.0.0.1:9',
};

export interface BundleResult {
  entry: string;
  outfile: string;
  bytes: number;
  metafile: Metafile;
}

/** Bundles `entry` into `outdir` (minified ESM, node24, sourcemap off) and returns size + metafile. */
export const bundle = async (entry: string, outdir: string, external: string[] = LOCAL_ONLY_MODULES): Promise<BundleResult> => {
  const name = path.basename(path.dirname(entry));
  const outfile = path.join(outdir, `${name}.mjs`);
  const res = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: BUNDLE_TARGET,
    mainFields: ['module', 'main'],
    banner: { js: ESM_BANNER },
    external,
    alias: BUNDLE_ALIASES,
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  return { entry, outfile, bytes: statSync(outfile).size, metafile: res.metafile };
};

/** The package an input path belongs to (`node_modules/@scope/pkg/...` → `@scope/pkg`), or `(app)`. */
export const packageOf = (input: string): string => {
  const i = input.lastIndexOf('node_modules/');
  if (i < 0) return '(app)';
  const rest = input.slice(i + 'node_modules/'.length).split('/');
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
};

/** Bytes in the output per package (or per input file with `by: 'file'`), largest first. */
export const bytesBy = (metafile: Metafile, by: 'package' | 'file' = 'package'): Array<{ name: string; bytes: number }> => {
  const totals = new Map<string, number>();
  for (const out of Object.values(metafile.outputs)) {
    for (const [input, info] of Object.entries(out.inputs)) {
      const key = by === 'package' ? packageOf(input) : input;
      totals.set(key, (totals.get(key) ?? 0) + info.bytesInOutput);
    }
  }
  return [...totals.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
};

/**
 * Why a package is in the bundle: the shortest import chain from the entry point to a file of
 * `pkg` (breadth-first over the metafile's import graph), entry first, the package's file last.
 */
export const importChain = (metafile: Metafile, pkg: string): string[] | undefined => {
  const entry = Object.values(metafile.outputs).find((o) => o.entryPoint)?.entryPoint;
  if (!entry) return undefined;
  const prev = new Map<string, string | null>([[entry, null]]);
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift() as string;
    if (packageOf(file) === pkg) {
      const chain: string[] = [];
      for (let f: string | null = file; f !== null; f = prev.get(f) ?? null) chain.unshift(f);
      return chain;
    }
    for (const imp of metafile.inputs[file]?.imports ?? []) {
      if (imp.external || prev.has(imp.path)) continue;
      prev.set(imp.path, file);
      queue.push(imp.path);
    }
  }
  return undefined;
};

export interface ImportTiming {
  /** Median ms spent in `await import(bundle)` inside a fresh process. */
  importMs: number;
  /** Median wall ms of the whole process (node start + import + exit). */
  processMs: number;
  runs: number[];
}

const IMPORT_PROBE = `
const t0 = performance.now();
await import(process.argv[1]);
const ms = performance.now() - t0;
process.stdout.write('import-ms ' + ms + '\\n');
process.exit(0);
`;

/**
 * Imports `file` in `runs` fresh node processes (the running Node binary) with a clean env
 * (`env` plus PATH/HOME; no REDIS_URL unless you pass one) and returns the medians.
 */
export const importTime = async (file: string, runs = 5, env: Record<string, string> = {}): Promise<ImportTiming> => {
  const importMs: number[] = [];
  const processMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', IMPORT_PROBE, pathToFileURL(file).href], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        text += d.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(text);
        else reject(new Error(`importing ${file} failed (${code}):\n${text}`));
      });
    });
    processMs.push(performance.now() - t0);
    const m = /import-ms ([\d.]+)/.exec(out);
    if (!m) throw new Error(`no timing from import probe:\n${out}`);
    importMs.push(Number(m[1]));
  }
  return { importMs: median(importMs), processMs: median(processMs), runs: importMs };
};

/** A temp dir under the OS tmp (outside the repo) and its remover. */
export const tempDir = (prefix = 'bench-'): { dir: string; remove: () => void } => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};
