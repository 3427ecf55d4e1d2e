// State that every worker thread of one process shares, whatever hot-path backend it loads.
// The control plane creates it once and hands it to each worker (it is structured-cloneable:
// SharedArrayBuffers are shared, not copied).

import { createLimiterTableBuffer } from './limiter-table.js';

export interface HotPathShared {
  /** The GCRA table used by the WASM and TypeScript backends (see limiter-table.ts). */
  readonly limiterTable: SharedArrayBuffer;
}

export interface HotPathSharedOptions {
  /**
   * Slots in the limiter table, a power of two (65536). Each slot holds one key of one
   * limiter while its bucket is not full again, in 16 bytes.
   */
  limiterSlots?: number;
}

/** Creates the shared state; call once per process, on the control plane. */
export function createHotPathShared(options: HotPathSharedOptions = {}): HotPathShared {
  return { limiterTable: createLimiterTableBuffer(options.limiterSlots ?? 65536) };
}
