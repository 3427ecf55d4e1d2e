// least_conn: the upstream with the fewest requests in flight for its weight.
import { eligible, readWeights } from './eligible.js';
import type { ClusterView, PickRequest, SelectionPolicy } from './policy.js';

/**
 * Picks the eligible upstream with the lowest inflight / weight, compared by cross-multiplying
 * so no division is needed. In-flight counts come from the shared state, so they cover every
 * worker thread.
 *
 * When several upstreams share the lowest load, smooth weighted round robin runs among just
 * those, as nginx's least_conn does: equal loads (an idle cluster, say) rotate instead of all
 * going to the first upstream.
 */
export class LeastConn implements SelectionPolicy {
  private readonly weights: Int32Array;
  private readonly current: Int32Array;
  /** Indexes sharing the lowest load in the current pick; reused, so a pick allocates nothing. */
  private readonly tied: Int32Array;

  constructor(private readonly view: ClusterView) {
    this.weights = readWeights(view);
    this.current = new Int32Array(view.size);
    this.tied = new Int32Array(view.size);
  }

  pick(req: PickRequest): number {
    const { view, weights, tied } = this;
    let count = 0;
    let bestLoad = 0;
    for (let i = 0; i < weights.length; i++) {
      if (!eligible(view, req.tried, i)) continue;
      const load = view.inflight(i);
      const cmp = count === 0 ? -1 : load * weights[tied[0]] - bestLoad * weights[i];
      if (cmp > 0) continue;
      if (cmp < 0) count = 0;
      if (count === 0) bestLoad = load;
      tied[count++] = i;
    }

    if (count <= 1) return count === 0 ? -1 : tied[0];
    return this.rotate(count);
  }

  /** Smooth weighted round robin among the first `count` entries of `tied`. */
  private rotate(count: number): number {
    const { weights, current, tied } = this;
    let best = tied[0];
    let total = 0;
    for (let k = 0; k < count; k++) {
      const i = tied[k];
      current[i] += weights[i];
      total += weights[i];
      if (current[i] > current[best]) best = i;
    }

    current[best] -= total;
    return best;
  }
}
