// What the kernel's own accounting says a contender costs: CPU time (user + system) and
// resident memory of a process and all its descendants, read from /proc (Linux only).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/PID/stat the harness uses; times are in clock ticks. */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  utime: number;
  stime: number;
  /** Time of children already waited for (an nginx worker that exited and was reaped). */
  cutime: number;
  cstime: number;
}

export class ProcParseError extends Error {
  readonly code = 'BENCH_PROC_PARSE';
}

/**
 * Parses one /proc/PID/stat line. The command name sits in parentheses and may itself hold
 * spaces and parentheses, so the fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ProcParseError(`no command name in stat: ${text}`);
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); field N sits at rest[N - 3].
  const field = (n: number): number => {
    const v = Number(rest[n - 3]);
    if (!Number.isFinite(v)) throw new ProcParseError(`stat field ${n} is not a number`);
    return v;
  };
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
  };
}

/** VmRSS of /proc/PID/status in KiB; null when absent (a zombie has none). */
export function parseVmRssKb(status: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** `root` and every process below it, found through parent links. */
export function descendants(root: number, stats: readonly ProcStat[]): number[] {
  const children = new Map<number, number[]>();
  for (const s of stats) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (out.includes(pid)) continue;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU ticks of a process tree: live processes' own time plus their reaped children's. */
export function treeTicks(pids: readonly number[], stats: ReadonlyMap<number, ProcStat>): number {
  let ticks = 0;
  for (const pid of pids) {
    const s = stats.get(pid);
    if (s) ticks += s.utime + s.stime + s.cutime + s.cstime;
  }
  return ticks;
}

/** Clock ticks per second (USER_HZ), asked of getconf once; 100 on every common Linux. */
export const CLK_TCK: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }));
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** Every process's stat, read now; processes that vanish mid-read are left out. */
export function readAllStats(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      out.set(s.pid, s);
    } catch {
      // The process exited between readdir and read.
    }
  }
  return out;
}

/** A reading of one process tree: CPU ticks so far and resident memory now. */
export interface TreeReading {
  ticks: number;
  rssKb: number;
}

/** Reads CPU ticks and RSS of the trees under `roots`. */
export function readTrees(roots: readonly number[]): TreeReading {
  const stats = readAllStats();
  const all = [...stats.values()];
  const pids = [...new Set(roots.flatMap((r) => descendants(r, all)))].filter((p) => stats.has(p));
  let rssKb = 0;
  for (const pid of pids) {
    try {
      rssKb += parseVmRssKb(readFileSync(`/proc/${pid}/status`, 'utf8')) ?? 0;
    } catch {
      // Gone since the stat read; its memory is gone too.
    }
  }
  return { ticks: treeTicks(pids, stats), rssKb };
}

/**
 * Samples process trees over one measured run: CPU at start and stop, the largest RSS seen
 * in between (every `everyMs`).
 */
export class TreeSampler {
  private startTicks = 0;
  private maxRssKb = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly roots: readonly number[],
    private readonly everyMs = 250,
  ) {}

  start(): void {
    const r = readTrees(this.roots);
    this.startTicks = r.ticks;
    this.maxRssKb = r.rssKb;
    this.timer = setInterval(() => this.sampleRss(), this.everyMs);
  }

  /** Stops sampling; returns the CPU ticks spent since start and the largest RSS. */
  stop(): TreeReading {
    clearInterval(this.timer);
    const r = readTrees(this.roots);
    return { ticks: r.ticks - this.startTicks, rssKb: Math.max(this.maxRssKb, r.rssKb) };
  }

  private sampleRss(): void {
    this.maxRssKb = Math.max(this.maxRssKb, readTrees(this.roots).rssKb);
  }
}
