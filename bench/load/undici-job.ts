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

/** Splits `total` into `parts` integers that differ by at most one. */
export function share(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0),
  );
}
