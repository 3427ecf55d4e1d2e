// consistent_hash: the request's hash key on a ring (ketama or maglev), built by the hot path.
import type { Ring } from '../hotpath/types.js';
import { eligible } from './eligible.js';
import type { ClusterView, PickRequest, SelectionPolicy } from './policy.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

/**
 * Asks the ring for the key's upstream (`attempt` 0), then for the next distinct upstreams
 * (attempt 1, 2, ...) until one is usable and untried, so an unusable upstream's keys move to
 * their next upstream on the ring and every other key stays where it was. Returns -1 once the
 * ring has offered every upstream.
 *
 * A request without a key (`hashKey` '') is spread by smooth weighted round robin: nginx would
 * hash the empty string and send every such request to one upstream.
 *
 * The ring is built by the caller, named by address as the config's upstream list is:
 * `hotpath.compileRing(algorithm, upstreams.map((u) => ({ name: u.address, weight: u.weight })))`.
 *
 * TODO(perf): each attempt crosses into the ring and hashes the key again; a ring call that
 * takes the usable set and returns the first usable upstream would cross and hash once.
 */
export class ConsistentHash implements SelectionPolicy {
  private readonly fallback: WeightedRoundRobin;

  constructor(
    private readonly view: ClusterView,
    private readonly ring: Ring,
  ) {
    this.fallback = new WeightedRoundRobin(view);
  }

  pick(req: PickRequest): number {
    if (req.hashKey === '') return this.fallback.pick(req);
    for (let attempt = 0; attempt < this.view.size; attempt++) {
      const i = this.ring.pick(req.hashKey, attempt);
      if (i < 0) break;
      if (eligible(this.view, req.tried, i)) return i;
    }
    return -1;
  }
}
