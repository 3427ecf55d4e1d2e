// `npm run bench`: runs the chosen scenarios against every contender that is installed, prints
// a table per scenario, and writes the JSON and HTML reports under bench/results/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { CliError, parseCli, USAGE, type CliOptions } from './cli.js';
import { CONTENDER_IMPLS } from './contenders/index.js';
import { runInstructions } from './instructions/run.js';
import { runMicroScenario } from './micro-run.js';
import { RESULTS_DIR } from './paths.js';
import { killAll, stopAll } from './process.js';
import { microRows, renderHtml } from './report/html.js';
import type { MicroOutcome, Report } from './report/report.js';
import { formatInstructions, formatScenario } from './report/table.js';
import { runScenario, generatorLabel, GENERATOR_CPUS } from './runner.js';
import { pickScenarios, SCENARIOS, type Scenario } from './scenarios.js';
import {
  budgetMs,
  instructionBudgetMs,
  resolveInstructionSettings,
  resolveSettings,
} from './settings.js';
import { tools } from './tools.js';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

class SetupError extends Error {
  readonly code = 'BENCH_SETUP';
}

/** Refuses, before anything starts, what cannot work on this machine. */
function checkMachine(cli: CliOptions, scenarios: Scenario[]): void {
  if (!existsSync('/proc/self/stat')) throw new SetupError('the bench reads /proc: Linux only');
  if (cli.generator === 'wrk' && !tools().wrk)
    throw new SetupError('--generator=wrk: wrk is not installed');
  if (scenarios.some((s) => s.kind === 'load') && !tools().nginx) {
    throw new SetupError('nginx is not installed; it is the upstream of every load scenario');
  }
  if (cli.pin && (!tools().taskset || cpus().length < 2)) {
    throw new SetupError('--pin needs taskset and at least 2 CPUs');
  }
}

/** Pins this process (the undici generator's threads, present and future) to the generator CPU. */
function pinSelf(): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', GENERATOR_CPUS, String(process.pid)], {
    timeout: 3000,
  });
  if (r.status !== 0) throw new SetupError(`taskset failed: ${r.stderr?.toString() ?? r.error}`);
}

function skippedContenders(cli: CliOptions): Record<string, string> {
  const skipped: Record<string, string> = {};
  for (const name of cli.contenders) {
    const why = CONTENDER_IMPLS[name].unavailable();
    if (why !== null) skipped[name] = why;
  }
  return skipped;
}

function newReport(argv: string[], skipped: Record<string, string>): Report {
  const t = tools();
  const toolList: Record<string, string> = {};
  for (const [name, tool] of Object.entries(t)) if (tool) toolList[name] = tool.version;
  return {
    startedAt: new Date().toISOString(),
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    machine: {
      cpus: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryMb: Math.round(totalmem() / 2 ** 20),
      kernel: release(),
      node: process.version,
    },
    tools: toolList,
    skipped,
    scenarios: [],
  };
}

function writeReport(report: Report, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = join(outDir, `bench-${stamp}.json`);
  const html = join(outDir, `bench-${stamp}.html`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(html, renderHtml(report));
  say(`\nwrote ${json}\nwrote ${html}`);
}

/** Columns aligned: the first to the left, the others to the right. */
function printRows({ header, body }: { header: string[]; body: string[][] }): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  say(line(header));
  for (const row of body) say(line(row));
}

function printMicro(m: MicroOutcome): void {
  say('micro: tinybench micro-benchmarks of the hot path');
  for (const note of m.notes ?? []) say(`  ${note}`);
  if (m.status !== 'ran') say(`  ${m.status === 'missing' ? 'skipped' : 'failed'}: ${m.message}`);
  else if (microRows(m.result) !== null) printRows(microRows(m.result)!);
  else say(typeof m.result === 'string' ? m.result : JSON.stringify(m.result, null, 2));
}

/**
 * Runs an instructions scenario into the report; false when a contender that ran gave no
 * figure or lost a batch, so a smoke run catches a measurement that stopped working.
 */
async function runInstructionsScenario(
  cli: CliOptions,
  scenario: Scenario,
  report: Report,
): Promise<boolean> {
  const { settings, notes } = resolveInstructionSettings(scenario, cli);
  say(`${scenario.name}: running (callgrind; each contender alone, one after another)`);
  try {
    const outcome = await runInstructions(scenario, settings, cli.contenders, notes, say);
    (report.instructions ??= []).push(outcome);
    say(`\n${formatInstructions(outcome)}`);
    return outcome.contenders.every((c) => c.failed === undefined);
  } catch (err) {
    say(`${scenario.name}: failed: ${(err as Error).message}`);
    return false;
  }
}

/** Runs every scenario in turn; one that fails is reported and the others still run. */
async function runAll(cli: CliOptions, scenarios: Scenario[], report: Report): Promise<boolean> {
  let ok = true;
  for (const scenario of scenarios) {
    say('');
    if (scenario.kind === 'micro') {
      report.micro = await runMicroScenario(cli.durationMs ?? 1000);
      printMicro(report.micro);
      ok &&= report.micro.status !== 'failed';
      continue;
    }
    if (scenario.kind === 'instructions') {
      ok = (await runInstructionsScenario(cli, scenario, report)) && ok;
      continue;
    }
    const { settings, notes } = resolveSettings(scenario, cli, tools().wrk !== null, cpus().length);
    say(`${scenario.name}: running (${generatorLabel(settings.generator)})`);
    try {
      const outcome = await runScenario(scenario, settings, cli.contenders, notes, say);
      report.scenarios.push(outcome);
      say(`\n${formatScenario(outcome)}`);
    } catch (err) {
      ok = false;
      say(`${scenario.name}: failed: ${(err as Error).message}`);
    }
  }
  return ok;
}

/** Stops the run when it overruns every scenario's own bound: nothing runs unbounded. */
function watchdog(cli: CliOptions, scenarios: Scenario[]): NodeJS.Timeout {
  const contenders = cli.contenders.length;
  const total = scenarios.reduce((ms, s) => {
    if (s.kind === 'micro') return ms + 300_000;
    if (s.kind === 'instructions') {
      return ms + instructionBudgetMs(resolveInstructionSettings(s, cli).settings, contenders);
    }
    return (
      ms +
      budgetMs(resolveSettings(s, cli, tools().wrk !== null, cpus().length).settings, contenders)
    );
  }, 0);
  const timer = setTimeout(() => {
    process.stderr.write(`bench: overran its ${Math.round(total / 1000)} s budget; stopping\n`);
    void stopAll().finally(() => process.exit(3));
  }, total);
  timer.unref();
  return timer;
}

function listScenarios(): void {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  for (const s of SCENARIOS) {
    say(`${s.name.padEnd(width)} ${s.inDefault ? ' ' : '*'} ${s.description}`);
  }
  say('(* not in the default run)');
}

async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (cli.help || cli.list) {
    if (cli.help) say(USAGE);
    else listScenarios();
    return 0;
  }
  const scenarios = pickScenarios(cli.scenarios);
  checkMachine(cli, scenarios);
  if (cli.pin) pinSelf();

  const skipped = skippedContenders(cli);
  for (const [name, why] of Object.entries(skipped)) say(`skip ${name}: ${why}`);
  const report = newReport(argv, skipped);
  const timer = watchdog(cli, scenarios);
  const ok = await runAll(cli, scenarios, report);
  clearTimeout(timer);
  writeReport(report, cli.outDir ?? RESULTS_DIR);
  return ok ? 0 : 1;
}

// Whatever ends the harness, the processes it started end with it.
process.once('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`bench: ${sig}; stopping everything started\n`);
    void stopAll().finally(() => process.exit(130));
  });
}

/** Ends the harness on an error: a line for a known one (with usage for a bad argument). */
function fail(err: unknown): void {
  const code = (err as { code?: unknown })?.code;
  const badArgument = err instanceof CliError || String(code).startsWith('ERR_PARSE_ARGS');
  const known = badArgument || String(code).startsWith('BENCH_');
  process.stderr.write(`bench: ${(err as Error)?.message ?? err}\n`);
  if (badArgument) process.stderr.write(`${USAGE}\n`);
  if (!known) process.stderr.write(`${(err as Error)?.stack}\n`);
  void stopAll().finally(() => process.exit(2));
}

main(process.argv.slice(2)).then((code) => stopAll().finally(() => process.exit(code)), fail);
