// Upstream state shared by the control plane and every worker through one
// SharedArrayBuffer, so a health flip or an ejection is seen by all workers
// without a message. Each upstream (numbered across all clusters, in config
// order) owns one slot.

const INTS = 4; // per slot: active health, in-flight, consecutive failures, spare
const ACTIVE = 0;
const INFLIGHT = 1;
const FAILURES = 2;

export interface UpstreamStateBuffers {
  ints: SharedArrayBuffer;
  /**
   * Per slot: the epoch millisecond until which the upstream is ejected by passive checks.
   * A Float64Array, not a BigInt64Array with Atomics: reading a BigInt allocates, and this is
   * read on every pick. Aligned 8-byte loads and stores do not tear on the platforms Node
   * runs on, and a stale read only delays an ejection by one request.
   */
  ejections: SharedArrayBuffer;
}

export class UpstreamStates {
  private readonly ints: Int32Array;
  private readonly ejections: Float64Array;

  constructor(readonly buffers: UpstreamStateBuffers) {
    this.ints = new Int32Array(buffers.ints);
    this.ejections = new Float64Array(buffers.ejections);
  }

  /** Fresh state for `count` upstreams: all healthy, none ejected, nothing in flight. */
  static create(count: number): UpstreamStates {
    const states = new UpstreamStates({
      ints: new SharedArrayBuffer(Math.max(1, count) * INTS * 4),
      ejections: new SharedArrayBuffer(Math.max(1, count) * 8),
    });
    for (let i = 0; i < count; i++) Atomics.store(states.ints, i * INTS + ACTIVE, 1);
    return states;
  }

  /** Whether the upstream may get traffic: healthy to active checks and not ejected at `nowMs`. */
  usable(slot: number, nowMs: number): boolean {
    if (Atomics.load(this.ints, slot * INTS + ACTIVE) === 0) return false;
    return this.ejections[slot] <= nowMs;
  }

  activeHealthy(slot: number): boolean {
    return Atomics.load(this.ints, slot * INTS + ACTIVE) === 1;
  }

  setActiveHealthy(slot: number, healthy: boolean): void {
    Atomics.store(this.ints, slot * INTS + ACTIVE, healthy ? 1 : 0);
  }

  ejectedUntil(slot: number): number {
    return this.ejections[slot];
  }

  inflight(slot: number): number {
    return Atomics.load(this.ints, slot * INTS + INFLIGHT);
  }

  acquire(slot: number): void {
    Atomics.add(this.ints, slot * INTS + INFLIGHT, 1);
  }

  release(slot: number): void {
    Atomics.sub(this.ints, slot * INTS + INFLIGHT, 1);
  }

  /**
   * Counts one failure seen by live traffic. When the run of failures reaches `maxFailures`
   * the upstream is ejected until `nowMs + ejectMs`; returns true only for the call that
   * ejected it, so the flip is logged once.
   */
  recordFailure(slot: number, nowMs: number, maxFailures: number, ejectMs: number): boolean {
    if (maxFailures <= 0) return false;
    const n = Atomics.add(this.ints, slot * INTS + FAILURES, 1) + 1;
    if (n !== maxFailures) return false;
    this.ejections[slot] = Math.ceil(nowMs + ejectMs);
    Atomics.store(this.ints, slot * INTS + FAILURES, 0);
    return true;
  }

  recordSuccess(slot: number): void {
    if (Atomics.load(this.ints, slot * INTS + FAILURES) !== 0) {
      Atomics.store(this.ints, slot * INTS + FAILURES, 0);
    }
  }
}
