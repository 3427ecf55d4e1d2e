// Command-line options of `npm run bench`: parsed here into plain values, checked once,
// so the rest of the harness never looks at argv.
import { parseArgs } from 'node:util';

export const CONTENDERS = [
  'direct',
  'jetway',
  'jetway-pipelined',
  'jetway-undici',
  'nginx',
  'haproxy',
  'http-proxy',
  'fast-gateway',
  'fastify-http-proxy',
] as const;
export type ContenderName = (typeof CONTENDERS)[number];
/**
 * Run when --contenders is not given. jetway-undici (Jetway with `pool.client: undici`) is the
 * comparison behind the default client; it runs when asked for.
 */
export const DEFAULT_CONTENDERS: readonly ContenderName[] = CONTENDERS.filter(
  (c) => c !== 'jetway-undici',
);
export const GENERATORS = ['undici', 'wrk'] as const;
export type GeneratorName = (typeof GENERATORS)[number];

/** What the user asked for; undefined means "the scenario's default". */
export interface CliOptions {
  scenarios: string[];
  rounds?: number;
  durationMs?: number;
  warmupMs?: number;
  connections?: number;
  threads?: number;
  rate?: number;
  /** Requests per connection in each batch of the instructions scenarios. */
  batch?: number;
  /** Unmeasured batches before the measured ones in the instructions scenarios. */
  warmupBatches?: number;
  generator?: GeneratorName;
  contenders: ContenderName[];
  workers: number;
  upstreamWorkers: number;
  pin: boolean;
  outDir?: string;
  /** Keep the instructions scenarios' callgrind dumps instead of removing them. */
  keepDumps: boolean;
  list: boolean;
  help: boolean;
}

export class CliError extends Error {
  readonly code = 'BENCH_BAD_ARGUMENT';
}

export const USAGE = `usage: npm run bench -- [SCENARIO...] [options]

  SCENARIO           one or more scenario names (default: every default scenario);
                     --list shows them; "smoke" is the few-second CI run
  --rounds N         rounds per scenario, contenders interleaved in each (3);
                     instructions: measured batches (3)
  --duration T       measured time per contender per round: 5s, 500ms, or seconds (5s)
  --warmup T         unmeasured load before each measured run (1s)
  --connections N    downstream connections (64; scenarios may set their own)
  --threads N        load-generator threads (undici worker threads or wrk -t) (cores / 2)
  --rate N           open loop: N requests/s in total instead of a closed loop (undici only)
  --batch N          instructions: requests per connection in each batch (200)
  --warmup-batches N instructions: unmeasured batches before the measured ones (3)
  --generator G      undici or wrk (wrk when installed)
  --contenders LIST  comma-separated subset of direct,jetway,jetway-pipelined,jetway-undici,
                     nginx,haproxy,http-proxy,fast-gateway,fastify-http-proxy
                     (all but jetway-undici)
  --workers N        worker processes/threads of every proxy (1)
  --upstream-workers N  nginx worker processes of the upstream (1)
  --pin              proxy on CPU 0, load generator on CPU 1 (needs taskset, 2+ CPUs)
  --out DIR          where the JSON and HTML go (bench/results)
  --keep-dumps       instructions: keep the callgrind dumps (for callgrind_annotate)
  --list             print the scenarios and exit`;

/** Parses argv (without node and the script); throws CliError on anything it cannot use. */
export function parseCli(argv: string[]): CliOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      rate: { type: 'string' },
      batch: { type: 'string' },
      'warmup-batches': { type: 'string' },
      generator: { type: 'string' },
      contenders: { type: 'string' },
      workers: { type: 'string' },
      'upstream-workers': { type: 'string' },
      pin: { type: 'boolean', default: false },
      out: { type: 'string' },
      'keep-dumps': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

  return {
    scenarios: positionals,
    rounds: optional(values.rounds, (v) => int('--rounds', v, 1, 50)),
    durationMs: optional(values.duration, (v) => millis('--duration', v)),
    warmupMs: optional(values.warmup, (v) => millis('--warmup', v, 0)),
    connections: optional(values.connections, (v) => int('--connections', v, 1, 10_000)),
    threads: optional(values.threads, (v) => int('--threads', v, 1, 64)),
    rate: optional(values.rate, (v) => int('--rate', v, 1, 10_000_000)),
    batch: optional(values.batch, (v) => int('--batch', v, 1, 1_000_000)),
    warmupBatches: optional(values['warmup-batches'], (v) => int('--warmup-batches', v, 0, 100)),
    generator: optional(values.generator, (v) => oneOf('--generator', v, GENERATORS)),
    contenders:
      values.contenders === undefined ? [...DEFAULT_CONTENDERS] : contenderList(values.contenders),
    workers: values.workers === undefined ? 1 : int('--workers', values.workers, 1, 64),
    upstreamWorkers: int('--upstream-workers', values['upstream-workers'] ?? '1', 1, 64),
    pin: values.pin === true,
    outDir: values.out,
    keepDumps: values['keep-dumps'] === true,
    list: values.list === true,
    help: values.help === true,
  };
}

/** Reads `5s`, `500ms`, `1m` or a bare number of seconds into milliseconds. */
export function millis(flag: string, text: string, min = 1): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new CliError(`${flag}: not a duration "${text}" (accepted: 5s, 500ms, 1m, 5)`);
  const scale = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  const ms = Math.round(Number(m[1]) * scale);
  if (ms < min || ms > 3_600_000) {
    throw new CliError(`${flag}: ${text} is out of range (accepted: ${min}ms to 1h)`);
  }
  return ms;
}

/** Reads a whole number written in decimal digits (not `0x10`, `1e1` or `2.0`). */
function int(flag: string, text: string, min: number, max: number): number {
  const n = /^-?\d{1,9}$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliError(`${flag}: not an integer from ${min} to ${max}: "${text}"`);
  }
  return n;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new CliError(`${flag}: unknown "${text}" (accepted: ${allowed.join(', ')})`);
}

function contenderList(text: string): ContenderName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new CliError('--contenders: empty list');
  return [...new Set(names.map((n) => oneOf('--contenders', n, CONTENDERS)))];
}

function optional<T>(text: string | undefined, read: (v: string) => T): T | undefined {
  return text === undefined ? undefined : read(text);
}
