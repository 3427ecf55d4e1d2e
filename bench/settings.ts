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

/** How an instructions scenario runs: bounded batches, each proxy alone under callgrind. */
export interface InstructionSettings {
  connections: number;
  /** Requests each connection sends in a batch, one after another. */
  requestsPerConnection: number;
  /**
   * Unmeasured batches first: pools filled, the JIT of the node-based proxies warm. With two,
   * Jetway's first measured batch still counted 7% more than the next ones (V8 compiling hot
   * code on its background threads, which count too); with three, the batches agreed within
   * 0.1%.
   */
  warmupBatches: number;
  /** Measured batches; the figure is their median. */
  batches: number;
  /** Always 1: valgrind follows no fork, and the same count for every proxy. */
  workers: number;
  upstreamWorkers: number;
  /** A batch with responses missing by then is cut and its contender stopped. */
  batchTimeoutMs: number;
  /** How long a contender may take to start under valgrind. */
  readyTimeoutMs: number;
  /** Keep the dumps (and configs and logs) after a run that went well too. */
  keepDumps: boolean;
}

/**
 * Time a batch may take per request under callgrind, on top of BATCH_SLACK_MS. Measured here
 * with counting on (16 connections, 2 cores): about 1.3 ms per request for Jetway and up to
 * 5.5 ms for the Node.js proxies, so a batch that takes three times the slowest has hung.
 */
const BATCH_MS_PER_REQUEST = 15;
const BATCH_SLACK_MS = 30_000;

export function resolveInstructionSettings(
  scenario: Scenario,
  cli: CliOptions,
): { settings: InstructionSettings; notes: string[] } {
  const notes: string[] = [];
  if (cli.workers !== 1) notes.push(`--workers ${cli.workers} ignored: one process under valgrind`);
  const d = scenario.defaults;
  let connections = cli.connections ?? d.connections;
  if (connections > MAX_MANY_CONNECTIONS) {
    notes.push(`connections capped at ${MAX_MANY_CONNECTIONS} (asked: ${connections})`);
    connections = MAX_MANY_CONNECTIONS;
  }
  const requestsPerConnection = cli.batch ?? d.batch ?? 200;
  const requests = connections * requestsPerConnection;
  const settings: InstructionSettings = {
    connections,
    requestsPerConnection,
    warmupBatches: cli.warmupBatches ?? d.warmupBatches ?? 3,
    batches: cli.rounds ?? d.rounds,
    workers: 1,
    upstreamWorkers: cli.upstreamWorkers,
    batchTimeoutMs: BATCH_SLACK_MS + requests * BATCH_MS_PER_REQUEST,
    readyTimeoutMs: 60_000,
    keepDumps: cli.keepDumps,
  };
  return { settings, notes };
}

/** A generous upper bound of an instructions scenario's running time: every bound, summed. */
export function instructionBudgetMs(s: InstructionSettings, contenders: number): number {
  const perContender = s.readyTimeoutMs + (s.warmupBatches + s.batches) * s.batchTimeoutMs;
  // Each contender's stop is bounded too (SIGKILL after 5 s), as is the upstream's start.
  return contenders * (perContender + 10_000) + 30_000;
}

/** A generous upper bound of a scenario's running time, for the harness's watchdog. */
export function budgetMs(s: Settings, contenders: number): number {
  // wrk rounds its durations up to whole seconds.
  const ceil = (ms: number): number => Math.ceil(ms / 1000) * 1000;
  const perRun = ceil(s.warmupMs) + ceil(s.durationMs) + 2000;
  const startup = contenders * 20_000;
  return s.rounds * contenders * perRun + startup + 30_000;
}
