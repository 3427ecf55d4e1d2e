// The bounded load client of the instructions scenario: N keep-alive connections on loopback,
// each sending M requests one after another, so a batch is an exact number of requests, the
// divisor of instructions per request. The time-bounded generators (wrk, undici) stop
// mid-request and cannot say how many requests the proxy finished inside a window.
import { connect } from 'node:net';
import { ResponseReader, type Response } from './response-reader.js';

export interface BatchSpec {
  /** The contender's port on 127.0.0.1. */
  port: number;
  /** Every request is a GET of this path. */
  path: string;
  connections: number;
  requestsPerConnection: number;
  /** What every response must be; any other is counted as an error. */
  expect: { status: number; body: string };
  /** The whole batch's bound; connections still open then are cut. */
  timeoutMs: number;
}

export interface BatchResult {
  /** Responses that arrived complete, expected or not. */
  responses: number;
  /** Unexpected responses and failed connections, by kind (`status 502`, `ECONNRESET`, …). */
  errors: Record<string, number>;
  /** True when the batch hit its bound: the contender may be hung. */
  timedOut: boolean;
  durationMs: number;
}

/** The bytes of one request: what wrk sends, a request line and Host, nothing else. */
export function requestBytes(path: string, port: number): Buffer {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, 'latin1');
}

/** The error kind of a response that is not `expect`, or null when it is. */
export function responseError(r: Response, expect: BatchSpec['expect']): string | null {
  if (r.status !== expect.status) return `status ${r.status}`;
  return r.body.toString('latin1') === expect.body ? null : 'unexpected body';
}

/** Calls `fire` after `ms` unless the returned function is called first. */
export type Timer = (ms: number, fire: () => void) => () => void;

const realTimer: Timer = (ms, fire) => {
  const t = setTimeout(fire, ms);
  return () => clearTimeout(t);
};

/**
 * Runs one batch; resolves when every connection is done, failed or cut at the bound, which
 * `timer` measures.
 */
export async function runBatch(spec: BatchSpec, timer: Timer = realTimer): Promise<BatchResult> {
  const errors: Record<string, number> = {};
  const count = (kind: string): void => void (errors[kind] = (errors[kind] ?? 0) + 1);
  const request = requestBytes(spec.path, spec.port);
  const started = performance.now();
  const connections = Array.from({ length: spec.connections }, () =>
    openConnection(spec, request, count),
  );

  let timedOut = false;
  const cancel = timer(spec.timeoutMs, () => {
    timedOut = true;
    for (const c of connections) c.cut();
  });
  const received = await Promise.all(connections.map((c) => c.done));
  cancel();
  const responses = received.reduce((a, b) => a + b, 0);
  return { responses, errors, timedOut, durationMs: performance.now() - started };
}

interface Connection {
  /** Resolves to the responses received once the connection is closed. */
  done: Promise<number>;
  /** Ends it at once, counted as a timeout unless it had finished. */
  cut(): void;
}

/**
 * One connection's requests, each sent when the last response is complete. A failure is
 * counted once, under its kind, and ends the connection.
 */
function openConnection(
  spec: BatchSpec,
  request: Buffer,
  count: (kind: string) => void,
): Connection {
  const socket = connect({ host: '127.0.0.1', port: spec.port, noDelay: true });
  const reader = new ResponseReader();
  let received = 0;
  let failure: string | null = null;
  const fail = (kind: string): void => {
    failure ??= kind;
    socket.destroy();
  };

  socket.on('connect', () => socket.write(request));
  socket.on('data', (chunk: Buffer) => {
    let completed: Response[];
    try {
      completed = reader.push(chunk);
    } catch (err) {
      return fail((err as { code?: string }).code ?? 'unreadable response');
    }
    for (const r of completed) {
      const kind = responseError(r, spec.expect);
      if (kind !== null) count(kind);
    }
    received += completed.length;
    if (received >= spec.requestsPerConnection) return void socket.end();
    // One request in flight: the next leaves once this one's response is whole.
    if (completed.length > 0 && reader.partialBytes === 0) socket.write(request);
  });
  socket.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'socket error'));

  const done = new Promise<number>((resolve) => {
    socket.on('close', () => {
      if (failure === null && received < spec.requestsPerConnection) failure = 'closed early';
      if (failure !== null) count(failure);
      resolve(received);
    });
  });
  const cut = (): void => {
    if (received < spec.requestsPerConnection) fail('timeout');
  };
  return { done, cut };
}
