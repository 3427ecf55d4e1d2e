// A worker thread for hotpath-limiter-threads.test.ts: loads the forced backend over the
// shared state, waits at a start line shared with its siblings, fires its checks at one
// limiter with a fixed clock, and reports how many passed. Run as a plain file (the test
// runner may pick it up) it does nothing.

import { isMainThread, parentPort, workerData } from 'node:worker_threads';

import { loadHotPath } from '../../ts/hotpath/load.js';
import type { HotPathShared } from '../../ts/hotpath/shared.js';
import type { Backend, LimiterSpec } from '../../ts/hotpath/types.js';

export interface LimiterWorkerData {
  backend: Backend;
  shared: HotPathShared;
  /** Int32Array over a SharedArrayBuffer: [0] counts workers ready, [1] is the start flag. */
  start: SharedArrayBuffer;
  limiterId: string;
  spec: LimiterSpec;
  keys: string[];
  checks: number;
  nowUs: number;
}

if (!isMainThread && parentPort !== null) {
  const data = workerData as LimiterWorkerData;
  const { hotpath } = loadHotPath(data.shared, { JETWAY_HOTPATH: data.backend });
  const limiter = hotpath.limiter(data.limiterId, data.spec);
  const start = new Int32Array(data.start);

  Atomics.add(start, 0, 1);
  Atomics.wait(start, 1, 0);

  const passed: Record<string, number> = {};
  for (let i = 0; i < data.checks; i++) {
    const key = data.keys[i % data.keys.length]!;
    if (limiter.check(key, data.nowUs).allowed) passed[key] = (passed[key] ?? 0) + 1;
  }
  parentPort.postMessage({ backend: hotpath.backend, passed });
}
