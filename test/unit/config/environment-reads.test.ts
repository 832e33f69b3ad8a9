// The configuration module is the only code shipped in a Lambda that reads the environment; the
// local stack, the tools and the bench parse it through the same schema.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

const tsFiles = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));

const reading = (dir: string): string[] =>
  tsFiles(dir).filter((f) => /process\.env\b/.test(readFileSync(path.join(ROOT, f), 'utf8')));

describe('environment reads', () => {
  it('under lambdas/: the configuration module alone', () => {
    expect(reading('lambdas')).toEqual(['lambdas/config/config.ts']);
  });

  it('elsewhere: only entry points, which hand process.env to the schema', () => {
    expect(reading('local')).toEqual(['local/stack.ts']);
    expect(reading('bench').sort()).toEqual(['bench/lib/bundle.ts', 'bench/lib/config.ts', 'bench/lib/procs.ts', 'bench/run.ts']);
  });
});
