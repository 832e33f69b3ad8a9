// The suite interface shared by every bench suite (bench/suites/*.ts default-export `run`).

export type Cell = string | number;
export type Row = Record<string, Cell>;

export interface Goal {
  goal: string;
  met: boolean;
}

export interface SuiteResult {
  name: string;
  rows: Row[];
  goals?: Goal[];
  /** Free-form lines printed under the table (context, analysis hints). */
  notes?: string[];
  /** Anything else worth keeping in results.json (raw rounds, metafile summaries, ...). */
  details?: unknown;
}

export type Suite = () => Promise<SuiteResult>;
