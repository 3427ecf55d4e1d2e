// A ClusterView over the shared upstream state, as a data-plane worker builds it.
import type { UpstreamStates } from '../health/state.js';
import type { ClusterView } from './policy.js';

/**
 * The cluster whose upstreams own slots `firstSlot` .. `firstSlot + weights.length - 1` of
 * `states` (slots run across all clusters in config order). `now` gives epoch milliseconds
 * for the passive-ejection check (Date.now).
 *
 * TODO(perf): `UpstreamStates.usable` reads the ejection deadline from a BigInt64Array, and
 * each `Atomics.load` there allocates a BigInt: a pick over 8 upstreams by weighted round robin
 * took 10x the time of the same pick over plain Int32 state, with a young-generation GC every
 * few thousand picks. Keeping the deadline in the Int32 slots (milliseconds from an epoch
 * stored once in the buffer) would make a pick allocation-free.
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
    return this.states.usable(this.firstSlot + i, this.now());
  }

  inflight(i: number): number {
    return this.states.inflight(this.firstSlot + i);
  }
}
