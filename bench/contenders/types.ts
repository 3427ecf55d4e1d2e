// What every contender offers the runner: whether it can run here, and how to start it in
// front of the scenario's upstreams.
import type { ContenderName } from '../cli.js';
import type { RouteShape } from '../scenarios.js';

/** Everything a contender needs to write its config and start. */
export interface ContenderInput {
  /** A directory of its own for configs, temp files and logs. */
  dir: string;
  /** The port its listener binds (127.0.0.1). */
  port: number;
  /** host:port of each upstream of the cluster. */
  upstreams: readonly string[];
  /** Worker processes or threads; the same number for every proxy. */
  workers: number;
  /** Downstream connections of the scenario; upstream keep-alive is sized to match. */
  connections: number;
  route: RouteShape;
  /** A path that must answer 200 through the contender before it counts as ready. */
  probePath: string;
  /** CPUs to pin the proxy to (taskset list), or undefined. */
  cpus?: string;
  /** A program the proxy runs under (valgrind), or undefined to run it directly. */
  launcher?: Launcher;
}

/**
 * A program that runs a contender's command in its own process, so the pid is still the
 * contender's: valgrind for the instructions scenario. It follows no fork, so the contender
 * then runs as one process (nginx without a master; the others already do with one worker).
 */
export interface Launcher {
  /** The command line before the contender's own: the program and its options. */
  prefix: readonly string[];
  /** How long the contender may take to answer its probe, slowed down by the launcher. */
  readyTimeoutMs: number;
}

export interface RunningContender {
  name: ContenderName;
  /** Where the load generator sends requests: http://127.0.0.1:PORT. */
  origin: string;
  /** Roots of the process trees whose CPU and memory are the contender's; none for direct. */
  pids: number[];
  stop(): Promise<void>;
}

export interface Contender {
  name: ContenderName;
  /** Why it cannot run on this machine (a line for the user), or null when it can. */
  unavailable(): string | null;
  /**
   * Why it cannot do what `route` asks the way the others do (a line for the user), or null
   * when it can; the scenario then skips it. Absent: it serves every route shape.
   */
  unsupported?(route: RouteShape): string | null;
  start(input: ContenderInput): Promise<RunningContender>;
}
