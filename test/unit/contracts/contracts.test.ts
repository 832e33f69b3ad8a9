// The contracts are imported by both the Lambda code and the CDK app, so they must import nothing;
// and nothing that ships in a Lambda may reach into the CDK code.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, EventTypes } from '../../../lambdas/contracts/events.ts';
import { MetricNames } from '../../../lambdas/contracts/metrics.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LAMBDAS = join(ROOT, 'lambdas');
const CONTRACTS = join(LAMBDAS, 'contracts');
const LIB = join(ROOT, 'lib');

const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });

/** Source without comments, so prose that says "import" is not taken for a statement. */
const code = (src: string): string => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

interface ImportRef {
  spec: string;
  typeOnly: boolean;
}

/** Every module specifier a source names: static and type imports, re-exports, import(), require(). */
const importsOf = (src: string): ImportRef[] => {
  const c = code(src);
  const out: ImportRef[] = [];
  for (const m of c.matchAll(/(?:^|[;\n])\s*(import|export)(\s+type)?\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/g)) {
    out.push({ spec: m[3], typeOnly: !!m[2] });
  }
  for (const m of c.matchAll(/(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]/g)) out.push({ spec: m[1], typeOnly: false });
  for (const m of c.matchAll(/\b(?:import|require)\s*\(\s*['"`]([^'"`]+)['"`]/g)) out.push({ spec: m[1], typeOnly: false });
  return out;
};

const rel = (p: string) => relative(ROOT, p);

describe('importsOf (the scanner the checks below rely on)', () => {
  it('finds every form of import and ignores comments', () => {
    const src = [
      "import { a } from './a.ts';",
      "import type { B } from './b.ts';",
      'import {',
      '  c,',
      "} from 'pkg';",
      "import 'side-effect';",
      "export { d } from '../d.ts';",
      "export type { E } from './e.ts';",
      "const f = await import('../../lib/f.ts');",
      "// import { g } from 'commented-out';",
      "/* import { h } from 'commented-out'; */",
    ].join('\n');
    expect(importsOf(src)).toEqual([
      { spec: './a.ts', typeOnly: false },
      { spec: './b.ts', typeOnly: true },
      { spec: 'pkg', typeOnly: false },
      { spec: '../d.ts', typeOnly: false },
      { spec: './e.ts', typeOnly: true },
      { spec: 'side-effect', typeOnly: false },
      { spec: '../../lib/f.ts', typeOnly: false },
    ]);
  });
});

describe('lambdas/contracts', () => {
  it('imports nothing but types from other contracts files', () => {
    const files = tsFiles(CONTRACTS);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const offending = files.flatMap((file) =>
      importsOf(readFileSync(file, 'utf8'))
        .filter((i) => !(i.typeOnly && i.spec.startsWith('./') && dirname(resolve(dirname(file), i.spec)) === CONTRACTS))
        .map((i) => `${rel(file)} imports ${i.spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('names each metric and event type once, as its own value', () => {
    for (const [key, name] of Object.entries(MetricNames)) expect(name).toBe(key);
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    expect(EVENT_TYPES).toEqual(Object.values(EventTypes));
  });
});

describe('lambdas/', () => {
  it('never imports from lib/ (the CDK app)', () => {
    const local = tsFiles(LAMBDAS).flatMap((file) =>
      importsOf(readFileSync(file, 'utf8'))
        .filter((i) => i.spec.startsWith('.') || i.spec.startsWith('/'))
        .map((i) => ({ file, target: resolve(dirname(file), i.spec), spec: i.spec })),
    );
    // The scan sees the tree's own imports (so an empty result below means something).
    expect(local.length).toBeGreaterThan(100);
    const offending = local.filter((i) => i.target.startsWith(LIB + sep)).map((i) => `${rel(i.file)} imports ${i.spec}`);
    expect(offending).toEqual([]);
  });
});
