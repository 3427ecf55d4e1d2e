// A Probe whose answer per upstream the test sets between steps of a fake clock.
import type { Probe, ProbeResult, ProbeTarget } from '../../ts/health/probe.js';
import type { Timer } from '../../ts/health/active.js';

/** An answer, or 'hang': a probe that never answers until aborted. */
export type Behaviour = ProbeResult | 'hang' | 'throw';

export interface ProbeCall {
  at: number;
  target: ProbeTarget;
  aborted: boolean;
}

export class ScriptedProbe implements Probe {
  readonly calls: ProbeCall[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  /** Behaviours queued per address for the next probes, before the standing one applies. */
  private readonly queued = new Map<string, Behaviour[]>();

  constructor(
    private readonly timer: Timer,
    private readonly fallback: Behaviour = { status: 200 },
  ) {}

  /** From now on, `address` answers with `behaviour`. */
  set(address: string, behaviour: Behaviour): void {
    this.behaviours.set(address, behaviour);
  }

  /** The next probes of `address` answer these, in order; then the standing behaviour again. */
  queue(address: string, ...behaviours: Behaviour[]): void {
    this.queued.set(address, [...(this.queued.get(address) ?? []), ...behaviours]);
  }

  run(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    const call = { at: this.timer.now(), target, aborted: false };
    this.calls.push(call);
    signal.addEventListener('abort', () => (call.aborted = true));
    const behaviour = this.queued.get(target.address)?.shift() ?? this.standing(target.address);
    if (behaviour === 'throw') throw new Error('probe broke its promise');
    if (behaviour !== 'hang') return Promise.resolve(behaviour);
    return new Promise((resolve) => {
      signal.addEventListener('abort', () => resolve({ error: 'aborted' }));
    });
  }

  /** How many probes `address` got. */
  count(address: string): number {
    return this.calls.filter((c) => c.target.address === address).length;
  }

  private standing(address: string): Behaviour {
    return this.behaviours.get(address) ?? this.fallback;
  }
}

export const REFUSED: ProbeResult = { error: 'connect ECONNREFUSED' };
