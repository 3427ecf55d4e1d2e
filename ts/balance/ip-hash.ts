// ip_hash: one client address, one upstream, compatible with nginx's ip_hash.
import { eligible, readWeights } from './eligible.js';
import { parseIp } from './ip-address.js';
import type { ClusterView, PickRequest, SelectionPolicy } from './policy.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

/** nginx's constants: the start value and the two primes of its ip_hash. */
const SEED = 89;
const MULTIPLIER = 113;
const MODULUS = 6271;
/** Rehashes after the first pick before giving up on the hash, as nginx does. */
const MAX_REHASH = 20;

/**
 * nginx's ip_hash (ngx_http_upstream_ip_hash_module): starting from 89, each byte b of the
 * address gives hash = (hash * 113 + b) % 6271; hash % total weight then walks the upstreams'
 * weights to one upstream. Bytes hashed: the first three octets of an IPv4 address, so one /24
 * sticks to one upstream exactly as it does behind nginx, and all 16 bytes of an IPv6 address
 * (also as nginx). IPv4-mapped IPv6 counts as IPv4 (nginx would hash all 16 bytes).
 *
 * When the upstream found is unusable or tried, the hash is run over the bytes again from
 * where it stands, up to 20 more times; then, or when the address is not an IP address at
 * all (nginx pins such clients to one upstream), smooth weighted round robin picks instead.
 */
export class IpHash implements SelectionPolicy {
  private readonly weights: Int32Array;
  private readonly totalWeight: number;
  private readonly fallback: WeightedRoundRobin;
  /** Scratch for the parsed address; reused, so a pick allocates nothing. */
  private readonly address = new Uint8Array(16);

  constructor(private readonly view: ClusterView) {
    this.weights = readWeights(view);
    this.totalWeight = this.weights.reduce((sum, w) => sum + w, 0);
    this.fallback = new WeightedRoundRobin(view);
  }

  pick(req: PickRequest): number {
    const length = parseIp(req.clientIp, this.address);
    if (length === 0 || this.weights.length < 2) return this.fallback.pick(req);
    const bytes = length === 4 ? 3 : 16;

    let hash = SEED;
    for (let tries = 0; tries <= MAX_REHASH; tries++) {
      for (let k = 0; k < bytes; k++) hash = (hash * MULTIPLIER + this.address[k]) % MODULUS;
      const i = this.upstreamAt(hash % this.totalWeight);
      if (eligible(this.view, req.tried, i)) return i;
    }
    return this.fallback.pick(req);
  }

  /** The upstream whose stretch of [0, total weight) holds `w`. */
  private upstreamAt(w: number): number {
    let i = 0;
    while (w >= this.weights[i]) w -= this.weights[i++];
    return i;
  }
}
