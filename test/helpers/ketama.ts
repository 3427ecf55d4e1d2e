// A ketama ring as nginx builds it for `hash $key consistent` (ngx_http_upstream_hash_module),
// written from the algorithm's description for the selection-policy tests. The hot path has
// its own, checked against nginx's picks; this one only has to be a real ring.
import type { Ring } from '../../ts/hotpath/types.js';

/** nginx's points per unit of weight. */
const POINTS_PER_WEIGHT = 160;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE) running state: start at 0xffffffff, xor with it at the end. */
function crcUpdate(crc: number, bytes: Uint8Array): number {
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return crc >>> 0;
}

export function crc32(bytes: Uint8Array): number {
  return (crcUpdate(0xffffffff, bytes) ^ 0xffffffff) >>> 0;
}

/**
 * Each upstream `host:port` gets 160 * weight points: the first is crc32 of host, a NUL, port
 * and four zero bytes; each next one chains the previous point (little-endian) after the same
 * prefix. A key goes to the first point at or after crc32(key), wrapping around.
 */
export function ketamaRing(upstreams: ReadonlyArray<{ name: string; weight: number }>): Ring {
  const points: Array<{ hash: number; upstream: number }> = [];
  upstreams.forEach((u, upstream) => {
    const colon = u.name.lastIndexOf(':');
    const prefix = `${u.name.slice(0, colon)}\0${u.name.slice(colon + 1)}`;
    const base = crcUpdate(0xffffffff, Buffer.from(prefix, 'latin1'));
    const prev = Buffer.alloc(4);
    for (let j = 0; j < POINTS_PER_WEIGHT * u.weight; j++) {
      const hash = (crcUpdate(base, prev) ^ 0xffffffff) >>> 0;
      points.push({ hash, upstream });
      prev.writeUInt32LE(hash);
    }
  });
  points.sort((a, b) => a.hash - b.hash || a.upstream - b.upstream);
  return { pick: (key, attempt) => walk(points, upstreams.length, key, attempt) };
}

/** The `attempt`-th distinct upstream met clockwise from the key's point. */
function walk(
  points: ReadonlyArray<{ hash: number; upstream: number }>,
  count: number,
  key: string,
  attempt: number,
): number {
  if (attempt >= count) return -1;
  const hash = crc32(Buffer.from(key));
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].hash < hash) lo = mid + 1;
    else hi = mid;
  }

  const seen = new Set<number>();
  for (let k = 0; k < points.length; k++) {
    const upstream = points[(lo + k) % points.length].upstream;
    if (seen.has(upstream)) continue;
    if (seen.size === attempt) return upstream;
    seen.add(upstream);
  }
  return -1;
}
