// The terminal table: one block per scenario, one row per contender, medians over rounds (of
// batches, for the instructions scenarios).
import type { InstructionsOutcome } from '../instructions/run.js';
import type { ScenarioOutcome } from '../runner.js';
import type { Settings } from '../settings.js';
import { duration, fixed, int, ms } from './format.js';

export const COLUMNS = [
  'contender',
  'req/s',
  '×direct',
  '×nginx',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'p99.9 ms',
  'max ms',
  'errors',
  'CPU µs/req',
  'RSS MB',
] as const;

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The line under a scenario's title that says how its numbers were produced. */
export function describeRun(s: Settings, generatorLabel: string): string {
  const loop = s.rate === undefined ? 'closed loop' : `open loop at ${int(s.rate)} req/s`;
  const pin = s.pin ? 'proxy pinned to CPU 0, generator to CPU 1' : 'not pinned';
  const counts = [
    plural(s.connections, 'connection'),
    plural(s.threads, 'generator thread'),
    plural(s.workers, 'proxy worker'),
  ];
  const rounds = `${plural(s.rounds, 'round')} × ${duration(s.durationMs)} (medians)`;
  return `${generatorLabel}, ${loop}, ${counts.join(', ')}, ${rounds}, ${pin}`;
}

/** The rows of a scenario as text cells; a skipped contender gets one cell with the reason. */
export function rows(outcome: ScenarioOutcome): string[][] {
  return outcome.contenders.map((c) => {
    const s = c.summary;
    if (!s) return [c.name, `skipped: ${c.skipped ?? 'no completed round'}`];
    return [
      c.name,
      int(s.rps),
      fixed(c.vsDirect, 2),
      fixed(c.vsNginx, 2),
      ms(s.p50),
      ms(s.p90),
      ms(s.p99),
      ms(s.p999),
      ms(s.max),
      int(s.errors),
      fixed(s.cpuUsPerRequest, 1),
      fixed(s.rssMaxMb, 1),
    ];
  });
}

/** Lays cells out in columns: the first left-aligned, the rest right-aligned. */
export function layout(header: readonly string[], body: readonly string[][]): string {
  const full = body.filter((r) => r.length === header.length);
  const widths = header.map((h, i) => Math.max(h.length, ...full.map((r) => r[i].length)));
  // Names of skipped rows count too, so every reason starts in the same column.
  widths[0] = Math.max(widths[0], ...body.map((r) => r[0].length));
  const line = (r: readonly string[]): string =>
    r.length < header.length
      ? `${r[0].padEnd(widths[0])}  ${r.slice(1).join(' ')}`
      : r
          .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
          .join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

/** The block printed for one scenario. */
export function formatScenario(outcome: ScenarioOutcome): string {
  const lines = [
    `${outcome.name}: ${outcome.description}`,
    `  ${describeRun(outcome.settings, outcome.generatorLabel)}`,
    ...outcome.notes.map((n) => `  note: ${n}`),
    layout(COLUMNS, rows(outcome)),
  ];
  return lines.join('\n');
}

export const INSTRUCTION_COLUMNS = [
  'contender',
  'instr/req',
  '×nginx',
  'spread %',
  'each batch (instr/req)',
] as const;

/** The lines under an instructions scenario's title: what was counted, and over what. */
export function describeInstructions(o: InstructionsOutcome): [string, string] {
  const s = o.settings;
  const batches = (n: number): string => `${n} ${n === 1 ? 'batch' : 'batches'}`;
  const requests = int(s.connections * s.requestsPerConnection);
  const shape = `${plural(s.connections, 'connection')} × ${int(s.requestsPerConnection)}`;
  return [
    `callgrind (${o.valgrind}): user-space instructions of the proxy's process, all threads`,
    `${requests} requests per batch (${shape}), ${batches(s.warmupBatches)} of warm-up, ` +
      `median of ${batches(s.batches)}, ${plural(s.workers, 'proxy worker')}`,
  ];
}

/** The rows of an instructions scenario; a contender without a figure says why in one cell. */
export function instructionRows(o: InstructionsOutcome): string[][] {
  return o.contenders.map((c) => {
    if (c.median === null) {
      const why = c.skipped ? `skipped: ${c.skipped}` : `failed: ${c.failed ?? 'no batch'}`;
      return [c.name, why];
    }
    return [
      c.name,
      int(c.median),
      fixed(c.vsNginx, 2),
      fixed(c.spread === null ? null : c.spread * 100, 1),
      c.batches.map((b) => int(b.perRequest)).join(' '),
    ];
  });
}

/** The block printed for one instructions scenario. */
export function formatInstructions(o: InstructionsOutcome): string {
  const head = [`${o.name}: ${o.description}`];
  if (o.skipped) return [...head, `  skipped: ${o.skipped}`].join('\n');
  const lines = [
    ...head,
    ...describeInstructions(o).map((line) => `  ${line}`),
    ...o.notes.map((n) => `  note: ${n}`),
    layout(INSTRUCTION_COLUMNS, instructionRows(o)),
  ];
  return lines.join('\n');
}
