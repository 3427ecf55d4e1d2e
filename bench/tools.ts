// The outside programs the harness can use, found once: nginx and HAProxy (contenders and the
// upstream), wrk (a load generator), taskset (pinning), valgrind and callgrind_control
// (instruction counts). A missing one is null, never fatal.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Tool {
  path: string;
  version: string;
}

// Debian installs nginx and HAProxy in sbin, which a non-root PATH often lacks.
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** The first executable called `name` on PATH or in the sbin directories. */
export function findBinary(name: string, path = process.env.PATH ?? ''): string | null {
  const dirs = [...path.split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return null;
}

/**
 * Runs `bin args` briefly and returns the first line matching `pattern`, from stdout or stderr
 * whatever the exit status: `nginx -v` prints to stderr and exits 0, `wrk --version` exits 1.
 */
export function versionLine(bin: string, args: string[], pattern: RegExp): string {
  const run = spawnSync(bin, args, { encoding: 'utf8', timeout: 3000, stdio: 'pipe' });
  const text = `${run.stdout ?? ''}\n${run.stderr ?? ''}`;
  const line = text.split('\n').find((l) => pattern.test(l)) ?? '';
  return line.trim() || 'unknown version';
}

function tool(name: string, args: string[], pattern: RegExp): Tool | null {
  const path = findBinary(name);
  return path === null ? null : { path, version: versionLine(path, args, pattern) };
}

let cached: Tools | undefined;

export interface Tools {
  nginx: Tool | null;
  haproxy: Tool | null;
  wrk: Tool | null;
  taskset: Tool | null;
  valgrind: Tool | null;
  callgrindControl: Tool | null;
}

/** Looks every tool up once per harness run. */
export function tools(): Tools {
  cached ??= {
    nginx: tool('nginx', ['-v'], /nginx version/),
    haproxy: tool('haproxy', ['-v'], /HAProxy version/i),
    wrk: tool('wrk', ['--version'], /^wrk /),
    taskset: tool('taskset', ['--version'], /taskset/),
    valgrind: tool('valgrind', ['--version'], /^valgrind-/),
    callgrindControl: tool('callgrind_control', ['--version'], /^callgrind_control-/),
  };
  return cached;
}
