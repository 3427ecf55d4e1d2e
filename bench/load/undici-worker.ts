// One thread of the undici load generator: a Pool of keep-alive connections to the contender,
// driven as a closed loop (each connection sends its next request when the last one is done)
// or an open loop (requests leave on a fixed schedule, and each one's latency counts from when
// it was due, not from when it left, so a stalled proxy cannot hide its stall: no coordinated
// omission).
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { encodeHistogram, newHistogram } from './histogram.js';
import { LATE_MS, openLoopStart, type WorkerJob, type WorkerResult } from './undici-job.js';

const job = workerData as WorkerJob;
const histogram = newHistogram();
const result: Omit<WorkerResult, 'histogram'> = {
  ...{ requests: 0, errors: 0, errorKinds: {}, badStatus: 0, bytes: 0 },
  ...{ lateSends: 0, maxLateMs: 0 },
};

// performance.now() of the moment warm-up starts in every thread.
const t0 = performance.now() + (job.startAt - Date.now());
const measureFrom = t0 + job.warmupMs;
const measureTo = measureFrom + job.durationMs;

const pool = new Pool(job.origin, {
  connections: job.connections,
  pipelining: 1,
  keepAliveTimeout: 60_000,
  headersTimeout: job.timeoutMs,
  bodyTimeout: job.timeoutMs,
});
const payload = job.request.bodyBytes > 0 ? Buffer.alloc(job.request.bodyBytes, 'x') : undefined;
let sent = job.keyOffset;

/** One exchange, the whole response body read; resolves to the status. */
async function exchange(): Promise<number> {
  const key = job.request.keyHeader;
  const headers: Record<string, string> = key ? { [key.name]: String(sent % key.keys) } : {};
  if (payload) headers['content-type'] = 'application/octet-stream';
  sent++;
  const { path, method } = job.request;
  const res = await pool.request({ path, method, headers, body: payload });
  result.bytes += await drain(res.body);
  return res.statusCode;
}

/**
 * Reads a body to its end and counts its bytes. Listening for 'data' costs far less per
 * response than `for await` over the stream (about 5x the requests/s on small bodies here).
 */
function drain(body: NodeJS.ReadableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    body.on('data', (chunk: Buffer) => (bytes += chunk.length));
    body.once('end', () => resolve(bytes));
    body.once('error', reject);
  });
}

/**
 * Records an exchange timed from `from` that ended now. A closed loop counts exchanges that
 * started and ended inside the window; an open loop counts those that were due inside it.
 */
function count(from: number, due: number | null, status: number | Error): void {
  const end = performance.now();
  const inWindow = due !== null ? due >= measureFrom : from >= measureFrom && end <= measureTo;
  if (!inWindow) return;
  if (typeof status !== 'number') {
    failed((status as { code?: string }).code ?? status.name);
    return;
  }
  result.requests++;
  if (status >= 400) result.badStatus++;
  histogram.recordValue(Math.max(1, Math.round((end - from) * 1000)));
}

async function closedLoop(): Promise<void> {
  while (performance.now() < measureTo) {
    const from = performance.now();
    try {
      count(from, null, await exchange());
    } catch (err) {
      count(from, null, err as Error);
      // A refused or reset connection fails at once; do not spin on it.
      await sleep(1);
    }
  }
}

/**
 * Requests leave when due; the timer wakes up to 1 ms late, so those due within the next
 * millisecond leave together. An exchange is timed from when it was due, or from when it left
 * if that was earlier: a contender that falls behind pays for every request it delayed, and
 * one sent a little early is not flattered. Past `cap` requests in flight, new ones are errors.
 * TODO(bench): the generator's own lateness (the timer's, up to ~1 ms; a busy machine's, more,
 * which late() reports) is charged to the contender too; a native open-loop generator
 * (wrk2-like) would shrink it.
 */
async function openLoop(rate: number): Promise<void> {
  const interval = 1000 / rate;
  const cap = job.connections * 16;
  const pending = new Set<Promise<void>>();
  for (let i = 0; ; i++) {
    const due = t0 + i * interval;
    if (due >= measureTo) break;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(Math.floor(wait));
    if (pending.size >= cap) {
      // The contender is this far behind; a request that cannot be sent is an error.
      if (due >= measureFrom) failed('dropped');
      continue;
    }
    const { from, lateMs } = openLoopStart(due, performance.now());
    if (due >= measureFrom) late(lateMs);
    const p: Promise<void> = exchange().then(
      (status) => count(from, due, status),
      (err: Error) => count(from, due, err),
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }
  await Promise.race([Promise.all(pending), sleep(job.timeoutMs)]);
}

function failed(kind: string): void {
  result.errors++;
  result.errorKinds[kind] = (result.errorKinds[kind] ?? 0) + 1;
}

/** Notes how far behind its own schedule the sender was: a busy machine shows here first. */
function late(ms: number): void {
  if (ms > LATE_MS) result.lateSends++;
  result.maxLateMs = Math.max(result.maxLateMs, ms);
}

async function main(): Promise<void> {
  const wait = t0 - performance.now();
  if (wait > 0) await sleep(wait);
  if (job.rate !== undefined) await openLoop(job.rate);
  else await Promise.all(Array.from({ length: job.connections }, () => closedLoop()));
  await pool.destroy();
  parentPort?.postMessage({
    ...result,
    histogram: encodeHistogram(histogram),
  } satisfies WorkerResult);
}

main().catch((err: unknown) => {
  parentPort?.postMessage({ error: String((err as Error)?.stack ?? err) });
});
