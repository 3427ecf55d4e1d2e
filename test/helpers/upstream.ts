// A scripted upstream: a plain `net` server that records every byte each connection sends it,
// parses the requests (pipelined or not) and answers each one from a script. Scripts can
// answer normally, stall, send partial bodies, reset, close, or echo what they received.
import net from 'node:net';
import {
  BodyReader,
  headerValue,
  headerValues,
  parseHead,
  requestFraming,
  type HeaderList,
} from './http1.js';

export interface UpstreamRequest {
  /** Connection number on this upstream, from 1. */
  conn: number;
  /** Position of the request on its connection, from 0. */
  index: number;
  method: string;
  /** The request target exactly as received: path and query. */
  target: string;
  version: string;
  headers: HeaderList;
  /** The head bytes exactly as received. */
  rawHead: Buffer;
  /** The body's first bytes (up to 1 MiB); see bodyLength and bodySha256 for all of it. */
  body: Buffer;
  bodyLength: number;
  bodySha256: string;
  /** Whether the whole body arrived (false for a request whose connection ended early). */
  complete: boolean;
  /** When the head arrived (performance.now()). */
  at: number;
  /** Bytes this connection had written before the request arrived (for per-request counts). */
  writtenBefore: number;
}

export interface ConnectionRecord {
  id: number;
  remotePort: number;
  /** Every byte received on the connection (kept up to 4 MiB; see bytesReceived). */
  received: Buffer[];
  bytesReceived: number;
  /** Bytes this side wrote that the kernel has taken (socket.bytesWritten). */
  bytesWritten(): number;
  requests: UpstreamRequest[];
  openedAt: number;
  /** When the connection ended (performance.now()), undefined while open. */
  closedAt?: number;
  /** Who ended it first: the peer (FIN or reset) or this upstream. */
  closedBy?: 'peer' | 'upstream';
  /** A parse problem; parsing stops there but bytes are still recorded. */
  parseError?: string;
}

export type Handler = (req: UpstreamRequest, reply: Reply) => void | Promise<void>;

export interface UpstreamOptions {
  /** Echoed in `x-upstream` and in echo bodies ("u"). */
  name?: string;
  /** Port to listen on (0: chosen by the kernel). */
  port?: number;
  /** Closes a connection after it has been idle this long, as servers with short keep-alive do. */
  idleCloseMs?: number;
  handler?: Handler;
}

const RECORD_LIMIT = 4 << 20;

/** Answers for one request; each method writes to that request's connection. */
export class Reply {
  constructor(
    readonly socket: net.Socket,
    private readonly upstream: ScriptedUpstream,
    readonly req: UpstreamRequest,
  ) {}

  /** A complete response; Content-Length is added unless the headers frame the body themselves. */
  send(status: number, body: string | Buffer = '', headers: HeaderList = []): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const framed = headers.some(([n]) => /^(content-length|transfer-encoding)$/i.test(n));
    const all: HeaderList = [['x-upstream', this.upstream.name], ...headers];
    if (!framed) all.push(['content-length', String(bytes.length)]);
    this.raw(Buffer.concat([responseHead(status, all), bytes]));
  }

  /** Writes bytes exactly as given. */
  raw(bytes: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** A JSON echo of what the upstream received: its name, method, target, headers, body size. */
  echo(status = 200, extra: HeaderList = []): void {
    const r = this.req;
    const body = JSON.stringify({
      upstream: this.upstream.name,
      method: r.method,
      target: r.target,
      headers: r.headers,
      bodyLength: r.bodyLength,
      bodySha256: r.bodySha256,
    });
    this.send(status, body, [['content-type', 'application/json'], ...extra]);
  }

  /** Never answers: the request hangs until someone closes the connection. */
  stall(): Promise<void> {
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  /** Sends a TCP reset (RST) instead of an answer. */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  /** Closes the connection cleanly (FIN) without an answer. */
  close(): void {
    this.socket.end();
  }

  /**
   * A 200 with `total` body bytes (Content-Length), written with backpressure from `chunk`
   * repeated. Resolves when all was handed to the kernel, or when the connection closed.
   */
  async stream(total: number, chunk: Buffer, headers: HeaderList = []): Promise<number> {
    this.send(200, '', [['content-length', String(total)], ...headers]);
    let sent = 0;
    while (sent < total && !this.socket.destroyed) {
      const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
      sent += piece.length;
      if (!this.socket.write(piece)) await drained(this.socket);
    }
    return sent;
  }
}

function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** A status line and headers, with the blank line. */
export function responseHead(status: number, headers: HeaderList, reason?: string): Buffer {
  const lines = [`HTTP/1.1 ${status} ${reason ?? REASONS[status] ?? 'Status'}`];
  for (const [n, v] of headers) lines.push(`${n}: ${v}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

const REASONS: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  304: 'Not Modified',
  400: 'Bad Request',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Default script: echo every request. */
export const echo: Handler = (_req, reply) => reply.echo();

export class ScriptedUpstream {
  readonly name: string;
  handler: Handler;
  readonly connections: ConnectionRecord[] = [];
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private portNumber: number;
  private readonly idleCloseMs: number | undefined;
  private readsHeld = false;

  constructor(options: UpstreamOptions = {}) {
    this.name = options.name ?? 'u';
    this.handler = options.handler ?? echo;
    this.portNumber = options.port ?? 0;
    this.idleCloseMs = options.idleCloseMs;
  }

  get port(): number {
    return this.portNumber;
  }

  /** `127.0.0.1:PORT`, as written in a cluster's upstream list. */
  get address(): string {
    return `127.0.0.1:${this.portNumber}`;
  }

  /** Every complete or partial request, over all connections, in arrival order of heads. */
  get requests(): UpstreamRequest[] {
    return this.connections.flatMap((c) => c.requests).sort((a, b) => a.at - b.at);
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Starts (or restarts, on the same port) accepting connections. */
  async listen(): Promise<this> {
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => resolve());
    });
    this.portNumber = (server.address() as net.AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops accepting and destroys open connections; later connects are refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Stops reading on every connection, open now or accepted later, until the returned function
   * is called: the kernel buffers fill and the sender must hold its bytes back.
   */
  holdReads(): () => void {
    this.readsHeld = true;
    for (const s of this.sockets) s.pause();
    return () => {
      this.readsHeld = false;
      for (const s of this.sockets) s.resume();
    };
  }

  /** Forgets the requests recorded so far; open connections keep their records. */
  clear(): void {
    for (const c of this.connections) c.requests.length = 0;
  }

  /** Resolves once `pred` holds for the recorded requests, polled every 10 ms. */
  async waitForRequests(
    pred: (reqs: UpstreamRequest[]) => boolean,
    timeoutMs = 5000,
  ): Promise<UpstreamRequest[]> {
    const deadline = performance.now() + timeoutMs;
    while (!pred(this.requests)) {
      if (performance.now() > deadline) {
        const seen = this.requests.map((r) => `${r.method} ${r.target}`).join(', ');
        throw new Error(`${this.name}: condition not met in ${timeoutMs} ms; saw [${seen}]`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.requests;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const record = newRecord(this.connections.length + 1, socket);
    this.connections.push(record);
    const conn = new UpstreamConnection(this, socket, record, this.idleCloseMs);
    if (this.readsHeld) socket.pause();
    socket.on('close', () => {
      this.sockets.delete(socket);
      conn.closed();
    });
  }
}

function newRecord(id: number, socket: net.Socket): ConnectionRecord {
  return {
    id,
    remotePort: socket.remotePort ?? 0,
    received: [],
    bytesReceived: 0,
    bytesWritten: () => socket.bytesWritten,
    requests: [],
    openedAt: performance.now(),
  };
}

/** One accepted connection: records bytes, parses requests, runs the script in order. */
class UpstreamConnection {
  private buf: Buffer = Buffer.alloc(0);
  private current: { req: UpstreamRequest; body: BodyReader } | undefined;
  private readonly queue: UpstreamRequest[] = [];
  private running = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private endedByUs = false;

  constructor(
    private readonly upstream: ScriptedUpstream,
    private readonly socket: net.Socket,
    private readonly record: ConnectionRecord,
    private readonly idleCloseMs: number | undefined,
  ) {
    socket.on('data', (d) => this.data(d));
    socket.on('error', () => undefined);
    socket.on('end', () => this.markClosed('peer'));
    this.armIdle();
  }

  closed(): void {
    clearTimeout(this.idleTimer);
    this.markClosed(this.endedByUs ? 'upstream' : 'peer');
    if (this.current) this.finish(false);
  }

  private markClosed(by: 'peer' | 'upstream'): void {
    if (this.record.closedAt !== undefined) return;
    this.record.closedAt = performance.now();
    this.record.closedBy = by;
  }

  private armIdle(): void {
    if (this.idleCloseMs === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.running || this.current) return this.armIdle();
      this.endedByUs = true;
      this.markClosed('upstream');
      this.socket.end();
    }, this.idleCloseMs);
  }

  private data(d: Buffer): void {
    const kept = this.record.bytesReceived;
    this.record.bytesReceived += d.length;
    if (kept < RECORD_LIMIT) this.record.received.push(d.subarray(0, RECORD_LIMIT - kept));
    if (this.record.parseError) return;
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    try {
      this.parse();
    } catch (err) {
      this.record.parseError = (err as Error).message;
    }
    this.armIdle();
  }

  // Alternates between heads and bodies until the buffered bytes run out.
  private parse(): void {
    let at = 0;
    while (at < this.buf.length) {
      if (!this.current) {
        while (this.buf.subarray(at, at + 2).toString() === '\r\n') at += 2;
        const parsed = parseHead(this.buf, at);
        if (!parsed) break;
        at = parsed.end;
        this.begin(parsed.head.startLine, parsed.head.headers, parsed.head.raw);
      } else {
        const next = this.current.body.feed(this.buf, at);
        if (next === at && !this.current.body.done) break; // needs more bytes
        at = next;
      }
      if (this.current?.body.done) this.finish(true);
    }
    this.buf = this.buf.subarray(at);
  }

  private begin(startLine: string, headers: HeaderList, rawHead: Buffer): void {
    const [method = '', target = '', version = ''] = startLine.split(' ');
    const { framing, length } = requestFraming(headers);
    const req: UpstreamRequest = {
      conn: this.record.id,
      index: this.record.requests.length,
      method,
      target,
      version,
      headers,
      rawHead,
      body: Buffer.alloc(0),
      bodyLength: 0,
      bodySha256: '',
      complete: false,
      at: performance.now(),
      writtenBefore: this.socket.bytesWritten,
    };
    this.record.requests.push(req);
    this.current = { req, body: new BodyReader(framing, length) };
  }

  private finish(complete: boolean): void {
    const { req, body } = this.current!;
    this.current = undefined;
    req.body = body.body;
    req.bodyLength = body.length;
    req.bodySha256 = body.sha256;
    req.complete = complete;
    if (complete) {
      this.queue.push(req);
      void this.run();
    }
  }

  // Pipelined requests are answered strictly in order, each after the previous script ended.
  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    while (this.queue.length > 0 && !this.socket.destroyed) {
      const req = this.queue.shift()!;
      try {
        await this.upstream.handler(req, new Reply(this.socket, this.upstream, req));
      } catch (err) {
        this.socket.destroy(err as Error);
      }
    }
    this.running = false;
    this.armIdle();
  }
}

export { headerValue, headerValues };

/** Starts a scripted upstream on a free loopback port. */
export function startUpstream(options: UpstreamOptions = {}): Promise<ScriptedUpstream> {
  return new ScriptedUpstream(options).listen();
}
