import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

// The developer's own BENCH_* settings must not change what the help says.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BENCH_')));

const bench = (...args: string[]) => run(process.execPath, ['bench/run.ts', ...args], { cwd: ROOT, env, timeout: 15_000 });

const suites = readdirSync(path.join(ROOT, 'bench/suites'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''));

describe('npm run bench -- --help', () => {
  it.each(['--help', '-h'])('%s lists every suite and the bench options, and runs nothing', async (flag) => {
    const started = performance.now();
    const { stdout } = await bench(flag);
    // A suite takes tens of seconds; the help imports them but runs none.
    expect(performance.now() - started).toBeLessThan(10_000);

    expect(stdout).toMatch(/^usage: npm run bench/);
    expect(suites.length).toBeGreaterThan(0);
    for (const name of suites) expect(stdout).toMatch(new RegExp(`^ +${name} +\\S`, 'm'));
    expect(stdout).not.toContain('(no description)');
    expect(stdout).not.toContain('(does not load');
    expect(stdout).toMatch(/^ +BENCH_ROUNDS +Rounds .*\(default 3\)$/m);

    // What a run prints: the machine line, a header per suite, tables, the summary.
    expect(stdout).not.toMatch(/^bench: \d+ suite/m);
    expect(stdout).not.toMatch(/^== /m);
    expect(stdout).not.toMatch(/^-+( {2}-+)+$/m);
    expect(stdout).not.toMatch(/^goals: /m);
  });

  it('prints the help and exits 2 on an unknown flag', async () => {
    const failed = await bench('--bogus').then(
      () => undefined,
      (err: { code?: number; stdout: string; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('unknown option --bogus');
    expect(failed?.stderr).toContain('usage: npm run bench');
    expect(failed?.stdout).not.toMatch(/^== /m);
  });
});
