// The undici load generator: worker threads, each with its own Pool and HDR histogram, so the
// generator is not held to one core while it measures others; their histograms are merged.
import { Worker } from 'node:worker_threads';
import { curveOf, mergeHistograms } from './histogram.js';
import { share, type WorkerJob, type WorkerResult } from './undici-job.js';
import { addCounts } from '../stats.js';
import { GeneratorError, type LoadGenerator, type LoadRun } from './types.js';

/** Time the threads get to start before the shared warm-up begins. */
const STARTUP_MS = 300;

function runThread(job: WorkerJob, limitMs: number): Promise<WorkerResult> {
  const worker = new Worker(new URL('./undici-worker.js', import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    // Bounded: a thread that has not answered by then is stopped and the run fails.
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(
        new GeneratorError(
          'BENCH_GENERATOR_FAILED',
          `undici thread gave no result in ${limitMs} ms`,
        ),
      );
    }, limitMs);
    worker.once('message', (msg: WorkerResult | { error: string }) => {
      clearTimeout(timer);
      if ('error' in msg) reject(new GeneratorError('BENCH_GENERATOR_FAILED', msg.error));
      else resolve(msg);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export const undiciGenerator: LoadGenerator = {
  name: 'undici',
  async run(spec, hooks): Promise<LoadRun> {
    const threads = Math.max(1, Math.min(spec.threads, spec.connections));
    const startAt = Date.now() + STARTUP_MS;
    const conns = share(spec.connections, threads);
    const rates = spec.rate === undefined ? [] : share(spec.rate, threads);
    const limitMs = STARTUP_MS + spec.warmupMs + spec.durationMs + spec.timeoutMs + 10_000;

    const jobs = conns.map((connections, i): WorkerJob => ({
      origin: spec.origin,
      request: spec.request,
      connections,
      ...(spec.rate !== undefined && { rate: rates[i] }),
      ...{ startAt, warmupMs: spec.warmupMs, durationMs: spec.durationMs },
      timeoutMs: spec.timeoutMs,
      keyOffset: i * 7919,
    }));
    const started = setTimeout(() => hooks.measureStart(), startAt + spec.warmupMs - Date.now());
    const ended = setTimeout(
      () => hooks.measureEnd(),
      startAt + spec.warmupMs + spec.durationMs - Date.now(),
    );
    try {
      const results = await Promise.all(jobs.map((j) => runThread(j, limitMs)));
      return merge(results, spec.durationMs, spec.rate !== undefined);
    } finally {
      clearTimeout(started);
      clearTimeout(ended);
    }
  },
};

function merge(results: readonly WorkerResult[], durationMs: number, open: boolean): LoadRun {
  const sum = (f: (r: WorkerResult) => number): number => results.reduce((n, r) => n + f(r), 0);
  const sent = sum((r) => r.requests + r.errors);
  return {
    generator: 'undici',
    requests: sum((r) => r.requests),
    errors: sum((r) => r.errors),
    errorKinds: addCounts(results.map((r) => r.errorKinds)),
    badStatus: sum((r) => r.badStatus),
    bytes: sum((r) => r.bytes),
    durationMs,
    curve: curveOf(mergeHistograms(results.map((r) => r.histogram))),
    ...(open && {
      generatorLate: {
        share: sent > 0 ? sum((r) => r.lateSends) / sent : 0,
        maxMs: Math.max(...results.map((r) => r.maxLateMs)),
      },
    }),
  };
}
