// The plain TypeScript hot path: the third implementation of `HotPath`, beside the native
// addon and the WASM build of the Rust core. It pins the semantics in the conformance suite
// and is the "plain TypeScript" column of the micro-benchmarks; one file per algorithm.

import { LimiterTable } from '../limiter-table.js';
import type { HotPathShared } from '../shared.js';
import {
  HotPathError,
  type CidrSet,
  type HotPath,
  type Limiter,
  type LimiterSpec,
  type NormalizeOptions,
  type RingAlgorithm,
} from '../types.js';
import { ReferenceCidrSet } from './cidr.js';
import { clientAddress } from './forwarded.js';
import { gcraStep, MapLimiter, quotaOf } from './gcra.js';
import { KetamaRing } from './ketama.js';
import { MaglevRing } from './maglev.js';
import { normalize, pathErrorCode } from './normalize.js';
import { compileRouter } from './router.js';

/**
 * The reference backend. With `shared` (from createHotPathShared), its limiters keep their
 * buckets in the process-wide SharedArrayBuffer table, so limits are exact across worker
 * threads as with the other backends; without it, each limiter is a Map private to this
 * thread (tests, benchmarks, single-threaded tools).
 */
export function createReferenceHotPath(shared?: HotPathShared): HotPath {
  const table = shared === undefined ? null : new LimiterTable(shared.limiterTable);
  return new ReferenceHotPath(table);
}

class ReferenceHotPath implements HotPath {
  readonly backend = 'ts' as const;
  /** Thread-local limiters by id, with the spec each was made for (no shared table only). */
  private readonly limiters = new Map<string, { spec: string; limiter: Limiter }>();

  constructor(private readonly table: LimiterTable | null) {}

  normalizePath(rawPath: string, options: NormalizeOptions): string {
    const path = normalize(rawPath, options);
    if (typeof path === 'string') return path;
    const code = pathErrorCode(path);
    throw new HotPathError(code, `path "${rawPath.slice(0, 200)}" cannot be normalised: ${code}`);
  }

  compileRouter = compileRouter;

  compileRing(
    algorithm: RingAlgorithm,
    upstreams: ReadonlyArray<{ name: string; weight: number }>,
  ) {
    return algorithm === 'maglev' ? new MaglevRing(upstreams) : new KetamaRing(upstreams);
  }

  limiter(id: string, spec: LimiterSpec): Limiter {
    const quota = quotaOf(spec);
    if (this.table !== null) {
      // The table keys buckets by id and spec, so a new spec for an id starts afresh too.
      return this.table.limiter(id, spec, (tatUs, nowUs) => gcraStep(quota, tatUs, nowUs));
    }
    const key = `${spec.rate}/${spec.periodMs}/${spec.burst}`;
    const held = this.limiters.get(id);
    if (held !== undefined && held.spec === key) return held.limiter;
    const limiter = new MapLimiter(quota);
    this.limiters.set(id, { spec: key, limiter });
    return limiter;
  }

  compileCidrs(ranges: readonly string[]): CidrSet {
    return new ReferenceCidrSet(ranges);
  }

  clientAddress = clientAddress;
}
