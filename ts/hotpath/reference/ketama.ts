// Ketama consistent hashing, point for point the ring of nginx's `hash $key consistent`
// (ngx_http_upstream_hash_module, nginx 1.22), so a cluster moved between nginx and Jetway keeps
// its key-to-upstream mapping.
//
// Each upstream "host:port" gets 160 points per unit of weight (nginx's constant). The base hash
// is CRC32 of host, one NUL byte and port; point j is CRC32 of the base followed by the
// previous point's hash as four little-endian bytes (0 for the first point). The ring is the
// points sorted by hash with duplicate hashes dropped (the first upstream keeps the point). A
// key lands on the first point whose hash is >= CRC32(key), wrapping at the end.

import type { Ring } from '../types.js';

/** Points per unit of weight, as in nginx's ngx_http_upstream_init_chash. */
export const POINTS_PER_WEIGHT = 160;

/** The CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) byte table. */
const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c;
}

/** Feeds one byte into a running (un-finalised) CRC. */
function crcByte(crc: number, b: number): number {
  return CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
}

const utf8 = new TextEncoder();

/**
 * Feeds the UTF-8 encoding of `s` into a running CRC; a lone surrogate counts as U+FFFD, as
 * when the string is encoded for the native backends. ASCII is fed without encoding.
 */
export function crcString(crc: number, s: string): number {
  const start = crc;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return crcBytes(start, utf8.encode(s));
    crc = CRC_TABLE[(crc ^ c) & 0xff]! ^ (crc >>> 8);
  }
  return crc;
}

function crcBytes(crc: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return crc;
}

/** CRC-32 of the UTF-8 encoding of `s`, as an unsigned 32-bit number. */
export function crc32(s: string): number {
  return ~crcString(-1, s) >>> 0;
}

/** CRC-32 of the bytes. */
export function crc32Bytes(bytes: Uint8Array): number {
  return ~crcBytes(-1, bytes) >>> 0;
}

/** Room for the upstream index beside the hash in one exactly representable double. */
const INDEX_SCALE = 2 ** 21;

/** A ketama ring; see the top of this file. */
export class KetamaRing implements Ring {
  /** Point hashes, ascending and distinct. */
  private readonly hashes: Uint32Array;
  /** The upstream of each point. */
  private readonly owners: Int32Array;
  /** Upstreams that own at least one point; attempts beyond this return -1. */
  private readonly reachable: number;
  /** Per-upstream stamp of the last walk that met it; see `fallback`. */
  private readonly seen: Uint32Array;
  private walk = 0;

  constructor(upstreams: ReadonlyArray<{ name: string; weight: number }>) {
    if (upstreams.length >= INDEX_SCALE) throw new RangeError('too many upstreams for a ring');
    const keyed = buildPoints(upstreams);
    keyed.sort();
    const hashes = new Uint32Array(keyed.length);
    const owners = new Int32Array(keyed.length);
    const owned = new Uint8Array(upstreams.length);
    let n = 0;
    for (let i = 0; i < keyed.length; i++) {
      const hash = Math.floor(keyed[i]! / INDEX_SCALE);
      if (n > 0 && hashes[n - 1] === hash) continue;
      hashes[n] = hash;
      owners[n] = keyed[i]! - hash * INDEX_SCALE;
      owned[owners[n]!] = 1;
      n++;
    }
    this.hashes = hashes.subarray(0, n);
    this.owners = owners.subarray(0, n);
    this.reachable = owned.reduce((sum, o) => sum + o, 0);
    this.seen = new Uint32Array(upstreams.length);
  }

  pick(key: string, attempt: number): number {
    // As the bindings read it (a 32-bit integer): 1.5 is 1, NaN is 0, a negative is none.
    attempt |= 0;
    if (attempt < 0 || attempt >= this.reachable) return -1;
    const start = this.pointFor(crc32(key));
    return attempt === 0 ? this.owners[start]! : this.fallback(start, attempt);
  }

  /** The index of the first point whose hash is >= `hash`, wrapping to 0. */
  private pointFor(hash: number): number {
    const hashes = this.hashes;
    let lo = 0;
    let hi = hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === hashes.length ? 0 : lo;
  }

  /** The `attempt`-th distinct upstream met walking clockwise from point `start`. */
  private fallback(start: number, attempt: number): number {
    // Stamps instead of a fresh set per call: a walk allocates nothing.
    const stamp = (this.walk = (this.walk + 1) >>> 0 || this.resetStamps());
    const n = this.owners.length;
    let distinct = 0;
    for (let k = 0; k < n; k++) {
      const owner = this.owners[(start + k) % n]!;
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

/** Every point as hash * INDEX_SCALE + upstream, so a numeric sort orders by hash, then index. */
function buildPoints(upstreams: ReadonlyArray<{ name: string; weight: number }>): Float64Array {
  const total = upstreams.reduce((sum, u) => sum + pointCount(u.weight), 0);
  const keyed = new Float64Array(total);
  let n = 0;
  upstreams.forEach((u, index) => {
    const base = baseHash(u.name);
    let prev = 0;
    for (let j = pointCount(u.weight); j > 0; j--) {
      let crc = base;
      for (let b = 0; b < 32; b += 8) crc = crcByte(crc, (prev >>> b) & 0xff);
      prev = ~crc >>> 0;
      keyed[n++] = prev * INDEX_SCALE + index;
    }
  });
  return keyed;
}

function pointCount(weight: number): number {
  return weight > 0 ? Math.floor(weight) * POINTS_PER_WEIGHT : 0;
}

/**
 * The running CRC of host, NUL, port. As nginx does: `unix:` names have no port; otherwise the
 * port is the run of digits after the last ':' (none when the name does not end in `:digits`).
 */
function baseHash(name: string): number {
  let host = name;
  let port = '';
  if (name.length >= 5 && name.slice(0, 5).toLowerCase() === 'unix:') {
    host = name.slice(5);
  } else {
    let i = name.length;
    while (i > 0 && name.charCodeAt(i - 1) >= 0x30 && name.charCodeAt(i - 1) <= 0x39) i--;
    if (i > 0 && name.charCodeAt(i - 1) === 0x3a) {
      host = name.slice(0, i - 1);
      port = name.slice(i);
    }
  }
  return crcString(crcByte(crcString(-1, host), 0), port);
}
