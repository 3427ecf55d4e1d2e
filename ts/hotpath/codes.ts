// Stable codes of the errors the hot-path loaders and bindings throw (HotPathError.code).
// The core's own codes (JETWAY_PATH_*, JETWAY_ROUTE_INVALID, JETWAY_CIDR_INVALID,
// JETWAY_QUOTA_INVALID) pass through unchanged from every backend.

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
