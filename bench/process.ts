// Child processes of the harness: every one is started here, logged to a file, and stopped by
// its own handle (its process group, so an nginx master takes its workers along). Nothing is
// ever stopped by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

export class BenchProcessError extends Error {
  constructor(
    readonly code: 'BENCH_PROCESS_EXITED' | 'BENCH_NOT_READY' | 'BENCH_PROCESS_OVERRAN',
    message: string,
  ) {
    super(message);
  }
}

const live = new Set<Managed>();

/** A started child process; `stop()` ends it and everything it started. */
export class Managed {
  readonly pid: number;
  readonly exited: Promise<number | null>;
  private done = false;

  constructor(
    readonly name: string,
    child: ChildProcess,
    readonly logFile: string,
  ) {
    if (child.pid === undefined) {
      throw new BenchProcessError('BENCH_PROCESS_EXITED', `${name}: not started`);
    }
    this.pid = child.pid;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.done = true;
        live.delete(this);
        resolve(code ?? (signal ? 128 : null));
      });
      child.once('error', () => resolve(null));
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** SIGTERM to the group, then SIGKILL after `graceMs`; resolves once the leader is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.done) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // A worker that outlived its master would keep its port; the group takes it along.
    this.signal('SIGKILL');
  }

  /** Kills the group at once, synchronously: for the harness's own exit path. */
  kill(): void {
    this.signal('SIGKILL');
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      // The group is already empty.
    }
  }
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Runs the command under `taskset -c CPUS`; taskset execs it, so the pid stays the same. */
  cpus?: string;
  /** A command line that runs the command in the same process (valgrind and its options). */
  prefix?: readonly string[];
}

/**
 * The command line that runs `cmd args` as `opts` say: taskset first, which execs the prefix
 * (valgrind), which runs `cmd` in the same process.
 */
export function commandLine(cmd: string, args: readonly string[], opts: StartOptions): string[] {
  const taskset = opts.cpus ? ['taskset', '-c', opts.cpus] : [];
  return [...taskset, ...(opts.prefix ?? []), cmd, ...args];
}

/** Starts `cmd` in its own process group, stdout and stderr appended to `logFile`. */
export function start(
  name: string,
  cmd: string,
  args: string[],
  logFile: string,
  opts: StartOptions = {},
): Managed {
  const fd = openSync(logFile, 'a');
  const [file, ...argv] = commandLine(cmd, args, opts);
  try {
    const child = spawn(file, argv, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    const managed = new Managed(name, child, logFile);
    live.add(managed);
    return managed;
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs `cmd` to its end, bounded by `limitMs` (then stopped, and an error). Resolves to its
 * exit code; its output is in `logFile`.
 */
export async function runToEnd(
  name: string,
  cmd: string,
  args: string[],
  logFile: string,
  limitMs: number,
  opts: StartOptions = {},
): Promise<number | null> {
  const proc = start(name, cmd, args, logFile, opts);
  let timer: NodeJS.Timeout | undefined;
  const overran = new Promise<'overran'>((resolve) => {
    timer = setTimeout(() => resolve('overran'), limitMs);
  });
  const code = await Promise.race([proc.exited, overran]);
  clearTimeout(timer);
  if (code !== 'overran') return code;
  await proc.stop(1000);
  throw new BenchProcessError('BENCH_PROCESS_OVERRAN', `${name} still ran after ${limitMs} ms`);
}

const scratch = new Set<string>();

/** A fresh temp directory, removed by removeScratch() or, at the latest, when the harness exits. */
export function scratchDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `jetway-bench-${label}-`));
  scratch.add(dir);
  return dir;
}

export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  scratch.delete(dir);
}

/** Keeps `dir` after the harness exits (its logs explain a failure). */
export function keepScratch(dir: string): void {
  scratch.delete(dir);
}

/** Stops every process still running, in parallel. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((m) => m.stop(2000)));
}

/** Kills every process still running and removes the temp dirs, synchronously (at exit). */
export function killAll(): void {
  for (const m of live) m.kill();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
}

/**
 * A port that was free a moment ago. Another process could take it before the contender binds
 * it; the contender then fails to start and says so, which is rare on loopback.
 * TODO(bench): binding port 0 and reporting the port would close the race, but nginx and
 * HAProxy cannot report theirs; a retry on a failed start would make it harmless.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

/** The last non-empty line of a log, shortened: usually the reason a process gave up. */
export function lastLine(file: string, max = 200): string {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 'no log';
  }
  const line = text.trimEnd().split('\n').pop()?.trim() ?? '';
  if (line === '') return 'no output';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * Polls `url` until it answers `status`, `owner` exits, or `timeoutMs` passes. Each try is
 * bounded too, so a listener that accepts and never answers cannot hang the harness.
 */
export async function waitForHttp(
  url: string,
  owner: Managed | null,
  timeoutMs = 15_000,
  status = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (owner && !owner.running) {
      const why = `${owner.name} exited: ${lastLine(owner.logFile)}`;
      throw new BenchProcessError('BENCH_PROCESS_EXITED', `${why} (log: ${owner.logFile})`);
    }
    try {
      const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000, reset: true });
      await res.body.dump();
      if (res.statusCode === status) return;
      last = `status ${res.statusCode}`;
    } catch (err) {
      last = (err as NodeJS.ErrnoException).code ?? String(err);
    }
    await sleep(50);
  }
  const where = owner ? `; see ${owner.logFile}` : '';
  throw new BenchProcessError(
    'BENCH_NOT_READY',
    `${url} not ready in ${timeoutMs} ms (${last})${where}`,
  );
}
