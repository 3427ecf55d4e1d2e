// The clock every limiter check uses. Worker threads each have their own
// `performance.timeOrigin`, but origin + now is the same wall-clock instant on
// every thread (to well under a millisecond), so buckets shared between
// threads see one time line.

/** Microseconds since the Unix epoch, monotonic within a thread. */
export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
