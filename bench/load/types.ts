// The contract between the runner and a load generator.
import type { GeneratorName } from '../cli.js';
import type { RequestShape } from '../scenarios.js';
import type { Curve } from '../stats.js';

export interface LoadSpec {
  /** http://127.0.0.1:PORT of the contender. */
  origin: string;
  request: RequestShape;
  connections: number;
  threads: number;
  /** Load before the measured window, not recorded (pools filled, caches warm). */
  warmupMs: number;
  durationMs: number;
  /** Open loop at this many requests/s in total; closed loop when undefined. */
  rate?: number;
  /** A request with no full response by then is an error. */
  timeoutMs: number;
  /** CPUs to pin the generator to (taskset list), when it is a process of its own. */
  cpus?: string;
}

/** Called at the edges of the measured window, so the runner samples CPU over just that. */
export interface WindowHooks {
  measureStart(): void;
  measureEnd(): void;
}

/** What one measured run produced. */
export interface LoadRun {
  generator: GeneratorName;
  requests: number;
  errors: number;
  /** Errors by kind (wrk: connect, read, write, timeout; undici: error codes, dropped). */
  errorKinds: Record<string, number>;
  badStatus: number;
  bytes: number;
  durationMs: number;
  curve: Curve;
  /** Open loop: how far the generator itself fell behind its schedule. */
  generatorLate?: GeneratorLate;
}

export interface GeneratorLate {
  /** Share of the window's requests that left more than LATE_MS after they were due. */
  share: number;
  maxMs: number;
}

export interface LoadGenerator {
  name: GeneratorName;
  run(spec: LoadSpec, hooks: WindowHooks): Promise<LoadRun>;
}

/** A generator that cannot do what a spec asks (wrk and an open loop). */
export class GeneratorError extends Error {
  constructor(
    readonly code: 'BENCH_GENERATOR_FAILED' | 'BENCH_GENERATOR_UNSUPPORTED',
    message: string,
  ) {
    super(message);
  }
}
