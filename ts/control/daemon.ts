// The control plane: loads the config, starts the workers and the admin
// listener, runs active health checks, reloads on SIGHUP or POST /reload, and
// drains everything on SIGTERM / SIGINT.
import { availableParallelism } from 'node:os';
import type { Server } from 'node:http';
import { loadConfig, ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ActiveHealthChecker } from '../health/active.js';
import { HttpProbe } from '../health/probe.js';
import { UpstreamStates } from '../health/state.js';
import { createHotPathShared, loadHotPath } from '../hotpath/load.js';
import { componentLogger, type Logger } from '../log/logger.js';
import { loadUws } from '../data/uws.js';
import { startAdmin } from './admin.js';
import { WorkerPool, type HotPathSetup } from './workers.js';

const VERSION = '0.1.0';
/** Config keys that take effect only when the daemon starts. */
const RESTART_KEYS = ['listeners', 'workers', 'admin'] as const;
type RestartKey = (typeof RESTART_KEYS)[number];

export class Daemon {
  private readonly log: Logger;
  private readonly pool: WorkerPool;
  private states: UpstreamStates;
  private health: ActiveHealthChecker | null = null;
  private readonly probe = new HttpProbe();
  private admin: Server | null = null;
  private ejectionWatch: NodeJS.Timeout | null = null;
  private generation = 0;
  private stopping = false;
  private listening = false;

  /** The keys a reload cannot change, as the daemon started with them. */
  private readonly startup: Pick<Config, RestartKey>;

  private constructor(
    private readonly file: string,
    private config: Config,
  ) {
    this.startup = { listeners: config.listeners, workers: config.workers, admin: config.admin };
    this.log = componentLogger('daemon', config.log.level);
    this.pool = new WorkerPool(this.log);
    this.states = UpstreamStates.create(upstreamCount(config));
  }

  /** Loads `file` and starts serving; throws ConfigError or a start failure before listening. */
  static async start(file: string): Promise<Daemon> {
    const config = loadConfig(file);
    loadUws(); // refuse early, with uWS's own reason, rather than in every worker
    const daemon = new Daemon(file, config);
    await daemon.run();
    return daemon;
  }

  private async run(): Promise<void> {
    const count = this.config.workers || availableParallelism();
    try {
      await this.pool.start(count, this.config, this.states, this.resolveHotPath());
    } catch (err) {
      await this.pool.drain(0);
      throw err;
    }
    this.listening = true;
    this.startHealth();
    this.watchEjections();
    const { address, port } = this.config.admin;
    this.admin = await this.startAdminOrDrain(address, port);
    for (const l of this.config.listeners) {
      this.log.info({ listener: `${l.address}:${l.port}`, workers: count }, 'listening');
    }
    process.on('SIGTERM', () => void this.stop('SIGTERM'));
    process.on('SIGINT', () => void this.stop('SIGINT'));
    process.on('SIGHUP', () => void this.reload());
  }

  /** Starts the admin listener; when it cannot, stops the workers first (their uWS handles
   * must close before the process exits) and rethrows. */
  private async startAdminOrDrain(address: string, port: number): Promise<Server> {
    try {
      return await startAdmin(address, port, this, componentLogger('admin', this.config.log.level));
    } catch (err) {
      this.health?.stop();
      await this.pool.drain(0);
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new Error(`admin listener ${address}:${port}: ${code}`);
    }
  }

  /** Picks the hot-path backends once, here, so every worker loads the same ones. */
  private resolveHotPath(): HotPathSetup {
    const shared = createHotPathShared();
    const loaded = loadHotPath(shared);
    if (loaded.fallback) this.log.warn({ reason: loaded.fallback }, 'hot path fell back');
    this.log.info({ hotpath: loaded.choice.backend, limits: loaded.choice.limits }, 'hot path');
    return { shared, choice: loaded.choice };
  }

  ready(): boolean {
    return this.listening && !this.stopping;
  }

  status(): unknown {
    const now = Date.now();
    let slot = 0;
    return {
      version: VERSION,
      generation: this.generation,
      workers: this.pool.info,
      clusters: this.config.clusters.map((c) => ({
        name: c.name,
        policy: c.policy,
        upstreams: c.upstreams.map((u) => {
          const s = slot++;
          return {
            address: u.address,
            weight: u.weight,
            healthy: this.states.activeHealthy(s),
            ejected: this.states.ejectedUntil(s) > now,
            inflight: this.states.inflight(s),
          };
        }),
      })),
    };
  }

  /** Applies the file again; listeners, worker count and admin stay as they were at start. */
  async reload(): Promise<string[]> {
    let next: Config;
    try {
      next = loadConfig(this.file);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      this.log.error({ file: this.file, problems }, 'reload refused');
      return problems;
    }
    // TODO(feature): listener, worker-count and admin changes need a restart; applying them
    // means binding new sockets and starting or stopping workers while serving.
    const kept = RESTART_KEYS.filter(
      (k) => JSON.stringify(next[k]) !== JSON.stringify(this.startup[k]),
    );
    if (kept.length > 0) {
      this.log.warn({ keys: kept }, `changes to ${kept.join(', ')} apply at the next restart`);
    }
    this.health?.stop();
    this.config = next;
    // TODO(health): every upstream's health starts afresh, ending the ejection of one the reload
    // left unchanged; carrying state over needs the upstreams matched by cluster and address.
    this.states = UpstreamStates.create(upstreamCount(next));
    this.generation++;
    this.pool.apply(next, this.states, this.generation);
    this.startHealth();
    this.log.info({ generation: this.generation }, 'config reloaded');
    return [];
  }

  async stop(signal: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info({ signal, timeout_ms: this.config.shutdown_timeout }, 'shutting down');
    this.health?.stop();
    await this.probe.close();
    if (this.ejectionWatch) clearInterval(this.ejectionWatch);
    await this.pool.drain(this.config.shutdown_timeout);
    await new Promise<void>((resolve) =>
      this.admin ? this.admin.close(() => resolve()) : resolve(),
    );
    this.log.info({}, 'stopped');
    process.exit(0);
  }

  private startHealth(): void {
    if (!this.config.clusters.some((c) => c.health.active !== undefined)) {
      this.health = null;
      return;
    }
    this.health = new ActiveHealthChecker({
      clusters: this.config.clusters,
      states: this.states,
      probe: this.probe,
      logger: componentLogger('health', this.config.log.level),
    });
    this.health.start();
  }

  /** Logs once when a passive ejection runs out (workers log the ejection itself). */
  private watchEjections(): void {
    const seen = new Map<number, number>();
    const log = componentLogger('health', this.config.log.level);
    this.ejectionWatch = setInterval(() => {
      const now = Date.now();
      let slot = 0;
      for (const c of this.config.clusters) {
        for (const u of c.upstreams) {
          const until = this.states.ejectedUntil(slot);
          if (until > now) seen.set(slot, until);
          else if (seen.delete(slot))
            log.info({ cluster: c.name, upstream: u.address }, 'upstream ejection ended');
          slot++;
        }
      }
    }, 1000);
    this.ejectionWatch.unref();
  }
}

function upstreamCount(config: Config): number {
  return config.clusters.reduce((n, c) => n + c.upstreams.length, 0);
}
