// The TypeScript backend as the loader hands it out: the reference implementation
// (reference/) for everything but rate limits, whose buckets go in the process's shared
// table so that worker threads count together, as with the other two backends.

import { LimiterTable } from './limiter-table.js';
import { gcraStep, quotaOf } from './reference/gcra.js';
import { createReferenceHotPath } from './reference/index.js';
import type { HotPathShared } from './shared.js';
import type { HotPath, Limiter, LimiterSpec } from './types.js';

/** The reference backend with its limiters over `shared`'s table. */
export function createTsHotPath(shared: HotPathShared): HotPath {
  const reference = createReferenceHotPath();
  const table = new LimiterTable(shared.limiterTable);
  return {
    backend: 'ts',
    normalizePath: (rawPath, options) => reference.normalizePath(rawPath, options),
    compileRouter: (routes, options) => reference.compileRouter(routes, options),
    compileRing: (algorithm, upstreams) => reference.compileRing(algorithm, upstreams),
    compileCidrs: (ranges) => reference.compileCidrs(ranges),
    clientAddress: (peer, xff, forwarded, trusted) =>
      reference.clientAddress(peer, xff, forwarded, trusted),
    limiter(id: string, spec: LimiterSpec): Limiter {
      const quota = quotaOf(spec);
      return table.limiter(id, spec, (tatUs, nowUs) => gcraStep(quota, tatUs, nowUs));
    },
  };
}
