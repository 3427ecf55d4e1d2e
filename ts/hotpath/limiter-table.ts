// GCRA buckets in a SharedArrayBuffer, so that the worker threads of one process share one
// count per key even though each holds its own WASM instance (or TypeScript code). The
// arithmetic is not here: the caller passes a pure GCRA step (the WASM module's, or the
// TypeScript reference's); this file only keeps each key's TAT and updates it atomically.
//
// Layout: a 16-byte header (a lock word and a 64-bit hash seed), then slots of 16 bytes:
// the key's 64-bit hash as two Int32 words (0, 0 = empty) and its TAT as a BigInt64.
//
// Protocol, and why it is exact:
// - A key lives in at most one slot, within the WINDOW slots after its home slot. Lookups
//   scan the window without locking and stop at the key or at the first empty slot.
// - A TAT changes only by Atomics.compareExchange from the value the step read, so two
//   workers that read the same TAT cannot both pass on it: the loser re-reads and steps again.
// - Placing a key (a miss) takes the table's lock, so one key is never placed twice; under
//   the lock the window is scanned again, and the key takes the first empty slot, or the
//   first slot whose bucket is full again (TAT <= now: its key is as good as absent).
// - Reusing a slot swaps its TAT to RECLAIMING, writes the new key, then the new key's TAT.
//   A slot's TAT only ever grows apart from that marker (a fresh key's TAT is now + T, above
//   the old TAT <= now), so a stale compareExchange can never succeed (no ABA), and readers
//   check the key again after reading the TAT, so they never step another key's bucket.
// - Empty slots are never emptied again, so a lookup never stops early at a hole.
//
// TODO(perf): placing a new key takes one lock for the whole table; a lock per window would
// let workers place different keys at once.
// TODO(security): the 64-bit key hash is two seeded multiplicative hashes, not a keyed PRF;
// a client who could learn the seed could aim for another key's bucket. SipHash would fix it.

import { HotPathError, type Decision, type Limiter, type LimiterSpec } from './types.js';

/** One pure GCRA step in microseconds, as both the WASM module and the reference supply. */
export interface GcraOutcome {
  /** The key's new TAT; unchanged when the request is denied. */
  tat: number;
  allowed: boolean;
  remaining: number;
  retryAfterUs: number;
  resetAfterUs: number;
}

/** Steps a key whose TAT is `tatUs` (0 for a fresh key) under one fixed quota. */
export type GcraStep = (tatUs: number, nowUs: number) => GcraOutcome;

/** Stable code thrown when every slot of a key's window holds a live bucket. */
export const TABLE_FULL = 'JETWAY_QUOTA_TABLE_FULL';

const HEADER_WORDS = 4;
const LOCK = 0;
const SEED_LO = 2;
const SEED_HI = 3;
const SLOT_WORDS = 4;
/** Slots a key may live in, from its home slot on; bounds every scan. */
const WINDOW = 32;
const RECLAIMING = -1n;

/** A zeroed table of `slots` slots (a power of two, at least WINDOW) with a random seed. */
export function createLimiterTableBuffer(slots: number): SharedArrayBuffer {
  if (!Number.isInteger(slots) || slots < WINDOW || (slots & (slots - 1)) !== 0) {
    throw new HotPathError(
      'JETWAY_HOTPATH_BAD_ARGUMENT',
      `limiterSlots: ${slots} (a power of two, at least ${WINDOW})`,
    );
  }
  const buffer = new SharedArrayBuffer((HEADER_WORDS + slots * SLOT_WORDS) * 4);
  crypto.getRandomValues(new Int32Array(buffer, SEED_LO * 4, 2));
  return buffer;
}

/** A worker's view of the shared table. */
export class LimiterTable {
  private readonly words: Int32Array;
  private readonly tats: BigInt64Array;
  private readonly mask: number;

  constructor(buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
    this.tats = new BigInt64Array(buffer);
    this.mask = (this.words.length - HEADER_WORDS) / SLOT_WORDS - 1;
  }

  /** A limiter for `id` under `spec`; the same id and spec share buckets in every worker. */
  limiter(id: string, spec: LimiterSpec, step: GcraStep): TableLimiter {
    const seed = `${id}\u0000${spec.rate}/${spec.periodMs}/${spec.burst}\u0000`;
    const lo = hashInto(this.words[SEED_LO]! ^ 0x811c9dc5, seed, 0x01000193);
    const hi = hashInto(this.words[SEED_HI]! ^ 0x2545f491, seed, 0x5bd1e995);
    return new TableLimiter(this, lo, hi, step);
  }

  /** Steps the key with hash (lo, hi) at `nowUs`. */
  check(lo: number, hi: number, step: GcraStep, nowUs: number): GcraOutcome {
    for (;;) {
      const slot = this.find(lo, hi);
      const out =
        slot >= 0 ? this.stepAt(slot, lo, hi, step, nowUs) : this.place(lo, hi, step, nowUs);
      if (out !== undefined) return out;
    }
  }

  private home(lo: number): number {
    return (lo ^ (lo >>> 16)) & this.mask;
  }

  private keyIs(slot: number, lo: number, hi: number): boolean {
    const at = HEADER_WORDS + slot * SLOT_WORDS;
    return Atomics.load(this.words, at) === lo && Atomics.load(this.words, at + 1) === hi;
  }

  private isEmpty(slot: number): boolean {
    return this.keyIs(slot, 0, 0);
  }

  private tatIndex(slot: number): number {
    return (HEADER_WORDS + slot * SLOT_WORDS + 2) / 2;
  }

  /** The slot holding (lo, hi), or -1; lock-free. */
  private find(lo: number, hi: number): number {
    const home = this.home(lo);
    for (let k = 0; k < WINDOW; k++) {
      const slot = (home + k) & this.mask;
      if (this.keyIs(slot, lo, hi)) return slot;
      if (this.isEmpty(slot)) return -1;
    }
    return -1;
  }

  /** One step on the key's slot; undefined when the slot no longer holds the key. */
  private stepAt(
    slot: number,
    lo: number,
    hi: number,
    step: GcraStep,
    nowUs: number,
  ): GcraOutcome | undefined {
    const index = this.tatIndex(slot);
    for (;;) {
      const tat = Atomics.load(this.tats, index);
      if (!this.keyIs(slot, lo, hi)) return undefined;
      if (tat === RECLAIMING) continue; // another worker is mid-way through reusing the slot

      const out = step(Number(tat), nowUs);
      if (!out.allowed) return out;
      if (Atomics.compareExchange(this.tats, index, tat, BigInt(out.tat)) === tat) return out;
    }
  }

  /** Places a missing key under the lock; undefined when the caller must look again. */
  private place(lo: number, hi: number, step: GcraStep, nowUs: number): GcraOutcome | undefined {
    this.lock();
    try {
      const slot = this.freeSlot(lo, hi, nowUs);
      if (slot === -2) return undefined; // the key arrived meanwhile: step it as found
      if (slot === -1) {
        throw new HotPathError(TABLE_FULL, `limiter table: all ${WINDOW} slots of a key are live`);
      }
      return this.claim(slot, lo, hi, step, nowUs);
    } finally {
      this.unlock();
    }
  }

  /** Under the lock: the slot to place the key in, -2 when it is present, -1 when full. */
  private freeSlot(lo: number, hi: number, nowUs: number): number {
    const home = this.home(lo);
    const now = BigInt(nowUs);
    for (let k = 0; k < WINDOW; k++) {
      const slot = (home + k) & this.mask;
      if (this.keyIs(slot, lo, hi)) return -2;
      if (this.isEmpty(slot)) return slot;

      const tat = Atomics.load(this.tats, this.tatIndex(slot));
      if (tat > 0n && tat <= now) return slot;
    }
    return -1;
  }

  /** Under the lock: gives `slot` to the key; undefined when the slot changed meanwhile. */
  private claim(
    slot: number,
    lo: number,
    hi: number,
    step: GcraStep,
    nowUs: number,
  ): GcraOutcome | undefined {
    const index = this.tatIndex(slot);
    const at = HEADER_WORDS + slot * SLOT_WORDS;
    const empty = this.isEmpty(slot);
    const old = Atomics.load(this.tats, index);
    const out = step(0, nowUs);

    // Reuse: the bucket must still be full again now (its key may have stepped meanwhile).
    // A fresh key always passes, and its TAT (now + T) is above `old`.
    if (!empty) {
      if (old <= 0n || old > BigInt(nowUs)) return undefined;
      if (Atomics.compareExchange(this.tats, index, old, RECLAIMING) !== old) return undefined;
    }
    Atomics.store(this.words, at + 1, hi);
    Atomics.store(this.words, at, lo);
    if (!empty) {
      Atomics.store(this.tats, index, BigInt(out.tat));
      return out;
    }

    // An empty slot: readers may have found the key already and stepped it from TAT 0.
    if (Atomics.compareExchange(this.tats, index, 0n, BigInt(out.tat)) === 0n) return out;
    return this.stepAt(slot, lo, hi, step, nowUs);
  }

  private lock(): void {
    while (Atomics.compareExchange(this.words, LOCK, 0, 1) !== 0) {
      Atomics.wait(this.words, LOCK, 1, 1);
    }
  }

  private unlock(): void {
    Atomics.store(this.words, LOCK, 0);
    Atomics.notify(this.words, LOCK, 1);
  }
}

/** A limiter whose buckets live in a LimiterTable. */
export class TableLimiter implements Limiter {
  constructor(
    private readonly table: LimiterTable,
    private readonly lo: number,
    private readonly hi: number,
    private readonly step: GcraStep,
  ) {}

  check(key: string, nowUs: number): Decision {
    const out = this.stepKey(key, nowUs);
    return {
      allowed: out.allowed,
      remaining: out.remaining,
      retryAfterMs: Math.ceil(out.retryAfterUs / 1000),
      resetMs: Math.ceil(out.resetAfterUs / 1000),
    };
  }

  /** The raw step in microseconds, for tests and benchmarks. */
  stepKey(key: string, nowUs: number): GcraOutcome {
    let lo = fmix32(hashInto(this.lo, key, 0x01000193));
    const hi = fmix32(hashInto(this.hi, key, 0x5bd1e995) ^ lo);
    if (lo === 0 && hi === 0) lo = 1; // (0, 0) marks an empty slot
    return this.table.check(lo, hi, this.step, Math.floor(nowUs));
  }
}

/** Continues a multiplicative (FNV-1a style) hash of `h` over the UTF-16 units of `text`. */
function hashInto(h: number, text: string, prime: number): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), prime);
  return h | 0;
}

/** MurmurHash3's 32-bit finaliser: spreads every input bit over the output. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
