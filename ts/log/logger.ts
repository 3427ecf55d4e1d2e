// Structured logs: one pino root per thread, one child per component, JSON
// lines on stdout. Workers write to fd 1 themselves (synchronously, one line
// per write, so lines from different threads never interleave mid-line).
import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger | undefined;

/** The thread's root logger; `level` applies on first use. */
export function rootLogger(level = 'info'): Logger {
  root ??= pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.epochTime },
    // TODO(perf): a synchronous write per line costs a syscall per access-log line; batching
    // needs line-aligned writes across threads first.
    pino.destination({ fd: 1, sync: true }),
  );
  return root;
}

/** A child logger for `component` (access, health, worker, admin, config, ...). */
export function componentLogger(component: string, level?: string): Logger {
  return rootLogger(level).child({ component });
}
