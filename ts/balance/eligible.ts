// Shared by every selection policy: whether an upstream may be picked for this request.
import type { ClusterView } from './policy.js';

/** Whether `i` is in `tried`. A loop, not `includes`, keeps the usual empty case trivial. */
export function isTried(tried: readonly number[], i: number): boolean {
  for (let k = 0; k < tried.length; k++) if (tried[k] === i) return true;
  return false;
}

/** Whether upstream `i` was not tried for this request and is usable now (the dearer check). */
export function eligible(view: ClusterView, tried: readonly number[], i: number): boolean {
  return !isTried(tried, i) && view.usable(i);
}

/** The weights of the cluster, read once: a config reload builds a new policy. */
export function readWeights(view: ClusterView): Int32Array {
  const weights = new Int32Array(view.size);
  for (let i = 0; i < view.size; i++) weights[i] = Math.max(1, Math.floor(view.weight(i)));
  return weights;
}
