// Stable codes of the errors the hot-path loaders and bindings throw (HotPathError.code).
// The core's own codes (JETWAY_PATH_*, JETWAY_ROUTE_INVALID, JETWAY_CIDR_INVALID,
// JETWAY_QUOTA_INVALID) pass through unchanged from every backend.

import { HotPathError } from './types.js';

/** A quota that no limiter can enforce (the core's code). */
export const QUOTA_INVALID = 'JETWAY_QUOTA_INVALID';
/** A forced backend (JETWAY_HOTPATH) could not be loaded; the message says why. */
export const UNAVAILABLE = 'JETWAY_HOTPATH_UNAVAILABLE';
/** JETWAY_HOTPATH names no backend. */
export const BAD_BACKEND = 'JETWAY_HOTPATH_BAD_BACKEND';
/** A Rust panic (native) or trap (WASM) was caught at the boundary: a bug in the core. */
export const PANIC = 'JETWAY_HOTPATH_PANIC';
/** An argument has the right type but a value the hot path cannot take. */
export const BAD_ARGUMENT = 'JETWAY_HOTPATH_BAD_ARGUMENT';

/** Bits of NormalizeOptions as both bindings take them. */
export function optionFlags(o: {
  allowEncodedSlash: boolean;
  allowBackslash: boolean;
  mergeSlashes: boolean;
}): number {
  return (o.allowEncodedSlash ? 1 : 0) | (o.allowBackslash ? 2 : 0) | (o.mergeSlashes ? 4 : 0);
}

/**
 * A LimiterSpec as the bindings take it: integers, the period in microseconds. Values that
 * do not fit throw JETWAY_QUOTA_INVALID here, since a u32 argument would wrap a negative
 * rate into a huge one; the core refuses zeros and too-fine rates with the same code.
 */
export function quotaArgs(spec: { rate: number; periodMs: number; burst: number }): {
  rate: number;
  periodUs: number;
  burst: number;
} {
  const periodUs = Math.round(spec.periodMs * 1000);
  const fits = (n: number, max: number) => Number.isInteger(n) && n >= 0 && n <= max;
  if (!fits(spec.rate, 0xffffffff) || !fits(spec.burst, 0xffffffff) || !fits(periodUs, 2 ** 53)) {
    const what = `rate ${spec.rate}, periodMs ${spec.periodMs}, burst ${spec.burst}`;
    throw new HotPathError(QUOTA_INVALID, `quota: ${what}: expected whole numbers >= 0`);
  }
  return { rate: spec.rate, periodUs, burst: spec.burst };
}
