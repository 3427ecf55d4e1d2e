// round_robin: each upstream in turn, weights ignored (weighted_round_robin honours them).
import { eligible } from './eligible.js';
import type { ClusterView, PickRequest, SelectionPolicy } from './policy.js';

/**
 * Picks upstreams in index order. The turn moves to the one after the upstream picked, not
 * merely by one, so the upstream after an unusable one does not get its share as well:
 * with b out, a,b,c gives a,c,a,c and not a,c,c,a,c,c.
 */
export class RoundRobin implements SelectionPolicy {
  private next = 0;

  constructor(private readonly view: ClusterView) {}

  pick(req: PickRequest): number {
    const n = this.view.size;
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n;
      if (!eligible(this.view, req.tried, i)) continue;
      this.next = (i + 1) % n;
      return i;
    }
    return -1;
  }
}
