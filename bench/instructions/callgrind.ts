// Counting a contender's instructions with valgrind's callgrind: the command line it runs
// under, the callgrind_control requests that switch counting on and off around a batch and
// dump the count, and the dump's total. Only the contender is instrumented; the upstream and
// the load client run natively.
// TODO(bench): the kernel's instructions are not counted. Where the machine exposes hardware
// counters (this VM does not), `perf stat -e instructions:k` over the same batch, run
// natively, would add them beside these.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class CallgrindError extends Error {
  readonly code = 'BENCH_CALLGRIND';
}

/**
 * valgrind's command line up to the contender's own. Counting is off from the start, so the
 * contender starts and warms up at valgrind's uninstrumented speed (for Jetway here about a
 * tenth of its native requests/s, against a fortieth with counting on). The FIFOs that callgrind_control talks through live in `outDir` with the dumps,
 * so nothing is left in /tmp when a run is killed. valgrind must start the contender's binary
 * itself: it does not follow exec (no `env`, no `npm`), and nginx must not fork its workers.
 */
export function callgrindPrefix(valgrind: string, outDir: string): string[] {
  return [
    valgrind,
    '--tool=callgrind',
    `--callgrind-out-file=${join(outDir, 'cg.%p.out')}`,
    `--vgdb-prefix=${join(outDir, 'vgdb')}`,
    '--instr-atstart=no',
    // Code a JIT writes at run time (V8's) must be translated again when rewritten; this is
    // valgrind's default on amd64, said here because a JIT counts wrongly without it.
    '--smc-check=all-non-file',
  ];
}

/** What one request to callgrind_control asks for. */
export type ControlRequest = { instrument: boolean } | { dump: string };

/** callgrind_control's arguments for `request` to the valgrind process `pid`. */
export function controlArgs(outDir: string, pid: number, request: ControlRequest): string[] {
  const what =
    'dump' in request ? `--dump=${request.dump}` : `--instr=${onOff(request.instrument)}`;
  return [`--vgdb-prefix=${join(outDir, 'vgdb')}`, what, String(pid)];
}

const onOff = (on: boolean): string => (on ? 'on' : 'off');

/**
 * Null when callgrind_control's output says the request was done, else its complaint. It
 * exits 0 either way (3.19), so its output is the only answer: `  OK.` after the process line.
 */
export function controlFailure(stdout: string): string | null {
  if (/^\s*OK\.\s*$/m.test(stdout)) return null;
  const line = stdout.split('\n').find((l) => l.trim() !== '');
  return line?.trim() ?? 'no output';
}

/**
 * The instructions (event Ir) a callgrind dump counted: its `totals:` line, summed over the
 * threads of the process (callgrind's default, --separate-threads=no). The `summary:` line at
 * the top is written before the costs and reads 0, so only `totals:` is used.
 */
export function parseTotals(text: string): number {
  const events = /^events:\s*(.+)$/m.exec(text)?.[1].trim().split(/\s+/);
  const column = events?.indexOf('Ir') ?? -1;
  if (column < 0) throw new CallgrindError('no Ir in the dump\'s "events:" line');
  const totals = /^totals:\s*(.+)$/m.exec(text)?.[1].trim().split(/\s+/);
  if (!totals) throw new CallgrindError('the dump has no "totals:" line (cut short?)');
  const ir = Number(totals[column]);
  if (!Number.isSafeInteger(ir) || ir < 0) {
    throw new CallgrindError(`unusable totals: ${JSON.stringify(totals.join(' '))}`);
  }
  return ir;
}

/**
 * The number of the latest dump of `pid` among `names` (`cg.PID.out.N`), 0 for none. The
 * file callgrind writes at exit (`cg.PID.out`) has no number and is not a batch.
 */
export function latestDump(names: readonly string[], pid: number): number {
  const pattern = new RegExp(`^cg\\.${pid}\\.out\\.(\\d+)$`);
  return Math.max(0, ...names.map((n) => Number(pattern.exec(n)?.[1] ?? 0)));
}

/** How long one callgrind_control request may take; it answers in well under a second. */
const CONTROL_LIMIT_MS = 30_000;
/** How long a dump may take to appear once requested (it is usually there on return). */
const DUMP_LIMIT_MS = 10_000;

/** Counting of one valgrind process, through callgrind_control. */
export class CallgrindControl {
  private dumps = 0;

  constructor(
    private readonly controlBin: string,
    private readonly outDir: string,
    private readonly pid: number,
  ) {}

  /** Switches counting on or off. */
  async instrument(on: boolean): Promise<void> {
    await this.request({ instrument: on });
  }

  /** Dumps what was counted since the last dump (and resets it); resolves to its total. */
  async dump(label: string): Promise<number> {
    await this.request({ dump: label });
    const deadline = Date.now() + DUMP_LIMIT_MS;
    for (;;) {
      const latest = latestDump(readdirSync(this.outDir), this.pid);
      if (latest > this.dumps) {
        const text = readFileSync(join(this.outDir, `cg.${this.pid}.out.${latest}`), 'utf8');
        // A dump still being written has no totals line yet.
        if (/^totals:/m.test(text) || Date.now() > deadline) {
          this.dumps = latest;
          return parseTotals(text);
        }
      }
      if (Date.now() > deadline) throw new CallgrindError(`no dump ${label} in ${this.outDir}`);
      await sleep(50);
    }
  }

  private request(request: ControlRequest): Promise<void> {
    const args = controlArgs(this.outDir, this.pid, request);
    return new Promise((resolve, reject) => {
      execFile(this.controlBin, args, { timeout: CONTROL_LIMIT_MS }, (err, stdout) => {
        const failure = err ? err.message : controlFailure(stdout);
        if (failure === null) return resolve();
        const what = args.slice(1, -1).join(' ');
        reject(new CallgrindError(`callgrind_control ${what} ${this.pid}: ${failure}`));
      });
    });
  }
}
