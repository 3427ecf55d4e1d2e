// Rate limits are exact across the worker threads of one process, with every backend:
// several workers fire at one limiter at the same instant, and exactly the quota passes.

import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, it } from 'node:test';

import { createHotPathShared } from '../../ts/hotpath/shared.js';
import type { Backend } from '../../ts/hotpath/types.js';
import type { LimiterWorkerData } from './limiter-worker.fixture.js';

const WORKERS = 4;
const script = fileURLToPath(new URL('./limiter-worker.fixture.js', import.meta.url));

interface Report {
  backend: Backend;
  passed: Record<string, number>;
}

/** Starts the workers, releases them together, and collects their reports. */
async function race(data: Omit<LimiterWorkerData, 'start'>): Promise<Report[]> {
  const start = new SharedArrayBuffer(8);
  const flags = new Int32Array(start);
  const workers = Array.from({ length: WORKERS }, () => {
    return new Worker(script, { workerData: { ...data, start } });
  });
  const reports = workers.map(
    (w) =>
      new Promise<Report>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`worker exited with ${code} before reporting`)));
      }),
  );

  const deadline = Date.now() + 20_000;
  while (Atomics.load(flags, 0) < WORKERS && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
  try {
    return await Promise.all(reports);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function total(reports: Report[], key: string): number {
  return reports.reduce((sum, r) => sum + (r.passed[key] ?? 0), 0);
}

for (const backend of ['native', 'wasm', 'ts'] as const) {
  describe(`${backend} limiter across ${WORKERS} worker threads`, () => {
    it('lets exactly the burst through when all workers check one key at once', async () => {
      const reports = await race({
        backend,
        shared: createHotPathShared(),
        limiterId: `threads-one-key-${backend}-${process.pid}-${Date.now()}`,
        spec: { rate: 10, periodMs: 1000, burst: 500 },
        keys: ['client-1'],
        checks: 400,
        nowUs: 1_700_000_000_000_000,
      });
      assert.deepEqual(
        reports.map((r) => r.backend),
        Array(WORKERS).fill(backend),
      );
      assert.equal(total(reports, 'client-1'), 500);
    });

    it('keeps a separate exact count per key when workers spread over many keys', async () => {
      const keys = Array.from({ length: 50 }, (_, i) => `client-${i}`);
      const reports = await race({
        backend,
        shared: createHotPathShared({ limiterSlots: 1024 }),
        limiterId: `threads-many-keys-${backend}-${process.pid}-${Date.now()}`,
        spec: { rate: 1, periodMs: 60_000, burst: 7 },
        keys,
        checks: 1000,
        nowUs: 1_700_000_000_000_000,
      });
      for (const key of keys) assert.equal(total(reports, key), 7, key);
    });
  });
}
