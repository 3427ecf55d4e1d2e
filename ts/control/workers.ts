// Supervises the data-plane worker threads: starts them, pushes config
// snapshots, drains them on shutdown.
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { UpstreamStates } from '../health/state.js';
import type { HotPathChoice, HotPathShared } from '../hotpath/load.js';
import type { Logger } from '../log/logger.js';
import type { FromWorker, ToWorker, WorkerInit } from '../data/worker.js';

/**
 * A worker's young generation, in MB (V8 makes it three semi-spaces, so 2 MB each). A small one
 * makes scavenges frequent and short: each one frees the ArrayBuffers of the requests since the
 * last (uWS allocates one per request for the client address), so its pause grows with their
 * number. With the proxy pinned to one core and small pipelined requests, V8's default (48)
 * paused 1.3-1.7 ms every 2,500 requests and gave a p99 of 2.0-2.7 ms; 6 pauses about 0.2-0.5
 * ms every 1,000 and gives 1.3-1.7 ms, at the same throughput and 20 MB less RSS (README,
 * "Performance").
 */
const YOUNG_GENERATION_MB = 6;

export interface WorkerInfo {
  id: number;
  /** native, wasm, ts, or auto (the per-function default). */
  hotpath: string;
  /** The backend that keeps this worker's rate-limit buckets. */
  limits: string;
}

/** The hot-path state every worker shares and the backends they all load. */
export interface HotPathSetup {
  shared: HotPathShared;
  choice: HotPathChoice;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly exited = new Set<Worker>();
  readonly info: WorkerInfo[] = [];

  constructor(private readonly log: Logger) {}

  /** Starts `count` workers; resolves once every one listens, rejects on the first failure. */
  async start(
    count: number,
    config: Config,
    states: UpstreamStates,
    hotpath: HotPathSetup,
  ): Promise<void> {
    const ready = Array.from({ length: count }, (_, id) => this.spawn(id, config, states, hotpath));
    await Promise.all(ready);
  }

  private spawn(
    id: number,
    config: Config,
    states: UpstreamStates,
    hotpath: HotPathSetup,
  ): Promise<void> {
    const init: WorkerInit = {
      id,
      config,
      states: states.buffers,
      hotpath: hotpath.shared,
      choice: hotpath.choice,
      generation: 0,
    };
    const worker = new Worker(new URL('../data/worker.js', import.meta.url), {
      workerData: init,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    this.workers.push(worker);
    worker.once('exit', () => this.exited.add(worker));
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          this.info[id] = { id, hotpath: msg.hotpath, limits: msg.limits };
          resolve();
        } else if (msg.type === 'failed') {
          reject(new Error(`worker ${id}: ${msg.error}`));
        }
      });
      worker.once('exit', (code) =>
        reject(new Error(`worker ${id} exited (${code}) before listening`)),
      );
    });
  }

  /** Pushes a new snapshot; every worker swaps it in between requests. */
  apply(config: Config, states: UpstreamStates, generation: number): void {
    const msg: ToWorker = { type: 'config', config, states: states.buffers, generation };
    for (const w of this.workers) w.postMessage(msg);
  }

  /**
   * Stops accepting on every worker, lets in-flight requests finish for up to
   * `timeoutMs`, then closes every connection; resolves when all workers exited.
   */
  async drain(timeoutMs: number): Promise<void> {
    // A worker that failed to start may be gone already; its 'exit' will not come again.
    const running = this.workers.filter((w) => !this.exited.has(w));
    const exits = running.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.on('message', (msg: FromWorker) => {
            if (msg.type === 'drained' && msg.cut > 0) {
              this.log.warn(
                { worker: msg.id, requests: msg.cut },
                'requests cut at shutdown deadline',
              );
            }
          });
          w.once('exit', () => resolve());
        }),
    );
    const msg: ToWorker = { type: 'drain', timeoutMs };
    for (const w of running) w.postMessage(msg);
    // A worker that cannot close within the deadline plus a margin is stopped by force.
    const force = setTimeout(() => running.forEach((w) => void w.terminate()), timeoutMs + 5000);
    await Promise.all(exits);
    clearTimeout(force);
  }
}
