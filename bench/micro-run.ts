// The micro scenario: the tinybench micro-benchmarks of the hot path, which live in
// bench/micro.ts beside the bindings they measure. They are loaded lazily, so the rest of the
// harness builds and runs in a tree that does not have them yet.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MicroOutcome } from './report/report.js';

interface MicroModule {
  runMicro(options?: { durationMs?: number; note?: (line: string) => void }): unknown;
}

/** Runs runMicro() from bench/micro.ts; says so when the module is not there. */
export async function runMicroScenario(durationMs: number): Promise<MicroOutcome> {
  // A specifier held in a variable: tsc must not try to resolve a file that may not exist.
  const specifier = './micro.js';
  if (!existsSync(fileURLToPath(new URL(specifier, import.meta.url)))) {
    return {
      status: 'missing',
      message: 'bench/micro.ts is not in this tree (it comes with the hot-path bindings)',
    };
  }
  try {
    const mod = (await import(specifier)) as Partial<MicroModule>;
    if (typeof mod.runMicro !== 'function') {
      return { status: 'failed', message: 'bench/micro.ts exports no runMicro()' };
    }
    const notes: string[] = [];
    const result = await mod.runMicro({ durationMs, note: (line) => notes.push(line) });
    return { status: 'ran', result, ...(notes.length > 0 ? { notes } : {}) };
  } catch (err) {
    return { status: 'failed', message: String((err as Error)?.stack ?? err) };
  }
}
