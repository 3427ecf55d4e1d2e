// A ClusterView over the shared upstream state, as a data-plane worker builds it.
import type { UpstreamStates } from '../health/state.js';
import type { ClusterView } from './policy.js';

/**
 * The cluster whose upstreams own slots `firstSlot` .. `firstSlot + weights.length - 1` of
 * `states` (slots run across all clusters in config order). `now` gives epoch milliseconds
 * for the passive-ejection check (Date.now).
 */
export class StatesView implements ClusterView {
  readonly size: number;

  constructor(
    private readonly states: UpstreamStates,
    private readonly firstSlot: number,
    private readonly weights: readonly number[],
    private readonly now: () => number = Date.now,
  ) {
    this.size = weights.length;
  }

  weight(i: number): number {
    return this.weights[i];
  }

  usable(i: number): boolean {
    const slot = this.firstSlot + i;
    if (!this.states.activeHealthy(slot)) return false;
    // The clock is read only for an upstream that has been ejected at some time.
    const until = this.states.ejectedUntil(slot);
    return until === 0 || until <= this.now();
  }

  inflight(i: number): number {
    return this.states.inflight(this.firstSlot + i);
  }
}
