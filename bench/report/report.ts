// The whole outcome of one `npm run bench`, as written to the JSON file and drawn in HTML.
import type { InstructionsOutcome } from '../instructions/run.js';
import type { ScenarioOutcome } from '../runner.js';

/** What the micro-benchmarks gave, or why they did not run. */
export interface MicroOutcome {
  status: 'ran' | 'missing' | 'failed';
  message?: string;
  /** Backends left out of a run that ran, one line each with the reason. */
  notes?: string[];
  /** Whatever runMicro() returned: rows of a table when it is an array of flat objects. */
  result?: unknown;
}

export interface Report {
  /** ISO time the run started. */
  startedAt: string;
  /** The command line that produced it, to put beside a published table. */
  command: string;
  machine: { cpus: string; cores: number; memoryMb: number; kernel: string; node: string };
  tools: Record<string, string>;
  /** Contenders left out of every scenario, with the reason. */
  skipped: Record<string, string>;
  scenarios: ScenarioOutcome[];
  /** Instructions per request counted by callgrind; absent when no such scenario ran. */
  instructions?: InstructionsOutcome[];
  micro?: MicroOutcome;
}
