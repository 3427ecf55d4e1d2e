// random_two: the power of two random choices on requests in flight.
import { eligible, readWeights } from './eligible.js';
import type { ClusterView, PickRequest, SelectionPolicy } from './policy.js';

/**
 * Power of two choices (Mitzenmacher, "The Power of Two Choices in Randomized Load
 * Balancing", 2001): draw two distinct upstreams uniformly, keep the one with fewer requests
 * in flight for its weight (the first drawn on a tie). Unlike least_conn, a burst of picks made
 * before the in-flight counts move (many workers at once) does not all land on the one idlest
 * upstream.
 *
 * Two numbers are drawn from `random` per pick: a pair over all upstreams. When either of the
 * pair is unusable or tried, two more are drawn for a pair among the eligible ones only, so
 * the pair stays uniform over what is left without a pass over the cluster in the usual case.
 * When only one upstream is eligible it is returned without drawing a second pair.
 */
export class RandomTwo implements SelectionPolicy {
  private readonly weights: Int32Array;

  constructor(
    private readonly view: ClusterView,
    private readonly random: () => number,
  ) {
    this.weights = readWeights(view);
  }

  pick(req: PickRequest): number {
    const n = this.weights.length;
    if (n >= 2) {
      const a = this.draw(n);
      const b = this.drawOther(n, a);
      if (eligible(this.view, req.tried, a) && eligible(this.view, req.tried, b)) {
        return this.lighter(a, b);
      }
    }
    return this.pickAmongEligible(req.tried);
  }

  /** The slow path: count the eligible upstreams, then draw a pair by rank among them. */
  private pickAmongEligible(tried: readonly number[]): number {
    let count = 0;
    let only = -1;
    for (let i = 0; i < this.weights.length; i++) {
      if (!eligible(this.view, tried, i)) continue;
      count++;
      only = i;
    }
    if (count <= 1) return only;

    const a = this.draw(count);
    const b = this.drawOther(count, a);
    const first = this.nthEligible(tried, a);
    const second = this.nthEligible(tried, b);
    // Another thread may flip an upstream between the two passes; `only` was eligible just now.
    if (first < 0 || second < 0) return only;
    return this.lighter(first, second);
  }

  private nthEligible(tried: readonly number[], rank: number): number {
    for (let i = 0; i < this.weights.length; i++) {
      if (eligible(this.view, tried, i) && rank-- === 0) return i;
    }
    return -1;
  }

  /** An integer in [0, n). */
  private draw(n: number): number {
    return Math.min(n - 1, Math.floor(this.random() * n));
  }

  /** An integer in [0, n) other than `a`, uniform over the n - 1 left. */
  private drawOther(n: number, a: number): number {
    const b = this.draw(n - 1);
    return b >= a ? b + 1 : b;
  }

  private lighter(a: number, b: number): number {
    const load = this.view.inflight(b) * this.weights[a] - this.view.inflight(a) * this.weights[b];
    return load < 0 ? b : a;
  }
}
