// The synthesized bundles are the handler modules the local stack runs: real esbuild bundling
// (the only infra test that bundles), checked through each asset's source map.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, handlerEntry } from '../../lib/constructs/service-function.ts';
import { type Synthesized, synth } from './fixture.ts';
import { fnByName } from './helpers.ts';

const FUNCTIONS = [
  'profile',
  'site',
  'track',
  'webhook',
  'admin',
  'consumer',
  'migrate',
  'deliver',
  'cdn-invalidator',
  'watcher',
] as const;
type Name = (typeof FUNCTIONS)[number];

let s: Synthesized;
let outdir: string;
beforeAll(() => {
  // With the CDN, so the edge stack's invalidator is bundled too (the other bundles do not depend on
  // it), and a watch interval, so the change watcher is.
  s = synth({ stage: 'dev', cdn: 'true', watchIntervalS: '60' }, { bundle: true, region: 'eu-west-1' });
  outdir = s.app.outdir;
}, 300_000); // ten real esbuild bundles, on a shared machine

const fnOf = (name: Name) =>
  name === 'cdn-invalidator'
    ? { template: s.edgeTemplate ?? s.serviceTemplate, fn: s.edge?.invalidation.invalidator }
    : { template: s.serviceTemplate, fn: s.service.functions[name as Exclude<Name, 'cdn-invalidator'>] };

const assetDir = (name: Name): string => {
  const [, fn] = fnByName(fnOf(name).template, name);
  const hash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
  return join(outdir, `asset.${hash}`);
};

describe.each(FUNCTIONS)('%s bundle', (name) => {
  it('is built from lambdas/<fn>/index.ts, the handler module the local stack loads', () => {
    expect(fnOf(name).fn?.entry).toBe(handlerEntry(name));
    expect(relative(REPO_ROOT, handlerEntry(name))).toBe(join('lambdas', name, 'index.ts'));
    const dir = assetDir(name);
    const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    const sources = map.sources.map((p) => relative(REPO_ROOT, resolve(dir, p)));
    expect(sources).toContain(join('lambdas', name, 'handler.ts'));
    // Local-only modules never reach a Lambda bundle.
    expect(sources.filter((p) => /node_modules\/(@electric-sql|fauxqs|dynalite|pg-native)\//.test(p))).toEqual([]);
    // The `debug` package is aliased to an always-off logger (lib/bundling.ts BUNDLE_ALIASES).
    expect(sources.filter((p) => /node_modules\/(debug|supports-color|ms)\//.test(p))).toEqual([]);
  });

  it('is minified ESM with the createRequire shim for CommonJS dependencies', () => {
    const code = readFileSync(join(assetDir(name), 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __cjsCreateRequire } from 'node:module';")).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*as handler|export\s*\{\s*handler/);
    expect(code).toContain('//# sourceMappingURL=index.mjs.map');
  });
});

it('ships the migrate SQL files next to the migrate bundle', () => {
  const dir = join(assetDir('migrate'), 'sql');
  expect(existsSync(dir)).toBe(true);
  const src = join(REPO_ROOT, 'lambdas', 'migrate', 'sql');
  for (const f of ['001_init.sql']) {
    expect(readFileSync(join(dir, f), 'utf8')).toBe(readFileSync(join(src, f), 'utf8'));
  }
});
