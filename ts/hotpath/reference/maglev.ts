// Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
// Balancer", NSDI 2016, section 3.4) in plain TypeScript, slot for slot the table of the Rust
// core's `maglev.rs`:
//
// - hash64(bytes) = fmix64(FNV-1a 64 of the UTF-8 bytes) (MurmurHash3's 64-bit finaliser);
// - an upstream with h = hash64(name) starts at h % M and steps by
//   fmix64(h ^ 0x9E3779B97F4A7C15) % (M - 1) + 1, M = 65537;
// - weights are divided by their greatest common divisor; upstreams take turns in the order
//   of their names' bytes (ties by list position), each claiming `weight` free slots per turn;
// - a key goes to table[hash64(key) % M]; attempt n > 0 is the n-th distinct upstream of
//   table[fmix64(h ^ a) % M] for a = 1..32, then of the slots after h % M in table order.
//
// JavaScript has no fast 64-bit integers, so 64-bit values are pairs of unsigned 32-bit
// halves (BigInt would allocate on every step).

import type { Ring } from '../types.js';

/** The table size: a prime, so every skip generates a full permutation of the slots. */
export const TABLE_SIZE = 65537;

/** Rehashes of the key tried before a fallback walks the table slot by slot. */
const REHASHES = 32;

/** Result of the 64-bit helpers below: high and low halves, unsigned. */
let hi = 0;
let lo = 0;

/** Unsigned high 32 bits of the 64-bit product of two unsigned 32-bit numbers. */
function mulHigh(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const cross1 = a1 * b0;
  const cross2 = a0 * b1;
  const mid = ((a0 * b0) >>> 16) + (cross1 & 0xffff) + (cross2 & 0xffff);
  return (a1 * b1 + (cross1 >>> 16) + (cross2 >>> 16) + Math.floor(mid / 0x10000)) >>> 0;
}

/** (hi, lo) = (xh, xl) * (mh, ml) mod 2^64. */
function mul64(xh: number, xl: number, mh: number, ml: number): void {
  const high = mulHigh(xl, ml) + Math.imul(xh, ml) + Math.imul(xl, mh);
  lo = Math.imul(xl, ml) >>> 0;
  hi = high >>> 0;
}

/** (hi, lo) = fmix64((xh, xl)). */
function fmix64(xh: number, xl: number): void {
  // x ^= x >> 33: the high half shifted by one lands in the low half.
  xl = (xl ^ (xh >>> 1)) >>> 0;
  mul64(xh, xl, 0xff51afd7, 0xed558ccd);
  xl = (lo ^ (hi >>> 1)) >>> 0;
  mul64(hi, xl, 0xc4ceb9fe, 0x1a85ec53);
  lo = (lo ^ (hi >>> 1)) >>> 0;
}

const FNV_PRIME_LOW = 0x1b3; // the FNV-1a 64 prime is 2^40 + 0x1b3
const utf8 = new TextEncoder();

/**
 * (hi, lo) = hash64 of the UTF-8 encoding of `s` (a lone surrogate counts as U+FFFD, as when
 * the string is encoded for the native backends). ASCII keys are hashed without encoding.
 */
function hash64(s: string): void {
  let h = 0xcbf29ce4 | 0;
  let l = 0x84222325 | 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return hash64Bytes(utf8.encode(s));
    // (h, l) ^= c, then (h, l) *= 2^40 + 0x1b3, in 32-bit halves; `carry` is the high half
    // of l * 0x1b3, computed in 16-bit pieces so that every step stays exact.
    const x = l ^ c;
    const carry = ((x >>> 16) * FNV_PRIME_LOW + (((x & 0xffff) * FNV_PRIME_LOW) >>> 16)) >>> 16;
    h = (Math.imul(h, FNV_PRIME_LOW) + carry + (x << 8)) | 0;
    l = Math.imul(x, FNV_PRIME_LOW);
  }
  fmix64(h >>> 0, l >>> 0);
}

function hash64Bytes(bytes: Uint8Array): void {
  let h = 0xcbf29ce4 | 0;
  let l = 0x84222325 | 0;
  for (let i = 0; i < bytes.length; i++) {
    const x = l ^ bytes[i]!;
    const carry = ((x >>> 16) * FNV_PRIME_LOW + (((x & 0xffff) * FNV_PRIME_LOW) >>> 16)) >>> 16;
    h = (Math.imul(h, FNV_PRIME_LOW) + carry + (x << 8)) | 0;
    l = Math.imul(x, FNV_PRIME_LOW);
  }
  fmix64(h >>> 0, l >>> 0);
}

/** hash64 of `s` as one BigInt, for tests and tools (the lookups use the halves). */
export function hash64Value(s: string): bigint {
  hash64(s);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** fmix64 of `x` (taken mod 2^64) as one BigInt, for tests and tools. */
export function fmix64Value(x: bigint): bigint {
  fmix64(Number((x >> 32n) & 0xffffffffn), Number(x & 0xffffffffn));
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * (h, l) % 65537. As 2^16 = -1 (mod 65537), a 64-bit number is congruent to the alternating
 * sum of its 16-bit digits, which small-integer arithmetic computes exactly.
 */
function modTable(h: number, l: number): number {
  const r = ((l & 0xffff) - (l >>> 16) + (h & 0xffff) - (h >>> 16)) % TABLE_SIZE;
  return r < 0 ? r + TABLE_SIZE : r;
}

/** A Maglev lookup table; see the top of this file. */
export class MaglevRing implements Ring {
  /** table[slot] is an upstream index; empty when no upstream has weight. */
  private readonly table: Int32Array;
  private readonly pickable: number;
  private readonly seen: Uint32Array;
  private walk = 0;

  constructor(upstreams: ReadonlyArray<{ name: string; weight: number }>) {
    const weights = upstreams.map((u) => (u.weight > 0 ? Math.floor(u.weight) : 0));
    const any = weights.some((w) => w > 0);
    this.table = any ? populate(upstreams, weights) : new Int32Array(0);
    const owned = new Uint8Array(upstreams.length);
    for (let i = 0; i < this.table.length; i++) owned[this.table[i]!] = 1;
    this.pickable = owned.reduce((sum, o) => sum + o, 0);
    this.seen = new Uint32Array(upstreams.length);
  }

  /** Slots owned by each upstream, in list order (for tests and metrics). */
  shares(): number[] {
    const shares = new Array<number>(this.seen.length).fill(0);
    for (let i = 0; i < this.table.length; i++) shares[this.table[i]!]!++;
    return shares;
  }

  pick(key: string, attempt: number): number {
    // As the bindings read it (a 32-bit integer): 1.5 is 1, NaN is 0, a negative is none.
    attempt |= 0;
    if (attempt < 0 || attempt >= this.pickable) return -1;
    hash64(key);
    const first = this.table[modTable(hi, lo)]!;
    return attempt === 0 ? first : this.fallback(hi, lo, first, attempt);
  }

  /** The `attempt`-th distinct upstream after `first`, in the order stated at the top. */
  private fallback(h: number, l: number, first: number, attempt: number): number {
    const stamp = (this.walk = (this.walk + 1) >>> 0 || this.resetStamps());
    this.seen[first] = stamp;
    let distinct = 1;
    const total = REHASHES + TABLE_SIZE - 1;
    const home = modTable(h, l);
    for (let k = 1; k <= total; k++) {
      let slot: number;
      if (k <= REHASHES) {
        fmix64(h, (l ^ k) >>> 0);
        slot = modTable(hi, lo);
      } else {
        slot = (home + k - REHASHES) % TABLE_SIZE;
      }
      const owner = this.table[slot]!;
      if (this.seen[owner] === stamp) continue;
      if (distinct++ === attempt) return owner;
      this.seen[owner] = stamp;
    }
    return -1;
  }

  private resetStamps(): number {
    this.seen.fill(0);
    return 1;
  }
}

function populate(
  upstreams: ReadonlyArray<{ name: string }>,
  weights: readonly number[],
): Int32Array {
  const divisor = weights.reduce(gcd, 0);
  const names = upstreams.map((u) => Buffer.from(u.name, 'utf8'));
  const order = weights.map((_, i) => i).filter((i) => weights[i]! > 0);
  order.sort((a, b) => Buffer.compare(names[a]!, names[b]!) || a - b);

  // One walker per upstream in turn order, in flat arrays for the fill loop below.
  const count = order.length;
  const next = new Int32Array(count);
  const skip = new Int32Array(count);
  const turns = new Float64Array(count);
  order.forEach((index, w) => {
    hash64(upstreams[index]!.name);
    next[w] = modTable(hi, lo);
    fmix64((hi ^ 0x9e3779b9) >>> 0, (lo ^ 0x7f4a7c15) >>> 0);
    // M - 1 = 65536 = 2^16, so the remainder is the low 16 bits.
    skip[w] = (lo & 0xffff) + 1;
    turns[w] = weights[index]! / divisor;
  });

  const table = new Int32Array(TABLE_SIZE).fill(-1);
  let filled = 0;
  for (;;) {
    for (let w = 0; w < count; w++) {
      const owner = order[w]!;
      for (let k = turns[w]!; k > 0; k--) {
        // Every walk is a full permutation of a prime-sized table: a free slot is found.
        let slot = next[w]!;
        while (table[slot] !== -1) slot = (slot + skip[w]!) % TABLE_SIZE;
        table[slot] = owner;
        next[w] = slot;
        if (++filled === TABLE_SIZE) return table;
      }
    }
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
