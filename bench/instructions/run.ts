// Runs an instructions scenario: the upstream natively, then each contender in turn under
// callgrind, warmed up by unmeasured batches and counted over each measured one. A count
// hardly depends on what else the machine runs, so contenders need no interleaving: they go
// one at a time, one valgrind'd process (and its memory) on the machine at once. Everything
// started is stopped by its own handle, whatever happened.
// TODO(bench): one start per contender per run. A Node.js proxy can settle in a different V8
// state from one start to the next (fastify-http-proxy: about 245,000 or 325,000); a median
// over several starts would show that rather than leave it to the next run.
// TODO(bench): GET /small through a plain route only; the rate-limit and consistent-hash
// routes would take an instructions scenario each, as the runner already passes the route.
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ContenderName } from '../cli.js';
import { CONTENDER_IMPLS } from '../contenders/index.js';
import type { ContenderInput, RunningContender } from '../contenders/types.js';
import { runBatch, type BatchResult } from '../load/bounded.js';
import { freePort, keepScratch, removeScratch, scratchDir } from '../process.js';
import type { Scenario } from '../scenarios.js';
import type { InstructionSettings } from '../settings.js';
import { median, perRequest, ratio, spread } from '../stats.js';
import { tools } from '../tools.js';
import { int } from '../report/format.js';
import { SMALL_BODY, startUpstream, type Upstream } from '../upstream/nginx-upstream.js';
import { CallgrindControl, callgrindPrefix } from './callgrind.js';

/** One measured batch of one contender. */
export interface BatchCount {
  batch: number;
  /** Responses in the batch: the divisor. */
  requests: number;
  /** Instructions the contender's process executed over the batch, all threads. */
  instructions: number;
  perRequest: number;
  /** Wall time of the batch under callgrind: what measuring cost, not a figure. */
  durationMs: number;
}

export interface InstructionsContender {
  name: ContenderName;
  /** Why it did not run here (not installed, nothing to count). */
  skipped?: string;
  /** Why it ran and gave no figure, or lost a batch. */
  failed?: string;
  batches: BatchCount[];
  /** Median instructions per request over the batches. */
  median: number | null;
  /** (largest − smallest) / median of the batches. */
  spread: number | null;
  vsNginx: number | null;
}

export interface InstructionsOutcome {
  name: string;
  description: string;
  /** Why the whole scenario did not run (valgrind missing). */
  skipped?: string;
  settings: InstructionSettings;
  /** valgrind's version, e.g. "valgrind-3.19.0". */
  valgrind: string;
  notes: string[];
  contenders: InstructionsContender[];
}

type Say = (line: string) => void;

/** Why this machine cannot count instructions, or null when it can. */
export function instructionsUnavailable(): string | null {
  if (!tools().valgrind) return 'valgrind is not installed (apt-get install valgrind)';
  if (!tools().callgrindControl) return "callgrind_control is not installed (valgrind's package)";
  if (!tools().nginx) return 'nginx is not installed; it is the upstream';
  return null;
}

/**
 * Runs `scenario` against `contenders`. Throws only when its upstream cannot start; each
 * contender's failure becomes its `failed` line.
 */
export async function runInstructions(
  scenario: Scenario,
  settings: InstructionSettings,
  contenders: readonly ContenderName[],
  notes: string[],
  say: Say,
): Promise<InstructionsOutcome> {
  const base = { name: scenario.name, description: scenario.description, settings, notes };
  const valgrind = tools().valgrind?.version ?? 'valgrind';
  const outcomes = contenders.map((name): InstructionsContender => ({
    name,
    batches: [],
    median: null,
    spread: null,
    vsNginx: null,
  }));
  const why = instructionsUnavailable();
  if (why !== null) return { ...base, skipped: why, valgrind, contenders: outcomes };

  const run = new InstructionsRun(scenario, settings, say);
  await run.run(outcomes);
  summarizeInstructions(outcomes);
  // A contender without a figure says why in its row; a note would say it again.
  const inRows = outcomes.filter((o) => o.median === null).map((o) => `${o.name}: ${o.failed}`);
  const more = run.notes.filter((n) => !inRows.includes(n));
  return { ...base, notes: [...notes, ...more], valgrind, contenders: outcomes };
}

/** Medians and spreads over each contender's batches, then each median against nginx's. */
export function summarizeInstructions(outcomes: InstructionsContender[]): void {
  for (const o of outcomes) {
    const figures = o.batches.map((b) => b.perRequest);
    o.median = figures.length > 0 ? median(figures) : null;
    o.spread = spread(figures);
  }
  const nginx = outcomes.find((o) => o.name === 'nginx')?.median;
  for (const o of outcomes) o.vsNginx = ratio(o.median, nginx);
}

/** A batch that did not give every response as expected, for the line that says so. */
export function batchProblem(r: BatchResult, expected: number): string | null {
  const kinds = Object.entries(r.errors).map(([kind, n]) => `${n} ${kind}`);
  if (kinds.length === 0 && r.responses === expected) return null;
  const got = `${r.responses} of ${expected} responses`;
  return kinds.length === 0 ? got : `${got}, errors: ${kinds.join(', ')}`;
}

class BatchFailure extends Error {
  readonly code = 'BENCH_BATCH_FAILED';
}

/** The state of one instructions scenario while it runs: its temp dir, its upstream. */
class InstructionsRun {
  readonly notes: string[] = [];
  private readonly tmp: string;
  private keepLogs: boolean;

  constructor(
    private readonly scenario: Scenario,
    private readonly settings: InstructionSettings,
    private readonly say: Say,
  ) {
    this.keepLogs = settings.keepDumps;
    this.tmp = scratchDir(scenario.name);
    // nginx workers run as nobody under root and must reach the prefix.
    chmodSync(this.tmp, 0o755);
  }

  async run(outcomes: InstructionsContender[]): Promise<void> {
    let upstream: Upstream | undefined;
    try {
      const nginx = tools().nginx?.path as string;
      const ports = [await freePort()];
      const workers = this.settings.upstreamWorkers;
      upstream = await startUpstream(nginx, { prefix: this.tmp, ports, workers });
      for (const outcome of outcomes) await this.contender(outcome, upstream);
    } finally {
      await upstream?.process.stop();
      if (this.keepLogs) {
        keepScratch(this.tmp);
        this.say(`  logs, configs and callgrind dumps kept in ${this.tmp}`);
      } else {
        removeScratch(this.tmp);
      }
    }
  }

  /** Starts one contender under callgrind, counts its batches and stops it. */
  private async contender(outcome: InstructionsContender, upstream: Upstream): Promise<void> {
    const impl = CONTENDER_IMPLS[outcome.name];
    // main() has said once why a contender is unavailable.
    outcome.skipped = impl.unavailable() ?? undefined;
    if (outcome.skipped !== undefined) return;
    outcome.skipped = impl.unsupported?.(this.scenario.route) ?? undefined;
    if (outcome.skipped !== undefined) {
      return this.say(`  skip ${outcome.name}: ${outcome.skipped}`);
    }

    const input = await this.input(outcome.name, upstream);
    let running: RunningContender;
    try {
      running = await impl.start(input);
    } catch (err) {
      return this.fail(outcome, `failed to start under valgrind: ${(err as Error).message}`);
    }
    try {
      if (running.pids.length !== 1) {
        outcome.skipped = 'no proxy process to count: its load goes straight to the upstream';
        return this.say(`  skip ${outcome.name}: ${outcome.skipped}`);
      }
      await this.count(outcome, running, input.dir);
    } catch (err) {
      this.fail(outcome, (err as Error).message);
    } finally {
      // After a hung batch this is what ends the contender: SIGTERM, then SIGKILL, by pid.
      await running.stop();
    }
  }

  private async input(name: ContenderName, upstream: Upstream): Promise<ContenderInput> {
    const dir = join(this.tmp, name);
    mkdirSync(join(dir, 'callgrind'), { recursive: true });
    const valgrind = tools().valgrind?.path as string;
    return {
      dir,
      port: await freePort(),
      upstreams: upstream.addresses,
      workers: this.settings.workers,
      connections: this.settings.connections,
      route: this.scenario.route,
      probePath: this.scenario.request.path,
      launcher: {
        prefix: callgrindPrefix(valgrind, join(dir, 'callgrind')),
        readyTimeoutMs: this.settings.readyTimeoutMs,
      },
    };
  }

  /** The warm-up batches, then each measured one between counting on and off, and a dump. */
  private async count(o: InstructionsContender, c: RunningContender, dir: string): Promise<void> {
    const { warmupBatches, batches } = this.settings;
    const control = new CallgrindControl(
      tools().callgrindControl?.path as string,
      join(dir, 'callgrind'),
      c.pids[0],
    );
    for (let i = 1; i <= warmupBatches; i++) {
      const problem = batchProblem(await this.batch(c), this.requests);
      if (problem !== null) throw new BatchFailure(`warm-up batch ${i}: ${problem}`);
    }

    for (let b = 1; b <= batches; b++) {
      await control.instrument(true);
      const result = await this.batch(c).finally(() => control.instrument(false));
      const instructions = await control.dump(`batch-${b}`);
      const prefix = `${this.scenario.name} ${o.name} batch ${b}/${batches}`;
      const problem = batchProblem(result, this.requests);
      if (problem !== null && result.timedOut) throw new BatchFailure(`batch ${b}: ${problem}`);
      if (problem !== null) {
        this.fail(o, `batch ${b}: ${problem}`);
        continue;
      }
      const requests = result.responses;
      const figure = perRequest(instructions, requests) as number;
      const { durationMs } = result;
      o.batches.push({ batch: b, requests, instructions, perRequest: figure, durationMs });
      const seconds = (result.durationMs / 1000).toFixed(1);
      this.say(`  ${prefix}: ${int(figure)} instructions/request (${seconds} s)`);
    }
  }

  private get requests(): number {
    return this.settings.connections * this.settings.requestsPerConnection;
  }

  private batch(c: RunningContender): Promise<BatchResult> {
    return runBatch({
      port: Number(new URL(c.origin).port),
      path: this.scenario.request.path,
      connections: this.settings.connections,
      requestsPerConnection: this.settings.requestsPerConnection,
      expect: { status: 200, body: SMALL_BODY },
      timeoutMs: this.settings.batchTimeoutMs,
    });
  }

  /** Records a failure of `o` (the first one is its line; every one is a note) and keeps logs. */
  private fail(o: InstructionsContender, why: string): void {
    o.failed ??= why;
    this.keepLogs = true;
    this.notes.push(`${o.name}: ${why}`);
    this.say(`  ${this.scenario.name} ${o.name}: ${why}`);
  }
}
