// `npm run bench [-- <filter>...]`: runs bench/suites/*.ts (sorted; only those whose file name
// contains one of the filters, if given), prints each as a table with its goals, and writes
// everything plus machine info to bench/results.json. Exit 0 even when goals are missed; non-zero
// when a suite throws. `--help` lists the suites and options and runs nothing; an unknown flag
// prints the help and exits 2.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeSuites, helpText, parseArgs, suiteFiles, suiteName } from './lib/help.ts';
import { machineInfo } from './lib/machine.ts';
import { installCleanup, killAll } from './lib/procs.ts';
import { formatGoals, formatTable } from './lib/table.ts';
import type { Suite, SuiteResult } from './lib/types.ts';

// Handlers run in-process in some suites: their CloudWatch EMF lines would drown the tables.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const suitesDir = path.join(import.meta.dirname, 'suites');
const args = parseArgs(process.argv.slice(2));

if (args.help || args.unknown.length) {
  const text = helpText(await describeSuites(suitesDir, suiteFiles(suitesDir)));
  if (args.unknown.length) {
    console.error(`unknown option ${args.unknown.join(', ')}\n\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

installCleanup();

const { filters } = args;
const files = suiteFiles(suitesDir).filter((f) => filters.length === 0 || filters.some((x) => suiteName(f).includes(x)));

if (files.length === 0) {
  console.error(`no suite in bench/suites matches ${filters.join(', ') || '(none present)'} (see npm run bench -- --help)`);
  process.exit(2);
}

const startedAt = new Date();
const machineStart = machineInfo();
console.log(
  `bench: ${files.length} suite(s) on ${machineStart.cpuModel} x${machineStart.cores}, node ${machineStart.node}, ` +
    `load average ${machineStart.loadavg.join(' ')}`,
);

interface Outcome {
  file: string;
  durationMs: number;
  result?: SuiteResult;
  error?: string;
  loadavgStart: number[];
  loadavgEnd: number[];
}

const outcomes: Outcome[] = [];
for (const file of files) {
  const t0 = performance.now();
  const loadavgStart = machineInfo().loadavg;
  console.log(`\n== ${suiteName(file)}`);
  try {
    const mod = (await import(pathToFileURL(path.join(suitesDir, file)).href)) as { default?: Suite };
    if (typeof mod.default !== 'function') throw new Error(`${file} has no default export run()`);
    const result = await mod.default();
    const durationMs = performance.now() - t0;
    outcomes.push({ file, durationMs, result, loadavgStart, loadavgEnd: machineInfo().loadavg });
    console.log(formatTable(result.rows));
    for (const note of result.notes ?? []) console.log(`  ${note}`);
    if (result.goals?.length) console.log(formatGoals(result.goals));
    console.log(
      `  (${(durationMs / 1000).toFixed(1)} s, load average ${loadavgStart.join(' ')} → ${machineInfo().loadavg.join(' ')})`,
    );
  } catch (err) {
    const durationMs = performance.now() - t0;
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    outcomes.push({ file, durationMs, error, loadavgStart, loadavgEnd: machineInfo().loadavg });
    console.error(`  ✘ suite failed: ${error.length > 4_000 ? `${error.slice(0, 4_000)}...` : error}`);
  } finally {
    await killAll();
  }
}

const goals = outcomes.flatMap((o) => o.result?.goals ?? []);
const met = goals.filter((g) => g.met).length;
const failed = outcomes.filter((o) => o.error);
const machineEnd = machineInfo();

const resultsPath = path.join(import.meta.dirname, 'results.json');
writeFileSync(
  resultsPath,
  `${JSON.stringify(
    {
      timestamp: startedAt.toISOString(),
      durationMs: Math.round(outcomes.reduce((s, o) => s + o.durationMs, 0)),
      filters,
      machine: { ...machineStart, loadavg: undefined, loadavgStart: machineStart.loadavg, loadavgEnd: machineEnd.loadavg },
      suites: outcomes.map((o) => ({
        file: o.file,
        durationMs: Math.round(o.durationMs),
        loadavgStart: o.loadavgStart,
        loadavgEnd: o.loadavgEnd,
        ...(o.result ?? {}),
        ...(o.error ? { error: o.error } : {}),
      })),
      summary: { goalsMet: met, goalsMissed: goals.length - met, suitesFailed: failed.length },
    },
    null,
    2,
  )}\n`,
);

console.log(
  `\ngoals: ${met} met, ${goals.length - met} missed${failed.length ? `; ${failed.length} suite(s) FAILED: ${failed.map((o) => o.file).join(', ')}` : ''}`,
);
console.log(`results: ${path.relative(process.cwd(), resultsPath)}  (load average at end ${machineEnd.loadavg.join(' ')})`);
process.exit(failed.length ? 1 : 0);
