// Runs one load scenario: starts its upstream and every contender, then runs the rounds with
// the contenders interleaved (rotated each round) so drift of the machine hits all alike, and
// stops everything it started, whatever happened.
import { chmodSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ContenderName } from './cli.js';
import { CONTENDER_IMPLS } from './contenders/index.js';
import type { ContenderInput, RunningContender } from './contenders/types.js';
import { undiciGenerator } from './load/undici.js';
import { wrkGenerator } from './load/wrk.js';
import type { LoadGenerator, LoadRun, LoadSpec } from './load/types.js';
import { CLK_TCK, TreeSampler, type TreeReading } from './proc.js';
import { freePort, keepScratch, removeScratch, scratchDir } from './process.js';
import type { Scenario } from './scenarios.js';
import type { Settings } from './settings.js';
import {
  cpuUsPerRequest,
  generatorLateNote,
  ratio,
  roundOrder,
  summarize,
  throughput,
  type RoundResult,
  type Summary,
} from './stats.js';
import { tools } from './tools.js';
import { startUploadUpstream, startUpstream, type Upstream } from './upstream/nginx-upstream.js';

export interface ContenderOutcome {
  name: ContenderName;
  /** Why it did not run, when it did not. */
  skipped?: string;
  rounds: RoundResult[];
  summary?: Summary;
  /** Median throughput over direct's and over nginx's. */
  vsDirect: number | null;
  vsNginx: number | null;
}

export interface ScenarioOutcome {
  name: string;
  description: string;
  settings: Settings;
  /** The load generator and its version, e.g. "wrk 4.1.0". */
  generatorLabel: string;
  notes: string[];
  contenders: ContenderOutcome[];
}

/** CPUs of a pinned run: the proxy alone on one, the load generator on the other. */
export const PROXY_CPUS = '0';
export const GENERATOR_CPUS = '1';

const GENERATORS: Record<Settings['generator'], LoadGenerator> = {
  undici: undiciGenerator,
  wrk: wrkGenerator,
};

type Say = (line: string) => void;

/**
 * Runs `scenario` against `contenders`. Throws only when its upstream cannot start; a
 * contender that fails to start, or a run that fails, becomes a line in the outcome.
 */
export async function runScenario(
  scenario: Scenario,
  settings: Settings,
  contenders: readonly ContenderName[],
  notes: string[],
  say: Say,
): Promise<ScenarioOutcome> {
  const run = new ScenarioRun(scenario, settings, contenders, say);
  await run.run();

  const outcomes = run.outcomes;
  compare(outcomes);
  const late = generatorLateNote(outcomes.flatMap((o) => o.rounds));
  return {
    name: scenario.name,
    description: scenario.description,
    settings,
    generatorLabel: generatorLabel(settings.generator),
    notes: [...notes, ...run.notes, ...(late === null ? [] : [late])],
    contenders: outcomes,
  };
}

/** The generator's name and version, for the line that says what produced a table. */
export function generatorLabel(name: Settings['generator']): string {
  if (name === 'wrk') return tools().wrk?.version.replace(/ Copyright.*$/, '') ?? 'wrk';
  const pkg = createRequire(import.meta.url)('undici/package.json') as { version: string };
  return `undici ${pkg.version}`;
}

/** The state of one scenario while it runs: its temp dir, its processes, its results. */
class ScenarioRun {
  readonly outcomes: ContenderOutcome[];
  /** What went wrong on the way, for the notes under the table. */
  readonly notes: string[] = [];
  private readonly tmp: string;
  private readonly running = new Map<ContenderName, RunningContender>();
  private upstream: Upstream | undefined;
  private keepLogs = true;

  constructor(
    private readonly scenario: Scenario,
    private readonly settings: Settings,
    contenders: readonly ContenderName[],
    private readonly say: Say,
  ) {
    this.outcomes = contenders.map((name) => ({ name, rounds: [], vsDirect: null, vsNginx: null }));
    this.tmp = scratchDir(scenario.name);
    // nginx workers run as nobody under root and must reach the prefix.
    chmodSync(this.tmp, 0o755);
  }

  async run(): Promise<void> {
    try {
      this.upstream = await this.startUpstream();
      const allStarted = await this.startContenders(this.upstream);
      this.keepLogs = !allStarted;
      await this.runRounds(this.upstream);
    } finally {
      await Promise.all([...this.running.values()].map((r) => r.stop()));
      await this.upstream?.process.stop();
      this.cleanUp();
    }
  }

  /** Keeps the temp dir when something failed: its configs and logs say what. */
  private cleanUp(): void {
    if (!this.keepLogs) return removeScratch(this.tmp);
    keepScratch(this.tmp);
    this.say(`  logs and configs kept in ${this.tmp}`);
  }

  private async startUpstream(): Promise<Upstream> {
    const count = this.scenario.upstreams;
    const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
    if (this.scenario.upstreamKind === 'node') return startUploadUpstream(this.tmp, ports);
    const nginx = tools().nginx;
    if (!nginx) throw new Error('the upstream is nginx, and nginx is not installed');
    const input = { prefix: this.tmp, ports, workers: this.settings.upstreamWorkers };
    return startUpstream(nginx.path, input);
  }

  /** Starts every available contender that serves this route; false when one failed to. */
  private async startContenders(upstream: Upstream): Promise<boolean> {
    let all = true;
    for (const outcome of this.outcomes) {
      const impl = CONTENDER_IMPLS[outcome.name];
      // main() has said once why a contender is unavailable; a route it cannot serve is said
      // here, since it differs by scenario.
      outcome.skipped = impl.unavailable() ?? undefined;
      if (outcome.skipped !== undefined) continue;
      outcome.skipped = impl.unsupported?.(this.scenario.route) ?? undefined;
      if (outcome.skipped !== undefined) {
        this.say(`  skip ${outcome.name}: ${outcome.skipped}`);
        continue;
      }
      try {
        this.running.set(outcome.name, await impl.start(await this.input(outcome.name, upstream)));
      } catch (err) {
        all = false;
        outcome.skipped = `failed to start: ${(err as Error).message}`;
        this.say(`  skip ${outcome.name}: ${outcome.skipped}`);
      }
    }
    return all;
  }

  private async input(name: ContenderName, upstream: Upstream): Promise<ContenderInput> {
    const dir = join(this.tmp, name);
    mkdirSync(dir, { recursive: true });
    return {
      dir,
      port: await freePort(),
      upstreams: upstream.addresses,
      workers: this.settings.workers,
      connections: this.settings.connections,
      route: this.scenario.route,
      probePath: this.scenario.request.path,
      ...(this.settings.pin && { cpus: PROXY_CPUS }),
    };
  }

  private async runRounds(upstream: Upstream): Promise<void> {
    const { rounds } = this.settings;
    const order = this.outcomes.filter((o) => this.running.has(o.name));
    for (let round = 1; round <= rounds; round++) {
      for (const outcome of roundOrder(order, round - 1)) {
        const contender = this.running.get(outcome.name) as RunningContender;
        const prefix = `${this.scenario.name} round ${round}/${rounds} ${outcome.name}`;
        try {
          const result = await this.measure(contender, upstream, round);
          outcome.rounds.push(result);
          this.say(`  ${prefix}: ${progress(result)}`);
        } catch (err) {
          // One failed run costs its round, not the scenario; the note and logs say why.
          this.keepLogs = true;
          this.notes.push(`${prefix} failed: ${(err as Error).message}`);
          this.say(`  ${prefix} failed: ${(err as Error).message}`);
        }
      }
    }
  }

  /** One measured run of one contender, its CPU and memory sampled over the window alone. */
  private async measure(
    contender: RunningContender,
    upstream: Upstream,
    round: number,
  ): Promise<RoundResult> {
    const window = new WindowSampler(contender.pids, upstream.process.pid);
    try {
      const spec = loadSpec(this.scenario, this.settings, contender);
      const run = await GENERATORS[this.settings.generator].run(spec, window);
      window.measureEnd();
      return { round, ...run, ...window.costs(run) };
    } finally {
      window.measureEnd();
    }
  }
}

/**
 * CPU and memory of the contender and of the upstream over one measured window. The
 * generator calls measureStart and measureEnd; measureEnd may come twice (after a failure).
 */
class WindowSampler {
  private readonly proxy: TreeSampler | null;
  private readonly upstream: TreeSampler;
  private sampling = false;
  private proxyReading: TreeReading | null = null;
  private upstreamReading: TreeReading | null = null;

  constructor(proxyPids: number[], upstreamPid: number) {
    this.proxy = proxyPids.length > 0 ? new TreeSampler(proxyPids) : null;
    this.upstream = new TreeSampler([upstreamPid]);
  }

  measureStart(): void {
    this.proxy?.start();
    this.upstream.start();
    this.sampling = true;
  }

  measureEnd(): void {
    if (!this.sampling) return;
    this.sampling = false;
    this.proxyReading = this.proxy?.stop() ?? null;
    this.upstreamReading = this.upstream.stop();
  }

  /** CPU per request of both sides and the proxy's largest RSS; null where not measured. */
  costs(
    run: LoadRun,
  ): Pick<RoundResult, 'cpuUsPerRequest' | 'upstreamCpuUsPerRequest' | 'rssMaxKb'> {
    const perRequest = (r: TreeReading | null): number | null =>
      r === null ? null : cpuUsPerRequest(r.ticks, CLK_TCK, run.requests);
    return {
      cpuUsPerRequest: perRequest(this.proxyReading),
      upstreamCpuUsPerRequest: perRequest(this.upstreamReading),
      rssMaxKb: this.proxyReading?.rssKb ?? null,
    };
  }
}

function progress(r: RoundResult): string {
  const rps = Math.round(throughput(r.requests, r.durationMs)).toLocaleString('en-US');
  const cpu = r.cpuUsPerRequest === null ? '' : `, ${r.cpuUsPerRequest.toFixed(1)} µs CPU/req`;
  const kinds = Object.entries({ ...r.errorKinds, 'status >= 400': r.badStatus })
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  const errors = kinds.length > 0 ? `, errors: ${kinds.join(', ')}` : '';
  const share = r.generatorLate?.share ?? 0;
  const late = share > 0.01 ? `, generator late for ${(share * 100).toFixed(0)}%` : '';
  return `${rps} req/s${cpu}${errors}${late}`;
}

function loadSpec(scenario: Scenario, settings: Settings, contender: RunningContender): LoadSpec {
  return {
    origin: contender.origin,
    request: scenario.request,
    connections: settings.connections,
    threads: settings.threads,
    warmupMs: settings.warmupMs,
    durationMs: settings.durationMs,
    ...(settings.rate !== undefined && { rate: settings.rate }),
    timeoutMs: settings.timeoutMs,
    ...(settings.pin && { cpus: GENERATOR_CPUS }),
  };
}

/** Medians over rounds, then each contender's throughput against direct and nginx. */
function compare(outcomes: ContenderOutcome[]): void {
  for (const o of outcomes) if (o.rounds.length > 0) o.summary = summarize(o.rounds);
  const rpsOf = (name: ContenderName): number | null =>
    outcomes.find((o) => o.name === name)?.summary?.rps ?? null;
  for (const o of outcomes) {
    o.vsDirect = ratio(o.summary?.rps, rpsOf('direct'));
    o.vsNginx = ratio(o.summary?.rps, rpsOf('nginx'));
  }
}
