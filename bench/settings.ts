// How a scenario runs once the command line has had its say: the scenario's defaults,
// overridden by flags, and every adjustment the harness had to make, as a note for the table.
import type { CliOptions, GeneratorName } from './cli.js';
import { MAX_MANY_CONNECTIONS, type Scenario } from './scenarios.js';

export interface Settings {
  rounds: number;
  durationMs: number;
  warmupMs: number;
  connections: number;
  threads: number;
  /** Open loop at this many requests/s; closed loop when undefined. */
  rate?: number;
  generator: GeneratorName;
  workers: number;
  upstreamWorkers: number;
  pin: boolean;
  /** A request with no full response by then is an error. */
  timeoutMs: number;
}

/**
 * Load-generator threads when no flag says: half the cores (1 to 4), since the generator
 * shares the machine with the proxy and the upstream. On two cores a second generator thread
 * took CPU from the contenders and lowered every figure.
 */
export function defaultThreads(cores: number): number {
  return Math.max(1, Math.min(4, Math.floor(cores / 2)));
}

export function resolveSettings(
  scenario: Scenario,
  cli: CliOptions,
  wrkInstalled: boolean,
  cores: number,
): { settings: Settings; notes: string[] } {
  const notes: string[] = [];
  const d = scenario.defaults;
  let connections = cli.connections ?? d.connections;
  if (connections > MAX_MANY_CONNECTIONS) {
    notes.push(`connections capped at ${MAX_MANY_CONNECTIONS} (asked: ${connections})`);
    connections = MAX_MANY_CONNECTIONS;
  }
  const rate = cli.rate ?? d.rate;
  let generator: GeneratorName = cli.generator ?? (wrkInstalled ? 'wrk' : 'undici');
  if (rate !== undefined && generator === 'wrk') {
    notes.push('open loop: wrk cannot hold a fixed rate, so undici generated this scenario');
    generator = 'undici';
  }

  const settings: Settings = {
    rounds: cli.rounds ?? d.rounds,
    durationMs: cli.durationMs ?? d.durationMs,
    warmupMs: cli.warmupMs ?? d.warmupMs,
    connections,
    threads: cli.threads ?? defaultThreads(cores),
    ...(rate !== undefined && { rate }),
    generator,
    workers: cli.workers,
    upstreamWorkers: cli.upstreamWorkers,
    pin: cli.pin,
    timeoutMs: 10_000,
  };
  return { settings, notes };
}

/** A generous upper bound of a scenario's running time, for the harness's watchdog. */
export function budgetMs(s: Settings, contenders: number): number {
  // wrk rounds its durations up to whole seconds.
  const ceil = (ms: number): number => Math.ceil(ms / 1000) * 1000;
  const perRun = ceil(s.warmupMs) + ceil(s.durationMs) + 2000;
  const startup = contenders * 20_000;
  return s.rounds * contenders * perRun + startup + 30_000;
}
