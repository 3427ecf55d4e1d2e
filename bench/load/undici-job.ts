// The message between the undici generator and its threads.
import type { RequestShape } from '../scenarios.js';

export interface WorkerJob {
  origin: string;
  request: RequestShape;
  /** This thread's share of the connections. */
  connections: number;
  /** This thread's share of an open loop's rate (requests/s), or undefined. */
  rate?: number;
  /** Epoch milliseconds at which warm-up starts in every thread at once. */
  startAt: number;
  warmupMs: number;
  durationMs: number;
  timeoutMs: number;
  /** Where this thread's key sequence starts, so threads do not send the same keys together. */
  keyOffset: number;
}

export interface WorkerResult {
  requests: number;
  errors: number;
  /** Errors by kind: undici's error code, or "dropped" for an open-loop request not sent. */
  errorKinds: Record<string, number>;
  badStatus: number;
  bytes: number;
  /** Open loop: requests of the window that left more than LATE_MS after they were due. */
  lateSends: number;
  /** Open loop: the furthest behind its schedule the sender was, in ms. */
  maxLateMs: number;
  histogram: string;
}

/** A send this late means the generator itself, not the contender, fell behind. */
export const LATE_MS = 2;

/**
 * Where an open-loop request's latency is timed from, given when it was due and when it left:
 * a late one from when it was due, so the delay counts against the contender (no coordinated
 * omission); an early one from when it left, so it is not flattered. `lateMs` is how late it
 * left (0 when early).
 */
export function openLoopStart(due: number, left: number): { from: number; lateMs: number } {
  return { from: Math.min(due, left), lateMs: Math.max(0, left - due) };
}

/** Splits `total` into `parts` integers that differ by at most one. */
export function share(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0),
  );
}
