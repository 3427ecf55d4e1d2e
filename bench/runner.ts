// Runs one load scenario: starts its upstream and every contender, then runs the rounds with
// the contenders interleaved (rotated each round) so drift of the machine hits all alike, and
// stops everything it started, whatever happened.
import { chmodSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ContenderName } from './cli.js';
import { CONTENDER_IMPLS } from './contenders/index.js';
import type { RunningContender } from './contenders/types.js';
import { undiciGenerator } from './load/undici.js';
import { wrkGenerator } from './load/wrk.js';
import type { LoadGenerator, LoadSpec } from './load/types.js';
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

export async function runScenario(
  scenario: Scenario,
  settings: Settings,
  contenders: readonly ContenderName[],
  notes: string[],
  say: Say,
): Promise<ScenarioOutcome> {
  const outcomes = contenders.map((name): ContenderOutcome => ({
    name,
    rounds: [],
    vsDirect: null,
    vsNginx: null,
  }));
  const tmp = scratchDir(scenario.name);
  // nginx workers run as nobody under root and must reach the prefix.
  chmodSync(tmp, 0o755);
  const running = new Map<ContenderName, RunningContender>();
  let upstream: Upstream | undefined;
  let failed = false;
  try {
    upstream = await startScenarioUpstream(scenario, settings, tmp);
    await startContenders(scenario, settings, upstream, tmp, outcomes, running, say);
    await runRounds(scenario, settings, upstream, running, outcomes, say);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await Promise.all([...running.values()].map((r) => r.stop()));
    await upstream?.process.stop();
    failed ||= outcomes.some((o) => o.skipped?.startsWith('failed'));
    if (failed) {
      keepScratch(tmp);
      say(`  logs and configs kept in ${tmp}`);
    } else {
      removeScratch(tmp);
    }
  }

  finish(outcomes);
  const late = generatorLateNote(outcomes.flatMap((o) => o.rounds));
  if (late !== null) notes.push(late);
  return {
    name: scenario.name,
    description: scenario.description,
    settings,
    generatorLabel: generatorLabel(settings.generator),
    notes,
    contenders: outcomes,
  };
}

/** The generator's name and version, for the line that says what produced a table. */
export function generatorLabel(name: Settings['generator']): string {
  if (name === 'wrk') return tools().wrk?.version.replace(/ Copyright.*$/, '') ?? 'wrk';
  const pkg = createRequire(import.meta.url)('undici/package.json') as { version: string };
  return `undici ${pkg.version}`;
}

async function startScenarioUpstream(
  scenario: Scenario,
  settings: Settings,
  tmp: string,
): Promise<Upstream> {
  const ports = await Promise.all(Array.from({ length: scenario.upstreams }, () => freePort()));
  if (scenario.upstreamKind === 'node') return startUploadUpstream(tmp, ports);
  const nginx = tools().nginx;
  if (!nginx) throw new Error('the upstream is nginx, and nginx is not installed');
  return startUpstream(nginx.path, { prefix: tmp, ports, workers: settings.upstreamWorkers });
}

async function startContenders(
  scenario: Scenario,
  settings: Settings,
  upstream: Upstream,
  tmp: string,
  outcomes: ContenderOutcome[],
  running: Map<ContenderName, RunningContender>,
  say: Say,
): Promise<void> {
  for (const outcome of outcomes) {
    const impl = CONTENDER_IMPLS[outcome.name];
    const why = impl.unavailable();
    if (why !== null) {
      outcome.skipped = why;
      continue;
    }
    const dir = join(tmp, outcome.name);
    mkdirSync(dir, { recursive: true });
    try {
      const input = {
        dir,
        port: await freePort(),
        upstreams: upstream.addresses,
        workers: settings.workers,
        connections: settings.connections,
        route: scenario.route,
        probePath: scenario.request.path,
        ...(settings.pin && { cpus: PROXY_CPUS }),
      };
      running.set(outcome.name, await impl.start(input));
    } catch (err) {
      outcome.skipped = `failed to start: ${(err as Error).message}`;
      say(`  skip ${outcome.name}: ${outcome.skipped}`);
    }
  }
}

async function runRounds(
  scenario: Scenario,
  settings: Settings,
  upstream: Upstream,
  running: Map<ContenderName, RunningContender>,
  outcomes: ContenderOutcome[],
  say: Say,
): Promise<void> {
  const order = outcomes.filter((o) => running.has(o.name));
  for (let round = 0; round < settings.rounds; round++) {
    for (const outcome of roundOrder(order, round)) {
      const contender = running.get(outcome.name) as RunningContender;
      const result = await measure(scenario, settings, upstream, contender, round + 1);
      outcome.rounds.push(result);
      say(`  ${scenario.name} round ${round + 1}/${settings.rounds} ${progress(outcome, result)}`);
    }
  }
}

function progress({ name }: ContenderOutcome, r: RoundResult): string {
  const rps = Math.round(throughput(r.requests, r.durationMs)).toLocaleString('en-US');
  const cpu = r.cpuUsPerRequest === null ? '' : `, ${r.cpuUsPerRequest.toFixed(1)} µs CPU/req`;
  const errors = r.errors + r.badStatus > 0 ? `, ${r.errors + r.badStatus} errors` : '';
  const share = r.generatorLate?.share ?? 0;
  const late = share > 0.01 ? `, generator late for ${(share * 100).toFixed(0)}%` : '';
  return `${name}: ${rps} req/s${cpu}${errors}${late}`;
}

/** One measured run of one contender, with its CPU and memory sampled over the window. */
async function measure(
  scenario: Scenario,
  settings: Settings,
  upstream: Upstream,
  contender: RunningContender,
  round: number,
): Promise<RoundResult> {
  const proxy = contender.pids.length > 0 ? new TreeSampler(contender.pids) : null;
  const upstreamSampler = new TreeSampler([upstream.process.pid]);
  let proxyReading: TreeReading | null = null;
  let upstreamReading: TreeReading | null = null;
  let sampling = false;
  const stopSampling = (): void => {
    if (!sampling) return;
    sampling = false;
    proxyReading = proxy?.stop() ?? null;
    upstreamReading = upstreamSampler.stop();
  };
  const hooks = {
    measureStart: () => {
      proxy?.start();
      upstreamSampler.start();
      sampling = true;
    },
    measureEnd: stopSampling,
  };

  try {
    const run = await GENERATORS[settings.generator].run(
      loadSpec(scenario, settings, contender),
      hooks,
    );
    stopSampling();
    const perRequest = (r: TreeReading | null): number | null =>
      r === null ? null : cpuUsPerRequest(r.ticks, CLK_TCK, run.requests);
    return {
      round,
      ...run,
      cpuUsPerRequest: perRequest(proxyReading),
      upstreamCpuUsPerRequest: perRequest(upstreamReading),
      rssMaxKb: (proxyReading as TreeReading | null)?.rssKb ?? null,
    };
  } finally {
    stopSampling();
  }
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
function finish(outcomes: ContenderOutcome[]): void {
  for (const o of outcomes) if (o.rounds.length > 0) o.summary = summarize(o.rounds);
  const rpsOf = (name: ContenderName): number | null =>
    outcomes.find((o) => o.name === name)?.summary?.rps ?? null;
  for (const o of outcomes) {
    o.vsDirect = ratio(o.summary?.rps, rpsOf('direct'));
    o.vsNginx = ratio(o.summary?.rps, rpsOf('nginx'));
  }
}
