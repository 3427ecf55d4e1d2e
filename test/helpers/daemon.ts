// Starts the Jetway daemon as a child process with a config written for the test, waits until
// its admin /healthz answers, collects its JSON log lines, and stops it by its own handle.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

/** The repository root (this file runs from dist/test/helpers/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const JETWAY_BIN = join(REPO_ROOT, 'bin', 'jetway.js');

/** The admin /status document, as the daemon contract describes it. */
export interface Status {
  version: string;
  workers: Array<{ id: number; hotpath: 'native' | 'wasm' | 'ts' | 'auto' }>;
  clusters: Array<{
    name: string;
    policy: string;
    upstreams: Array<{
      address: string;
      weight: number;
      healthy: boolean;
      ejected: boolean;
      inflight: number;
    }>;
  }>;
}

export type LogLine = Record<string, unknown> & { msg?: string; component?: string };

/** Children still running, killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Registers a child so an aborted test run never leaves it behind. */
export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export interface StartOptions {
  /** Extra environment for the daemon (e.g. JETWAY_HOTPATH). */
  env?: Record<string, string>;
  /** How long to wait for /healthz (10 s). */
  readyTimeoutMs?: number;
}

/** A config object; `listeners` and `admin` are filled with free ports when absent. */
export type ConfigInput = Record<string, unknown>;

export class Daemon {
  readonly logs: LogLine[] = [];
  /** stdout lines that were not JSON (there should be none). */
  readonly otherOutput: string[] = [];
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly adminPort: number,
    readonly configFile: string,
    private readonly dir: string,
  ) {
    track(child);
    createInterface({ input: child.stdout! }).on('line', (line) => this.line(line));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** `http://127.0.0.1:PORT` of the (first) listener. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get adminOrigin(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  /** Access log lines (component "access"). */
  get accessLogs(): LogLine[] {
    return this.logs.filter((l) => l.component === 'access');
  }

  /** The admin /status document. */
  async statusJson(): Promise<Status> {
    const res = await fetch(`${this.adminOrigin}/status`, { signal: AbortSignal.timeout(3000) });
    if (res.status !== 200) throw new Error(`/status answered ${res.status}`);
    return (await res.json()) as Status;
  }

  /** Resident set size of the daemon process in bytes, from /proc. */
  rss(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    if (!kb) throw new Error(`no VmRSS for pid ${this.pid}`);
    return Number(kb[1]) * 1024;
  }

  /** Resolves with the first log line (seen or future) that matches, or rejects on timeout. */
  async waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 5000): Promise<LogLine> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.logs.find(pred);
      if (hit) return hit;
      if (performance.now() > deadline) throw new Error(`no matching log line in ${timeoutMs} ms`);
      if (this.exit) throw new Error(`daemon exited (${JSON.stringify(this.exit)}) ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves when the process exits, or false after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const done = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL after `deadlineMs`; returns how it ended. Safe to call twice. */
  async stop(deadlineMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exit) {
      this.child.kill('SIGTERM');
      if (!(await this.waitExit(deadlineMs))) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    return this.exit!;
  }

  private line(line: string): void {
    try {
      this.logs.push(JSON.parse(line) as LogLine);
    } catch {
      this.otherOutput.push(line);
    }
  }
}

/** Temporary directories made by writeConfig alone, removed when the test process exits. */
const scratch: string[] = [];
process.on('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Writes `config` (JSON is valid YAML) to a fresh temporary directory; returns the file path. */
export function writeConfig(config: ConfigInput | string, dir?: string): string {
  const where = dir ?? mkdtempSync(join(tmpdir(), 'jetway-it-'));
  if (!dir) scratch.push(where);
  const file = join(where, 'jetway.yaml');
  const text = typeof config === 'string' ? config : JSON.stringify(withClient(config), null, 2);
  writeFileSync(file, text);
  return file;
}

/**
 * `config` with every cluster's `pool.client` set from JETWAY_TEST_POOL_CLIENT where the test did
 * not choose one, so one suite runs against both upstream clients (scripts/test.sh).
 */
function withClient(config: ConfigInput): ConfigInput {
  const client = process.env.JETWAY_TEST_POOL_CLIENT;
  if (client === undefined || client === '') return config;
  if (!Array.isArray(config.clusters)) return config;
  const clusters = (config.clusters as Array<Record<string, unknown>>).map((c) => {
    const pool = (c.pool ?? {}) as Record<string, unknown>;
    return { ...c, pool: { client, ...pool } };
  });
  return { ...config, clusters };
}

/**
 * Starts `node bin/jetway.js start --config FILE` with `config`, on free ports unless the config
 * names them, and resolves once admin /healthz answers 200. `shutdown_timeout` defaults to 2 s
 * so stopping is quick.
 */
export async function startDaemon(
  config: ConfigInput,
  options: StartOptions = {},
): Promise<Daemon> {
  const port = (config.listeners as Array<{ port: number }> | undefined)?.[0]?.port;
  const listenPort = port ?? (await freePort());
  const adminPort = (config.admin as { port?: number } | undefined)?.port ?? (await freePort());
  const full = {
    workers: 1,
    shutdown_timeout: '2s',
    listeners: [{ address: '127.0.0.1', port: listenPort }],
    admin: { address: '127.0.0.1', port: adminPort },
    ...config,
  };
  const dir = mkdtempSync(join(tmpdir(), 'jetway-it-'));
  const file = writeConfig(full, dir);
  const child = spawn(process.execPath, [JETWAY_BIN, 'start', '--config', file], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const daemon = new Daemon(child, listenPort, adminPort, file, dir);
  try {
    await waitReady(daemon, options.readyTimeoutMs ?? 10_000);
  } catch (err) {
    await daemon.stop(1000);
    throw err;
  }
  return daemon;
}

async function waitReady(daemon: Daemon, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (daemon.exit) {
      throw new Error(
        `daemon exited before ready: ${JSON.stringify(daemon.exit)}\n${daemon.stderr}`,
      );
    }
    try {
      const res = await fetch(`${daemon.adminOrigin}/healthz`, {
        signal: AbortSignal.timeout(500),
      });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (performance.now() > deadline) {
      throw new Error(`daemon not ready in ${timeoutMs} ms; stderr: ${daemon.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the CLI to completion (validate, or a start expected to fail); returns its output. */
export function runCli(
  args: string[],
  timeoutMs = 10_000,
): Promise<{ code: number | null; stdout: string; stderr: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [JETWAY_BIN, ...args], { cwd: REPO_ROOT, stdio: 'pipe' }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`jetway ${args.join(' ')} still running after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, pid: child.pid! });
    });
  });
}
