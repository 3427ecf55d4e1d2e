// GCRA (the generic cell rate algorithm, ITU-T I.371), the token bucket behind every quota,
// in plain TypeScript with the same arithmetic as the Rust core's `gcra.rs`.
//
// A key's whole state is one number, its theoretical arrival time (TAT): the instant at which
// its bucket would be full again. With emission interval T = period / rate and tolerance
// tau = T * (burst - 1), a request at `now` passes iff max(TAT, now) - now <= tau; passing moves
// TAT to max(TAT, now) + T. Times are integer microseconds; TAT 0 means a fresh key.

import type { GcraOutcome } from '../limiter-table.js';
import { HotPathError, type Decision, type Limiter, type LimiterSpec } from '../types.js';

export type { GcraOutcome };

/** Stable code of the error thrown for an unusable quota. */
export const QUOTA_ERROR = 'JETWAY_QUOTA_INVALID';

export interface Quota {
  /** T: microseconds between two requests at the sustained rate (period / rate, rounded down). */
  readonly emissionIntervalUs: number;
  /** tau: how far ahead of `now` a key's TAT may run, T * (burst - 1). */
  readonly toleranceUs: number;
}

/** A quota of `rate` requests per `periodUs` with `burst`; throws when T would be 0. */
export function quota(rate: number, periodUs: number, burst: number): Quota {
  const valid = [rate, periodUs, burst].every((v) => Number.isSafeInteger(v) && v >= 1);
  const emissionIntervalUs = valid ? Math.floor(periodUs / rate) : 0;
  if (emissionIntervalUs < 1) {
    throw new HotPathError(
      QUOTA_ERROR,
      `quota: rate ${rate} per ${periodUs} us with burst ${burst} is not usable ` +
        '(integers >= 1 and at most one request per microsecond)',
    );
  }
  return { emissionIntervalUs, toleranceUs: emissionIntervalUs * (burst - 1) };
}

/** The quota of a LimiterSpec; its period is in milliseconds, cut to whole microseconds. */
export function quotaOf(spec: LimiterSpec): Quota {
  return quota(spec.rate, Math.floor(spec.periodMs * 1000), spec.burst);
}

/**
 * Checks one request at `nowUs` against a key whose TAT is `tatUs` (0 for a fresh key). Pure:
 * the caller stores `tat` back. `remaining` counts how many more requests at `nowUs` would
 * pass: the k-th further one passes iff newTat + (k - 1) * T - now <= tau, so it is
 * floor((tau - (newTat - now)) / T) + 1, never below 0.
 */
export function gcraStep(q: Quota, tatUs: number, nowUs: number): GcraOutcome {
  const t = tatUs > nowUs ? tatUs : nowUs;
  const ahead = t - nowUs;
  if (ahead > q.toleranceUs) {
    const retryAfterUs = ahead - q.toleranceUs;
    return { tat: tatUs, allowed: false, remaining: 0, retryAfterUs, resetAfterUs: ahead };
  }
  const resetAfterUs = ahead + q.emissionIntervalUs;
  const left = q.toleranceUs - resetAfterUs;
  const remaining = left < 0 ? 0 : Math.floor(left / q.emissionIntervalUs) + 1;
  return { tat: t + q.emissionIntervalUs, allowed: true, remaining, retryAfterUs: 0, resetAfterUs };
}

/** A Decision in milliseconds; durations round up so that no client retries too early. */
export function decisionOf(o: GcraOutcome): Decision {
  return {
    allowed: o.allowed,
    remaining: o.remaining,
    retryAfterMs: Math.ceil(o.retryAfterUs / 1000),
    resetMs: Math.ceil(o.resetAfterUs / 1000),
  };
}

/** Smallest key count at which a sweep for full buckets is considered. */
const SWEEP_FLOOR = 1024;

/**
 * Keyed GCRA state in one Map, private to the thread that owns it. A key whose bucket is full
 * again (TAT <= now) is indistinguishable from a fresh key, so sweeps drop such keys; a sweep
 * runs when the map has doubled since the last one, which keeps it amortised O(1) per check.
 */
export class MapLimiter implements Limiter {
  private readonly tats = new Map<string, number>();
  private sweepAt = SWEEP_FLOOR;

  constructor(readonly quota: Quota) {}

  /** Keys currently held. */
  get size(): number {
    return this.tats.size;
  }

  check(key: string, nowUs: number): Decision {
    return decisionOf(this.step(key, nowUs));
  }

  /** The raw step, in microseconds; updates the key's state. */
  step(key: string, nowUs: number): GcraOutcome {
    const tat = this.tats.get(key);
    if (tat !== undefined) {
      const out = gcraStep(this.quota, tat, nowUs);
      if (out.allowed) this.tats.set(key, out.tat);
      return out;
    }
    // A fresh key always passes; room is made for it first.
    const out = gcraStep(this.quota, 0, nowUs);
    if (this.tats.size >= this.sweepAt) this.sweep(nowUs);
    this.tats.set(key, out.tat);
    return out;
  }

  /** Drops every key whose bucket is full again at `nowUs`. */
  sweep(nowUs: number): void {
    for (const [key, tat] of this.tats) if (tat <= nowUs) this.tats.delete(key);
    this.sweepAt = Math.max(SWEEP_FLOOR, this.tats.size * 2);
  }
}
