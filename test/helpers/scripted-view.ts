// A ClusterView whose usability and load a test scripts directly, between picks.
import type { ClusterView } from '../../ts/balance/policy.js';

export class ScriptedView implements ClusterView {
  readonly size: number;
  readonly down = new Set<number>();
  readonly load: number[];

  constructor(readonly weights: readonly number[]) {
    this.size = weights.length;
    this.load = weights.map(() => 0);
  }

  weight(i: number): number {
    return this.weights[i];
  }

  usable(i: number): boolean {
    return !this.down.has(i);
  }

  inflight(i: number): number {
    return this.load[i];
  }
}

/** A PickRequest with defaults: client 192.0.2.1, no hash key, nothing tried. */
export function req(fields: { clientIp?: string; hashKey?: string; tried?: number[] } = {}) {
  return { clientIp: '192.0.2.1', hashKey: '', tried: [], ...fields };
}

/** `count` picks from `pick`, as letters (a = 0, b = 1, ...; '-' for -1). */
export function picks(count: number, pick: () => number): string {
  let out = '';
  for (let k = 0; k < count; k++) {
    const i = pick();
    out += i < 0 ? '-' : String.fromCharCode(97 + i);
  }
  return out;
}

/** How many times each upstream was picked in `count` picks. */
export function tally(size: number, count: number, pick: () => number): number[] {
  const counts = new Array<number>(size).fill(0);
  for (let k = 0; k < count; k++) counts[pick()]++;
  return counts;
}

/** A random source that replays `values` in order, then throws: a test states every draw. */
export function scriptedRandom(values: readonly number[]): () => number {
  let next = 0;
  return () => {
    if (next >= values.length) throw new Error(`random drawn more than ${values.length} times`);
    return values[next++];
  };
}

/** A seeded PRNG (mulberry32) for statistical tests that must not flake. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
