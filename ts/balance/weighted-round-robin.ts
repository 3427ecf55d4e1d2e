// weighted_round_robin: nginx's smooth weighted round robin.
import { eligible, readWeights } from './eligible.js';
import type { ClusterView, PickRequest, SelectionPolicy } from './policy.js';

/**
 * Smooth weighted round robin as nginx does it (ngx_http_upstream_get_peer): every eligible
 * upstream adds its weight to its `current`, the largest `current` wins (ties to the lower
 * index) and gives back the total added. Weights 5,1,1 give a,a,b,a,c,a,a: the heavy upstream
 * is spread out instead of taking five requests in a row.
 *
 * Unusable and tried upstreams sit out the round and keep their `current`, as in nginx.
 * nginx also lowers an upstream's effective weight after failures; here passive health checks
 * eject the upstream instead, so the configured weight is used as is.
 */
export class WeightedRoundRobin implements SelectionPolicy {
  private readonly weights: Int32Array;
  private readonly current: Int32Array;

  constructor(private readonly view: ClusterView) {
    this.weights = readWeights(view);
    this.current = new Int32Array(view.size);
  }

  pick(req: PickRequest): number {
    let best = -1;
    let total = 0;
    for (let i = 0; i < this.weights.length; i++) {
      if (!eligible(this.view, req.tried, i)) continue;
      this.current[i] += this.weights[i];
      total += this.weights[i];
      if (best === -1 || this.current[i] > this.current[best]) best = i;
    }

    if (best !== -1) this.current[best] -= total;
    return best;
  }
}
