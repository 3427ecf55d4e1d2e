// IP ranges (CIDR) in plain TypeScript, with the Rust core's rules (`net.rs`, `CidrSet`):
// addresses parse exactly as Rust's `std::net` parses them, so that every backend agrees on
// which strings are addresses at all.
//
// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) counts as the IPv4 address it carries, in
// ranges (prefix >= 96) and in lookups; other IPv6 ranges never match IPv4 addresses. A set
// is kept as sorted, merged, disjoint intervals per family and searched by bisection, so a
// lookup costs O(log ranges) even for long deny lists.

import { HotPathError, type CidrSet } from '../types.js';

/** Stable code of the error thrown for a range that does not parse. */
export const CIDR_ERROR = 'JETWAY_CIDR_INVALID';

/** Output of `parseV6`: the address as four big-endian 32-bit words. Reused by every call. */
const words = new Uint32Array(4);
const groups = new Uint16Array(8);

/**
 * The IPv4 address in `s[start, end)` as an unsigned 32-bit number, or -1. Like Rust: four
 * decimal octets, each 1-3 digits, <= 255, no leading zero.
 */
export function parseV4(s: string, start: number, end: number): number {
  const at = readV4(s, start, end);
  return at >= 0 && pos === end ? at : -1;
}

/** Cursor of the last read; the readers below advance it. */
let pos = 0;

/** Reads an IPv4 address at `start`; leaves `pos` after it. Returns -1 when there is none. */
function readV4(s: string, start: number, end: number): number {
  pos = start;
  let value = 0;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (pos >= end || s.charCodeAt(pos) !== 0x2e) return -1;
      pos++;
    }
    const first = pos;
    let n = 0;
    while (pos < end && pos - first < 3) {
      const d = s.charCodeAt(pos) - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      pos++;
    }
    const digits = pos - first;
    if (digits === 0 || n > 255 || (digits > 1 && s.charCodeAt(first) === 0x30)) return -1;
    value = value * 256 + n;
  }
  return value;
}

/** Reads up to 4 hex digits at `pos`; returns the value or -1 when there is no digit. */
function readGroup(s: string, end: number): number {
  const first = pos;
  let n = 0;
  while (pos < end && pos - first < 4) {
    const c = s.charCodeAt(pos);
    const lower = c | 0x20; // folds A-F onto a-f
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (lower >= 0x61 && lower <= 0x66) d = lower - 0x57;
    else break;
    n = n * 16 + d;
    pos++;
  }
  return pos === first ? -1 : n;
}

/** Whether digits then a `.` follow `at`: only then can an IPv4 address start there. */
function dottedAhead(s: string, at: number, end: number): boolean {
  while (at < end) {
    const c = s.charCodeAt(at++);
    if (c === 0x2e) return true;
    if (c < 0x30 || c > 0x39) return false;
  }
  return false;
}

/**
 * Reads up to `limit` groups into `groups[offset..]`, as Rust's `read_groups`: a group may be
 * an embedded IPv4 address when two slots are left, which ends the run. Returns the count read
 * (negated minus one when the run ended in an IPv4 address).
 */
function readGroups(s: string, end: number, offset: number, limit: number): number {
  for (let i = 0; i < limit; i++) {
    const mark = pos;
    if (i > 0) {
      if (pos >= end || s.charCodeAt(pos) !== 0x3a) return i;
      pos++;
    }
    if (i < limit - 1 && dottedAhead(s, pos, end)) {
      const before = pos;
      const v4 = readV4(s, before, end);
      if (v4 >= 0) {
        groups[offset + i] = v4 >>> 16;
        groups[offset + i + 1] = v4 & 0xffff;
        return -(i + 2) - 1;
      }
      pos = before;
    }
    const g = readGroup(s, end);
    if (g < 0) {
      pos = mark;
      return i;
    }
    groups[offset + i] = g;
  }
  return limit;
}

/** Parses the IPv6 address in `s[start, end)` into `words`; false when it is not one. */
export function parseV6(s: string, start: number, end: number): boolean {
  groups.fill(0);
  pos = start;
  let head = readGroups(s, end, 0, 8);
  if (head < 0) {
    // An embedded IPv4 address may only end the address.
    if (-head - 1 !== 8) return false;
    head = 8;
  }
  if (head < 8) {
    if (end - pos < 2 || s.charCodeAt(pos) !== 0x3a || s.charCodeAt(pos + 1) !== 0x3a) {
      return false;
    }
    pos += 2;
    let tail = readGroups(s, end, head + 1, 8 - (head + 1));
    if (tail < 0) tail = -tail - 1;
    // The tail was read right after the head; move it to the end, zeros in between.
    const from = head + 1;
    groups.copyWithin(8 - tail, from, from + tail);
    groups.fill(0, head, 8 - tail);
  }
  if (pos !== end) return false;
  for (let k = 0; k < 4; k++) words[k] = ((groups[2 * k]! << 16) | groups[2 * k + 1]!) >>> 0;
  return true;
}

/** Whether `words` holds an IPv4-mapped address (::ffff:0:0/96). */
function mappedV4(): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}

/** A set of IP ranges; see the top of this file. */
export class ReferenceCidrSet implements CidrSet {
  /** IPv4 intervals: starts[i]..ends[i], inclusive, sorted and disjoint. */
  private readonly v4Starts: Uint32Array;
  private readonly v4Ends: Uint32Array;
  /** IPv6 intervals, 8 words each: start (4 words), end (4 words), sorted and disjoint. */
  private readonly v6: Uint32Array;

  constructor(ranges: readonly string[]) {
    const v4: Array<[number, number]> = [];
    const v6: Array<[bigint, bigint]> = [];
    ranges.forEach((range, i) => addRange(range, `ranges[${i}]`, v4, v6));
    const merged4 = mergeIntervals(v4);
    this.v4Starts = Uint32Array.from(merged4, (r) => r[0]);
    this.v4Ends = Uint32Array.from(merged4, (r) => r[1]);
    this.v6 = packV6(mergeIntervals(v6));
  }

  contains(ip: string): boolean {
    return this.containsSlice(ip, 0, ip.length);
  }

  /** `contains` for `s[start, end)`, without slicing. */
  containsSlice(s: string, start: number, end: number): boolean {
    const v4 = parseV4(s, start, end);
    if (v4 >= 0) return this.containsV4(v4);
    if (!parseV6(s, start, end)) return false;
    return mappedV4() ? this.containsV4(words[3]!) : this.containsV6();
  }

  private containsV4(ip: number): boolean {
    const starts = this.v4Starts;
    // The last interval that starts at or before ip.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= ip) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && ip <= this.v4Ends[lo - 1]!;
  }

  /** Whether the address in `words` lies in a v6 interval. */
  private containsV6(): boolean {
    const v6 = this.v6;
    let lo = 0;
    let hi = v6.length >>> 3;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareWords(v6, mid * 8) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && compareWords(v6, (lo - 1) * 8 + 4) >= 0;
  }
}

/** Compares v6[at..at+4] with `words`: negative, 0 or positive. */
function compareWords(v6: Uint32Array, at: number): number {
  for (let k = 0; k < 4; k++) {
    const d = v6[at + k]! - words[k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Adds one range, as strictly as the core: `address/prefix` or a bare address, no blanks, no
 * leading zero in the prefix, no host bits (`10.1.0.0/8` is an error, since such a typo could
 * trust the wrong clients). A mapped range with prefix >= 96 is its IPv4 range.
 */
function addRange(
  range: string,
  at: string,
  v4: Array<[number, number]>,
  v6: Array<[bigint, bigint]>,
): void {
  const why = rangeProblem(range, v4, v6);
  if (why !== null) throw new HotPathError(CIDR_ERROR, `${at}: "${range}": ${why}`);
}

/** Adds the range and returns null, or returns what is wrong with it. */
function rangeProblem(
  range: string,
  v4: Array<[number, number]>,
  v6: Array<[bigint, bigint]>,
): string | null {
  const slash = range.indexOf('/');
  const end = slash < 0 ? range.length : slash;
  const ip4 = parseV4(range, 0, end);
  if (ip4 < 0 && !parseV6(range, 0, end)) return 'not an IPv4 or IPv6 address';
  const family = ip4 >= 0 ? 32 : 128;
  const bits = slash < 0 ? family : prefixLength(range.slice(slash + 1));
  if (bits < 0 || bits > family) return 'bad prefix length';
  if (family === 128 && mappedV4() && bits >= 96) return pushV4(v4, words[3]!, bits - 96);
  return family === 32 ? pushV4(v4, ip4, bits) : pushV6(v6, bits);
}

const HOST_BITS = 'address has bits set beyond the prefix';

function pushV4(v4: Array<[number, number]>, ip: number, bits: number): string | null {
  const span = 2 ** (32 - bits);
  if (ip % span !== 0) return HOST_BITS;
  v4.push([ip, ip + span - 1]);
  return null;
}

/** Pushes the range of the address in `words`. */
function pushV6(v6: Array<[bigint, bigint]>, bits: number): string | null {
  let address = 0n;
  for (let k = 0; k < 4; k++) address = (address << 32n) | BigInt(words[k]!);
  const host = (1n << BigInt(128 - bits)) - 1n;
  if ((address & host) !== 0n) return HOST_BITS;
  v6.push([address, address | host]);
  return null;
}

/** A prefix length: `0`, or 1-3 digits without a leading zero; -1 otherwise. */
function prefixLength(text: string): number {
  return /^(0|[1-9][0-9]{0,2})$/.test(text) ? Number(text) : -1;
}

/** Sorts inclusive intervals and merges those that overlap or touch. */
function mergeIntervals<T extends number | bigint>(list: Array<[T, T]>): Array<[T, T]> {
  list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Array<[T, T]> = [];
  for (const [start, end] of list) {
    const last = out[out.length - 1];
    if (last !== undefined && touches(last[1], start)) {
      if (end > last[1]) last[1] = end;
    } else {
      out.push([start, end]);
    }
  }
  return out;
}

/** Whether an interval starting at `start` overlaps or touches one ending at `end`. */
function touches(end: number | bigint, start: number | bigint): boolean {
  return typeof end === 'bigint' ? start <= end + 1n : start <= (end as number) + 1;
}

function packV6(list: Array<[bigint, bigint]>): Uint32Array {
  const out = new Uint32Array(list.length * 8);
  list.forEach(([start, end], i) => {
    for (let k = 0; k < 4; k++) {
      const shift = BigInt(96 - 32 * k);
      out[i * 8 + k] = Number((start >> shift) & 0xffffffffn);
      out[i * 8 + 4 + k] = Number((end >> shift) & 0xffffffffn);
    }
  });
  return out;
}
