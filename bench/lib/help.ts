// `npm run bench -- --help`: the command line (flags vs suite filters) and the help text. The
// options are the bench-scoped variables of the one configuration schema, so they are listed from
// it and cannot drift from what the suites read.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, variables } from '../../lambdas/config/variables.ts';
import { type VariableDoc, variableDocs } from '../../lambdas/config/variable-docs.ts';

export interface BenchArgs {
  help: boolean;
  /** Flags this command does not know (they get the help and exit code 2). */
  unknown: string[];
  /** Suite name fragments. */
  filters: string[];
}

export const parseArgs = (argv: readonly string[]): BenchArgs => {
  const out: BenchArgs = { help: false, unknown: [], filters: [] };
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') out.help = true;
    else if (arg === '--') continue;
    else if (arg.startsWith('-')) out.unknown.push(arg);
    else out.filters.push(arg);
  }
  return out;
};

/** Suite file names in `dir`, sorted (the order they run in). */
export const suiteFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();

export const suiteName = (file: string): string => file.replace(/\.ts$/, '');

export interface SuiteInfo {
  name: string;
  description: string;
}

/**
 * Each suite's exported `description`. Importing a suite runs no benchmark, but it parses the
 * environment, so a bad BENCH_* value is shown in place of the description rather than failing
 * the help that would explain it.
 */
export const describeSuites = (dir: string, files: readonly string[]): Promise<SuiteInfo[]> =>
  Promise.all(
    files.map(async (file) => {
      const name = suiteName(file);
      try {
        const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { description?: unknown };
        return { name, description: typeof mod.description === 'string' ? mod.description : '(no description)' };
      } catch (err) {
        const reason = err instanceof ConfigError ? err.problems.join('; ') : String(err).split('\n')[0];
        return { name, description: `(does not load: ${reason})` };
      }
    }),
  );

const columns = (pairs: ReadonlyArray<readonly [string, string]>): string[] => {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
};

/** `NAME  description (default X)` for every variable of scope `bench`. */
export const benchOptions = (): string[] =>
  columns(
    (Object.entries(variableDocs) as [keyof typeof variables, VariableDoc][])
      .filter(([, d]) => d.scope === 'bench')
      .map(([name, d]) => [
        name,
        `${d.description.replace(/\.$/, '')} (default ${d.defaultText ?? String(variables[name].default)})`,
      ]),
  );

export const helpText = (suites: readonly SuiteInfo[]): string =>
  [
    'usage: npm run bench [-- [--help] [suite...]]',
    '',
    'Runs every suite in bench/suites, or those whose name contains one of the given fragments;',
    'prints a table per suite and writes bench/results.json.',
    '',
    'suites:',
    ...columns(suites.map((s) => [s.name, s.description])),
    '',
    'options (environment variables):',
    ...benchOptions(),
    '',
    'flags:',
    '  -h, --help  print this help and run nothing',
  ].join('\n');
