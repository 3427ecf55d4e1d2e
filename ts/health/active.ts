// Active health checks: the control plane probes every upstream of every cluster that asks for
// it and writes the verdict into the shared upstream state, which every worker reads.
import type { ClusterConfig } from '../config/schema.js';
import type { Probe, ProbeResult, ProbeTarget } from './probe.js';
import type { UpstreamStates } from './state.js';

/** The clock and timers the checker runs on; tests step a fake one instead of waiting. */
export interface Timer {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's own timers, unref'd: probes alone never keep the process alive. */
export const realTimer: Timer = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The part of a pino logger the checker uses (pass `logger.child({ component: 'health' })`). */
export interface HealthLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export interface ActiveHealthOptions {
  /** Every cluster, in config order: upstream slots in `states` are numbered across them. */
  clusters: readonly ClusterConfig[];
  states: UpstreamStates;
  probe: Probe;
  logger: HealthLogger;
  /** (realTimer) */
  timer?: Timer;
}

/** One upstream as /status shows its active health. */
export interface ActiveHealthSnapshot {
  cluster: string;
  upstream: string;
  slot: number;
  healthy: boolean;
  /** The last probe's result (`status 200`, `timeout`, ...); null before the first one ends. */
  last: string | null;
  /** Timer milliseconds when the last probe ended; null before the first one ends. */
  lastAt: number | null;
  consecutiveGood: number;
  consecutiveBad: number;
}

type ActiveConfig = NonNullable<ClusterConfig['health']['active']>;

/** Statuses that count as healthy when `expected_statuses` is absent. */
const DEFAULT_GOOD = { min: 200, max: 399 };

/** One probed upstream and its run of results. */
interface Check {
  readonly cluster: string;
  readonly slot: number;
  readonly target: ProbeTarget;
  readonly config: ActiveConfig;
  healthy: boolean;
  good: number;
  bad: number;
  last: string | null;
  lastAt: number | null;
  /** The pending timer (next probe, or the running probe's deadline). */
  handle: unknown;
  running: AbortController | null;
}

/**
 * Probes each upstream with `GET path` every `interval`; a probe fails on no full response
 * within `timeout`, or a status outside `expected_statuses` (200-399). `unhealthy_threshold`
 * failures in a row take a healthy upstream out, `healthy_threshold` good probes in a row bring
 * it back: one blip never flips it either way. Probing never stops for an unhealthy upstream,
 * so recovery needs no restart or config change.
 *
 * An upstream starts as `states` has it (healthy in a fresh state); the first probes run at
 * `start()`, and the next one `interval` after the start of the last (never two at once).
 * Each flip is logged once: warn "upstream unhealthy" with the last cause, info "upstream
 * healthy"; every probe at debug.
 *
 * TODO(perf): the first probes of every upstream start at the same instant, and stay in step;
 * with many upstreams, spreading the first probe over the interval would smooth the bursts.
 */
export class ActiveHealthChecker {
  private readonly checks: Check[] = [];
  private readonly timer: Timer;
  private stopped = true;

  constructor(private readonly options: ActiveHealthOptions) {
    this.timer = options.timer ?? realTimer;
    let slot = 0;
    for (const cluster of options.clusters) {
      for (const upstream of cluster.upstreams) {
        const active = cluster.health.active;
        if (active) this.checks.push(newCheck(cluster.name, upstream.address, slot, active));
        slot++;
      }
    }
  }

  /** Starts probing; the first probe of every upstream runs at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const check of this.checks) {
      check.healthy = this.options.states.activeHealthy(check.slot);
      this.schedule(check, 0);
    }
  }

  /** Stops probing: cancels every timer, aborts running probes and ignores their results. */
  stop(): void {
    this.stopped = true;
    for (const check of this.checks) {
      this.timer.clearTimeout(check.handle);
      check.running?.abort();
      check.running = null;
    }
  }

  snapshot(): ActiveHealthSnapshot[] {
    return this.checks.map((c) => ({
      cluster: c.cluster,
      upstream: c.target.address,
      slot: c.slot,
      healthy: c.healthy,
      last: c.last,
      lastAt: c.lastAt,
      consecutiveGood: c.good,
      consecutiveBad: c.bad,
    }));
  }

  private schedule(check: Check, delayMs: number): void {
    check.handle = this.timer.setTimeout(() => void this.probeAndReschedule(check), delayMs);
  }

  private async probeAndReschedule(check: Check): Promise<void> {
    if (this.stopped) return;
    const started = this.timer.now();
    const result = await this.probeOnce(check);
    if (this.stopped) return;

    this.record(check, result, started);
    const wait = started + check.config.interval - this.timer.now();
    this.schedule(check, Math.max(0, wait));
  }

  /** Runs the probe under the checker's own deadline, so a probe that hangs still fails. */
  private probeOnce(check: Check): Promise<ProbeResult> {
    const running = new AbortController();
    check.running = running;
    return new Promise((resolve) => {
      const settle = (result: ProbeResult): void => {
        if (check.running !== running) return;
        check.running = null;
        this.timer.clearTimeout(check.handle);
        resolve(result);
      };
      check.handle = this.timer.setTimeout(() => {
        settle({ error: 'timeout' });
        running.abort();
      }, check.config.timeout);
      runSafely(this.options.probe, check.target, running.signal).then(settle);
    });
  }

  private record(check: Check, result: ProbeResult, started: number): void {
    const good = 'status' in result && isExpected(check.config, result.status);
    const last = 'status' in result ? `status ${result.status}` : result.error;
    check.last = last;
    check.lastAt = this.timer.now();
    const fields = { cluster: check.cluster, upstream: check.target.address };
    const durationMs = Math.round(check.lastAt - started);
    this.options.logger.debug(
      { ...fields, result: last, good, duration_ms: durationMs },
      'upstream probed',
    );

    check.good = good ? check.good + 1 : 0;
    check.bad = good ? 0 : check.bad + 1;
    if (!check.healthy && check.good >= check.config.healthy_threshold) {
      this.flip(check, true);
      this.options.logger.info({ ...fields, cause: last }, 'upstream healthy');
    } else if (check.healthy && check.bad >= check.config.unhealthy_threshold) {
      this.flip(check, false);
      this.options.logger.warn({ ...fields, cause: last }, 'upstream unhealthy');
    }
  }

  private flip(check: Check, healthy: boolean): void {
    check.healthy = healthy;
    this.options.states.setActiveHealthy(check.slot, healthy);
  }
}

function newCheck(cluster: string, address: string, slot: number, config: ActiveConfig): Check {
  const target = { address, path: config.path, timeoutMs: config.timeout };
  return {
    cluster,
    slot,
    target,
    config,
    healthy: true,
    good: 0,
    bad: 0,
    last: null,
    lastAt: null,
    handle: undefined,
    running: null,
  };
}

function isExpected(config: ActiveConfig, status: number): boolean {
  if (config.expected_statuses) return config.expected_statuses.includes(status);
  return status >= DEFAULT_GOOD.min && status <= DEFAULT_GOOD.max;
}

/** The probe's result; a probe that breaks its promise not to throw counts as a failed probe. */
async function runSafely(
  probe: Probe,
  target: ProbeTarget,
  signal: AbortSignal,
): Promise<ProbeResult> {
  try {
    return await probe.run(target, signal);
  } catch (err) {
    const name = err instanceof Error ? err.name : typeof err;
    return { error: `error ${name}` };
  }
}
