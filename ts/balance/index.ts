// Builds the selection policy a cluster's config names.
import type { ClusterConfig, PolicyName } from '../config/schema.js';
import type { Ring } from '../hotpath/types.js';
import { ConsistentHash } from './consistent-hash.js';
import { IpHash } from './ip-hash.js';
import { LeastConn } from './least-conn.js';
import type { ClusterView, SelectionPolicy } from './policy.js';
import { RandomTwo } from './random-two.js';
import { RoundRobin } from './round-robin.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

export type { ClusterView, PickRequest, SelectionPolicy } from './policy.js';
export { StatesView } from './view.js';

export type BalanceErrorCode = 'JETWAY_POLICY_RING_MISSING' | 'JETWAY_POLICY_VIEW_SIZE';

/** Thrown when a policy cannot be built from what it was given; `code` is stable. */
export class BalanceError extends Error {
  constructor(
    readonly code: BalanceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BalanceError';
  }
}

/**
 * The selection policy for `cluster`, picking over `view` (one upstream per entry of
 * `cluster.upstreams`, same order). `ring` is required for consistent_hash and ignored
 * otherwise; `random` (Math.random) feeds random_two. Each worker builds its own: round-robin
 * state is per worker, in-flight counts in the view are shared.
 *
 * TODO(balance): every worker's rotation starts at upstream 0, so at low traffic spread over
 * many workers the first upstreams get more than their share; starting each worker at its own
 * offset (from its worker id) would even that out.
 */
export function createPolicy(
  cluster: ClusterConfig,
  view: ClusterView,
  ring?: Ring,
  random: () => number = Math.random,
): SelectionPolicy {
  if (view.size !== cluster.upstreams.length) {
    const sizes = `${view.size} in the view, ${cluster.upstreams.length} in the config`;
    throw new BalanceError('JETWAY_POLICY_VIEW_SIZE', `cluster "${cluster.name}": ${sizes}`);
  }
  return build(cluster.policy, cluster.name, view, ring, random);
}

function build(
  policy: PolicyName,
  name: string,
  view: ClusterView,
  ring: Ring | undefined,
  random: () => number,
): SelectionPolicy {
  switch (policy) {
    case 'round_robin':
      return new RoundRobin(view);
    case 'weighted_round_robin':
      return new WeightedRoundRobin(view);
    case 'least_conn':
      return new LeastConn(view);
    case 'ip_hash':
      return new IpHash(view);
    case 'random_two':
      return new RandomTwo(view, random);
    case 'consistent_hash':
      if (ring) return new ConsistentHash(view, ring);
      throw new BalanceError(
        'JETWAY_POLICY_RING_MISSING',
        `cluster "${name}": consistent_hash needs a ring from hotpath.compileRing`,
      );
  }
}
