// Reads a V8 .cpuprofile (node --cpu-prof) and answers "where does the time go": self time per
// function and per package/file, and inclusive time for functions matching a pattern.
import { readFileSync } from 'node:fs';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by `function (file:line)`, largest first. */
  byFunction: Array<{ name: string; ms: number; pct: number }>;
  /** Self time by package (node_modules/<pkg>), `node:` internals, or repo file. */
  byArea: Array<{ name: string; ms: number; pct: number }>;
}

const areaOf = (url: string): string => {
  if (!url) return '(native/gc/idle)';
  if (url.startsWith('node:')) return url;
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) {
    const rest = url.slice(i + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const repo = url.indexOf('/lambdas/');
  return repo >= 0 ? url.slice(repo + 1) : url.replace(/^file:\/\//, '');
};

export const loadProfile = (file: string): CpuProfile => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

/** Self-time summary; `skipIdle` drops `(idle)` samples from the total. */
export const summarizeProfile = (file: string, top = 25, skipIdle = true): ProfileSummary => {
  const prof = loadProfile(file);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++)
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id) as CpuNode;
    const { functionName, url, lineNumber } = n.callFrame;
    if (skipIdle && functionName === '(idle)') continue;
    total += us;
    const name = `${functionName || '(anonymous)'} (${areaOf(url)}:${lineNumber + 1})`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const a = functionName.startsWith('(') && !url ? functionName : areaOf(url);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, pct: Math.round((1000 * us) / total) / 10 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return { totalMs: Math.round(total / 1000), byFunction: list(fn), byArea: list(area) };
};

/** Inclusive time (ms, % of non-idle) of every function whose name or file matches `pattern`. */
export const inclusive = (file: string, pattern: RegExp): Array<{ name: string; ms: number; pct: number }> => {
  const prof = loadProfile(file);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totals = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const leaf = byId.get(prof.samples[i]) as CpuNode;
    if (leaf.callFrame.functionName === '(idle)') continue;
    const us = prof.timeDeltas[i] ?? 0;
    total += us;
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id) as CpuNode;
      const name = `${n.callFrame.functionName || '(anonymous)'} (${areaOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1})`;
      if (!pattern.test(name) || seen.has(name)) continue;
      seen.add(name);
      totals.set(name, (totals.get(name) ?? 0) + us);
    }
  }
  return [...totals.entries()]
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, pct: Math.round((1000 * us) / total) / 10 }))
    .sort((a, b) => b.ms - a.ms);
};
