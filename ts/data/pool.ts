// Jetway's HTTP/1.1 client to one upstream: a keep-alive pool of plain sockets, one request at
// a time on each, the response read by a small parser of its own. It exists because undici's
// general-purpose dispatch path costs more per small request than everything else Jetway does
// (README, "Performance"); it keeps undici's dispatch-handler contract, so the proxy drives
// either client the same way and `pool.client: undici` swaps undici back in.
//
// Error codes follow undici's where the meaning is the same, so one classifier reads both.
import net from 'node:net';
import { BodyKind, ResponseHead, ResponseHeadError } from './response-head.js';
import { socketFd, writeBytes, writeText } from './send.js';

/** What the proxy asks of an upstream client; undici's Pool offers the same. */
export interface UpstreamClient {
  dispatch(opts: DispatchOptions, handler: DispatchHandler): unknown;
  /** Stops taking requests and resolves once the running ones are done. */
  close(): Promise<void>;
  /** Cuts every connection now; running requests fail. */
  destroy(): Promise<void>;
}

export interface DispatchOptions {
  method: string;
  /** Origin-form target: path and query. */
  path: string;
  /** Names and values alternating. */
  headers: string[];
  /**
   * Header lines sent after `headers`, already written out (`name: value\r\n` each): Jetway's
   * forwarding headers. '' or absent for none.
   */
  lines?: string;
  /**
   * Iterated once per dispatch. When it also has a `sink` (BodySource), Jetway's client writes
   * a chunk that finds nothing queued straight from the client's read, without a copy; undici
   * only iterates.
   */
  body: AsyncIterable<Buffer> | null;
}

/** A body that offers each chunk to `sink` first; see BodySource.sink. */
export interface BodySink {
  sink: ((bytes: Uint8Array) => boolean) | null;
}

function hasSink(body: AsyncIterable<Buffer>): body is AsyncIterable<Buffer> & BodySink {
  return 'sink' in body;
}

/** A dispatched request, as its handler holds it. */
export interface Abortable {
  /** Abandons the request: its handler hears nothing more (onError when `err` is given). */
  abort(err?: Error): void;
}

/**
 * The callbacks of one request, in undici's dispatch-handler form except for onConnect, which
 * gets the request rather than a function, so that dispatching makes no closure.
 */
export interface DispatchHandler {
  /** Called first, with the request, through which the handler may abandon it. */
  onConnect(request: Abortable): void;
  /** The final head (1xx heads are not passed on); false pauses reading until `resume`. */
  onHeaders(status: number, raw: Buffer[], resume: () => void, reason: string): boolean;
  /**
   * Jetway's own client calls this instead of onHeaders when the handler has it: the head as
   * read, valid only during the call (no copy of its fields is made). `bodyFollows` says that
   * onData comes before this read returns (never said of a chunked body, whose bytes may stop
   * inside a chunk-size line); otherwise whatever the handler keeps of the head must be copied.
   */
  onHead?(head: ResponseHead, resume: () => void, bodyFollows: boolean): boolean;
  /** A piece of the body, valid only during the call; false pauses reading until `resume`. */
  onData(chunk: Buffer): boolean;
  onComplete(trailers: Buffer[] | null): void;
  /** The request failed; nothing else is called after it. */
  onError(err: Error): void;
}

export interface PoolOptions {
  /** Most connections open at once (`pool.connections`). */
  connections: number;
  /** ms; 0 means no limit. */
  connectTimeout: number;
  /** ms from the last request byte to the end of the response head; 0 means no limit. */
  headerTimeout: number;
  /** ms between two body reads or writes; 0 means no limit. */
  idleTimeout: number;
  /** ms an unused connection is kept (`pool.keepalive_timeout`). */
  keepAliveTimeout: number;
  /**
   * Requests in flight on one connection (`pool.pipelining`, 1 when absent). Above 1, idempotent
   * requests without a body that arrive in one turn of the event loop go out on one connection
   * in one write, and their responses are read in order (see Connection.pipeline).
   */
  pipelining?: number;
}

/** A failure of the client, with a stable code. */
export class UpstreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Where every connection of this thread reads into (see Connection). Its size is how much of a
 * large body one read takes: 256 KiB took a 1 MiB response at half the CPU that 64 KiB did
 * (README, "Performance"), and is also the most a connection whose client does not keep up
 * holds copied (512 KiB gained a little more CPU for twice that).
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
/** Longest response head read before the response is refused. */
const MAX_HEAD = 64 * 1024;
/** Longest chunk-size line (with extensions) or trailer section. */
const MAX_CHUNK_LINE = 4096;
/** An upstream's Keep-Alive hint is honoured less this margin, to stop before it closes. */
const KEEPALIVE_MARGIN = 500;
/**
 * Most body bytes still to come that are read and dropped when the request being read is
 * abandoned (see Connection.abort); past this, or with a body whose length is not known, the
 * connection is cut and the requests pipelined behind it go back unanswered (to be sent again).
 * An abandoned request waiting behind others has its whole answer read and dropped.
 */
const MAX_DRAIN = 64 * 1024;
/**
 * Longest wait for the answer of an abandoned request alone on its connection. The answer is
 * read and dropped to keep the connection, because under load a new connection costs more than
 * its handshake: Node's event loop registers a new socket with epoll only between rounds of up
 * to 48 full batches of ready sockets, so its first answer can wait half a second (README,
 * "Performance").
 */
const DRAIN_WAIT = 1000;
const CRLF2 = Buffer.from('\r\n\r\n');
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** One request from dispatch to its last callback. */
class Request implements Abortable {
  done = false;
  conn: Connection | null = null;

  constructor(
    readonly pool: UpstreamPool,
    readonly method: string,
    readonly head: string,
    readonly body: AsyncIterable<Buffer> | null,
    /** Declared body length, -1 for chunked. */
    readonly length: number,
    /** Replaced by DISCARD when the request is abandoned while its response is still due. */
    public handler: DispatchHandler,
  ) {}

  abort(err?: Error): void {
    this.pool.abort(this, err);
  }

  /** Whether the request may wait behind others on a connection: idempotent, without a body. */
  get pipelinable(): boolean {
    return this.body === null && PIPELINABLE.has(this.method);
  }
}

/**
 * Methods that may be pipelined: idempotent (RFC 9110 section 9.2.2), so a request left without
 * an answer when its connection ends can be sent again (RFC 9112 section 9.3.2).
 */
const PIPELINABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Takes the response of a request nobody waits for any more, so the ones behind it can follow. */
const DISCARD: DispatchHandler = {
  onConnect: () => {},
  onHeaders: () => true,
  onData: () => true,
  onComplete: () => {},
  onError: () => {},
};

/** A keep-alive pool of connections to one upstream. */
export class UpstreamPool implements UpstreamClient {
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  readonly conns = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private readonly queue: Request[] = [];
  private sweeper: NodeJS.Timeout;
  /** ms between two sweeps. */
  private tick: number;
  private closing = false;
  private closed: (() => void) | null = null;
  /** The connection taking this turn's pipelined requests, until they are written. */
  batch: Connection | null = null;
  /** Connections being opened. */
  private connecting = 0;
  readonly pipelining: number;

  constructor(
    address: string,
    readonly opts: PoolOptions,
  ) {
    const colon = address.lastIndexOf(':');
    this.host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    this.port = Number(address.slice(colon + 1));
    this.hostHeader = address;
    this.pipelining = opts.pipelining ?? 1;
    const limits = [
      opts.connectTimeout,
      opts.headerTimeout,
      opts.idleTimeout,
      opts.keepAliveTimeout,
    ];
    const shortest = Math.min(...limits.filter((t) => t > 0));
    this.tick = sweepTick(shortest);
    this.sweeper = setInterval(() => this.sweep(), this.tick);
    this.sweeper.unref();
  }

  /**
   * A connection's wait became `ms` long, shorter than the configured limits (an upstream's
   * Keep-Alive hint): the sweep ticks faster, so the connection closes before the upstream does.
   */
  shortened(ms: number): void {
    const tick = sweepTick(ms);
    if (tick >= this.tick || this.closing) return;
    this.tick = tick;
    clearInterval(this.sweeper);
    this.sweeper = setInterval(() => this.sweep(), tick);
    this.sweeper.unref();
  }

  dispatch(opts: DispatchOptions, handler: DispatchHandler): boolean {
    const head = this.requestHead(opts);
    const length = declaredLength(opts.headers);
    const req = new Request(this, opts.method, head, opts.body, length, handler);
    handler.onConnect(req);
    if (req.done) return false;
    if (this.closing) {
      this.fail(req, new UpstreamError('UND_ERR_CLOSED', 'the pool is closed'));
      return false;
    }
    // uWS hands over the request as text decoded from UTF-8, and the head is written as UTF-8
    // again, so the upstream gets the bytes the client sent; only bytes that were not UTF-8
    // came out as U+FFFD and cannot be sent as they came.
    if (head.includes('\ufffd')) {
      this.fail(req, new UpstreamError('UND_ERR_INVALID_ARG', 'header value cannot be sent'));
      return false;
    }

    if (this.pipelining > 1 && req.pipelinable) {
      const conn = this.pipelineFor();
      if (conn !== null) {
        conn.pipeline(req);
        return true;
      }
    }
    const conn = this.idle.pop();
    if (conn !== undefined) {
      conn.send(req);
      return true;
    }
    this.queue.push(req);
    if (this.conns.size < this.opts.connections && this.needsConnection(req)) this.connect();
    return true;
  }

  /**
   * Whether a queued request calls for a new connection. A pipelinable one does not while the
   * connections being opened can carry every queued request.
   */
  private needsConnection(req: Request): boolean {
    if (this.pipelining === 1 || !req.pipelinable) return true;
    return this.queue.length > this.connecting * this.pipelining;
  }

  /**
   * The connection a pipelinable request joins: this turn's batch while it has room, else an idle
   * connection (which becomes the batch), else any with room, else none (the request queues).
   */
  private pipelineFor(): Connection | null {
    if (this.batch !== null && this.batch.hasRoom()) return this.batch;
    const idle = this.idle.pop();
    if (idle !== undefined) return idle;
    for (const conn of this.conns) if (conn.hasRoom()) return conn;
    return null;
  }

  /** The request line and header section, with Host and body framing added where missing. */
  private requestHead(opts: DispatchOptions): string {
    let head = `${opts.method} ${opts.path} HTTP/1.1\r\n`;
    let host = false;
    let length = false;
    const h = opts.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i];
      if (name.length === 4 && name === 'host') host = true;
      else if (name.length === 14 && name === 'content-length') length = true;
      head += `${name}: ${h[i + 1]}\r\n`;
    }
    if (opts.lines !== undefined) head += opts.lines;
    if (!host) head += `host: ${this.hostHeader}\r\n`;
    if (opts.body !== null && !length) head += 'transfer-encoding: chunked\r\n';
    else if (opts.body === null && !length && BODY_METHODS.has(opts.method)) {
      head += 'content-length: 0\r\n';
    }
    return `${head}\r\n`;
  }

  private connect(): void {
    let conn: Connection;
    try {
      conn = new Connection(this, this.host, this.port);
    } catch (err) {
      // net.connect refuses some addresses at once (a port past 65535); the requests waiting
      // for this connection fail as they would on a refused one, rather than wait forever.
      for (const req of this.queue.splice(0)) this.fail(req, err as Error);
      return;
    }
    this.connecting++;
    this.conns.add(conn);
    conn.arm(this.opts.connectTimeout);
  }

  /** A new connection is up: it takes the oldest waiting request. */
  connected(conn: Connection): void {
    this.connecting--;
    this.release(conn);
  }

  /**
   * Connecting failed: every waiting request fails with it, as undici does, so the proxy can try
   * another upstream at once instead of waiting behind a dead one.
   */
  connectFailed(conn: Connection, err: Error): void {
    this.connecting--;
    this.conns.delete(conn);
    const waiting = this.queue.splice(0);
    for (const req of waiting) this.fail(req, err);
    this.checkClosed();
  }

  /** `conn` finished a response and may be reused. */
  release(conn: Connection): void {
    const next = this.queue.shift();
    if (next !== undefined && this.pipelining > 1 && next.pipelinable) {
      conn.pipeline(next);
      while (this.queue.length > 0 && this.queue[0].pipelinable && conn.hasRoom()) {
        conn.pipeline(this.queue.shift()!);
      }
      return;
    }
    if (next !== undefined) return conn.send(next);
    if (this.closing) return conn.destroy();
    conn.arm(conn.keepAliveMs);
    this.idle.push(conn);
  }

  /** `conn` is gone (closed, failed or cut). */
  forget(conn: Connection): void {
    if (!this.conns.delete(conn)) return;
    const at = this.idle.indexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    // A request waiting for a connection gets a new one.
    if (this.queue.length > 0 && !this.closing && this.conns.size < this.opts.connections) {
      this.connect();
    }
    this.checkClosed();
  }

  abort(req: Request, err?: Error): void {
    if (req.done) return;
    const reason = err ?? new UpstreamError('UND_ERR_ABORTED', 'request aborted');
    if (req.conn !== null) return req.conn.abort(req, reason);
    const at = this.queue.indexOf(req);
    if (at >= 0) this.queue.splice(at, 1);
    this.fail(req, reason);
  }

  fail(req: Request, err: Error): void {
    if (req.done) return;
    req.done = true;
    req.handler.onError(err);
  }

  close(): Promise<void> {
    this.closing = true;
    for (const conn of this.idle.splice(0)) conn.destroy();
    return new Promise((resolve) => {
      this.closed = resolve;
      this.checkClosed();
    });
  }

  destroy(): Promise<void> {
    this.closing = true;
    const err = new UpstreamError('UND_ERR_DESTROYED', 'the pool was destroyed');
    for (const req of this.queue.splice(0)) this.fail(req, err);
    for (const conn of [...this.conns]) conn.fail(err);
    return this.close();
  }

  private checkClosed(): void {
    if (!this.closing || this.conns.size > 0 || this.queue.length > 0) return;
    clearInterval(this.sweeper);
    const closed = this.closed;
    this.closed = null;
    closed?.();
  }

  /** Fails whatever has waited past its limit. */
  private sweep(): void {
    const now = performance.now();
    for (const conn of this.conns) conn.check(now);
  }
}

/**
 * Limits are checked on a coarse tick rather than with a timer per request: a quarter of the
 * shortest limit, so each fires at most 25% late (see Connection.arm), and at least once a second.
 */
function sweepTick(shortest: number): number {
  return Math.min(1000, Math.max(10, Math.floor(shortest / 4)));
}

/** The request's Content-Length, or -1 when it has none. */
function declaredLength(headers: string[]): number {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'content-length') return Number(headers[i + 1]);
  }
  return -1;
}

/** Whether the body after `head` is short enough to read and drop (MAX_DRAIN). */
function shortBody(head: ResponseHead): boolean {
  return head.body === BodyKind.None || (head.body === BodyKind.Length && head.length <= MAX_DRAIN);
}

/** Where the reader is in the response. */
const enum Phase {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  Close,
}

/** Connections with pipelined requests to write when this turn of the event loop ends. */
const UNWRITTEN: Connection[] = [];
let writing: NodeJS.Immediate | null = null;

function writeUnwritten(): void {
  writing = null;
  for (const conn of UNWRITTEN.splice(0)) conn.flush();
}

/**
 * One socket to the upstream, carrying one request at a time, or with pipelining several, whose
 * responses come back in order. A protocol state machine, so some of its methods run longer
 * than the rest of the code.
 */
class Connection {
  /** ms the current wait may last; 0 for no limit. */
  private limit = 0;
  /** Counts arm() calls, so the sweep sees that a new wait began. */
  private mark = 0;
  /** The mark the last sweep saw, and when it first saw it. */
  private seen = -1;
  private since = 0;
  keepAliveMs: number;
  /** The request whose response is read now. */
  private req: Request | null = null;
  /** Pipelined requests sent after `req`, in order; their responses follow its. */
  private readonly waiting: Request[] = [];
  /** Heads of pipelined requests not written yet. */
  private unwritten = '';
  private connecting = true;
  /** The socket was destroyed. */
  private gone = false;
  /** The upstream ended its side. */
  private ended = false;
  private phase = Phase.Head;
  /**
   * Bytes of the unfinished head the last read of it saw, 0 when none. A head that arrives in
   * pieces is read again only once a blank line may have come or it has doubled since, so one
   * trickled in byte by byte costs time linear in its length, not quadratic; a fault in it is
   * found at the latest when it has doubled, ended, or passed MAX_HEAD.
   */
  private headRead = 0;
  /** The head of the response being read; one object for every response on the connection. */
  private readonly head = new ResponseHead();
  /** The response just read allows another request on this connection. */
  private reusable = false;
  /** `src[at, end)` holds the bytes received and not yet read. */
  private src: Buffer = READ_BUFFER;
  private at = 0;
  private end = 0;
  /** Body bytes still to come in the current Content-Length body or chunk. */
  private remaining = 0;
  private paused = false;
  /** The request body is fully written (or there is none). */
  private sent = true;
  private drained: (() => void) | null = null;
  private readonly resume = (): void => this.onResume();
  private readonly socket: net.Socket;
  /** The socket's descriptor for writeText, -1 when socket.write must do. */
  private fd = -1;

  constructor(
    private readonly pool: UpstreamPool,
    host: string,
    port: number,
  ) {
    this.keepAliveMs = pool.opts.keepAliveTimeout;
    // Reads land in one buffer shared by every connection of the thread and are handled before
    // the next read, so a read allocates nothing and skips the stream machinery; whatever must
    // outlive the read is copied (see onRead).
    const onread = { buffer: READ_BUFFER, callback: (n: number) => this.onRead(n) };
    const socket = net.connect({ host, port, noDelay: true, onread });
    this.socket = socket;
    socket.on('connect', () => this.onConnect());
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => this.onSocketError(err));
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.onDrain());
  }

  /** Writes `req` and starts reading its response. */
  send(req: Request): void {
    this.req = req;
    req.conn = this;
    this.phase = Phase.Head;
    this.paused = false;
    if (req.body === null) {
      this.sent = true;
      this.arm(this.pool.opts.headerTimeout);
      writeText(this.socket, this.fd, req.head);
      return;
    }
    this.sent = false;
    writeText(this.socket, this.fd, req.head);
    void this.pump(req);
  }

  /**
   * Adds a pipelinable request. Its head is written together with the others of this turn when
   * the turn ends, in one write, and its response is read after those of the requests before
   * it. A request left without an answer when the connection ends fails with
   * JETWAY_UPSTREAM_UNANSWERED, which the proxy may send again: pipelined requests are
   * idempotent.
   */
  pipeline(req: Request): void {
    req.conn = this;
    if (this.req === null) {
      this.req = req;
      this.phase = Phase.Head;
      this.paused = false;
      this.sent = true;
      this.arm(this.pool.opts.headerTimeout);
    } else {
      this.waiting.push(req);
    }
    if (this.unwritten === '') {
      UNWRITTEN.push(this);
      writing ??= setImmediate(writeUnwritten);
    }
    this.unwritten += req.head;
    this.pool.batch = this;
  }

  /**
   * Whether a pipelined request may join the ones in flight here: not once the answer being read
   * says the connection ends with it (`Connection: close`, HTTP/1.0, a body read to the close),
   * nor once the upstream ended its side, since the request would only come back unanswered;
   * nor while the answer being read waits for a slow client, which would hold the request back
   * with no limit (the requests already behind it do wait: head-of-line blocking).
   */
  hasRoom(): boolean {
    const req = this.req;
    return (
      req !== null &&
      !this.gone &&
      !this.ended &&
      !this.paused &&
      req.pipelinable &&
      (this.phase === Phase.Head || this.reusable) &&
      this.waiting.length + 1 < this.pool.pipelining
    );
  }

  /** Writes the pipelined heads of this turn. */
  flush(): void {
    if (this.pool.batch === this) this.pool.batch = null;
    const text = this.unwritten;
    this.unwritten = '';
    if (text !== '' && !this.gone) writeText(this.socket, this.fd, text);
  }

  /**
   * Copies the request body to the socket, framed as declared. The idle limit runs only while
   * the upstream holds the writes back; a slow client is the client body timeout's business.
   */
  private async pump(req: Request): Promise<void> {
    const chunked = req.length < 0;
    const body = req.body!;
    const chunks = body[Symbol.asyncIterator]();
    const source = hasSink(body) ? body : null;
    let written = 0;
    // Takes a chunk while the loop below waits, when the socket holds nothing back; one that
    // would pass the declared length is left to the loop, which refuses it.
    const sink = (bytes: Uint8Array): boolean => {
      if (req.done || this.req !== req || this.gone || this.socket.writableLength !== 0) {
        return false;
      }
      if (!chunked && written + bytes.length > req.length) return false;
      written += bytes.length;
      if (chunked) writeText(this.socket, this.fd, `${bytes.length.toString(16)}\r\n`);
      writeBytes(this.socket, this.fd, bytes);
      if (chunked) writeText(this.socket, this.fd, '\r\n');
      return true;
    };
    try {
      for (;;) {
        if (this.phase === Phase.Head) this.arm(0);
        if (source !== null) source.sink = sink;
        let next: IteratorResult<Buffer>;
        try {
          next = await chunks.next();
        } finally {
          if (source !== null) source.sink = null;
        }
        if (req.done || this.req !== req) return void chunks.return?.();
        if (next.done === true) break;
        const chunk = next.value;
        written += chunk.length;
        if (!chunked && written > req.length) throw bodyLengthMismatch();
        if (chunk.length === 0) continue;
        if (chunked ? this.writeChunk(chunk) : this.socket.write(chunk)) continue;
        if (this.phase === Phase.Head) this.arm(this.pool.opts.idleTimeout);
        await new Promise<void>((resolve) => (this.drained = resolve));
      }
      if (!chunked && written !== req.length) throw bodyLengthMismatch();
      if (chunked) this.socket.write('0\r\n\r\n', 'latin1');
      this.sent = true;
      if (this.phase === Phase.Head) this.arm(this.pool.opts.headerTimeout);
    } catch (err) {
      if (this.req === req) this.fail(err as Error);
    }
  }

  private writeChunk(chunk: Buffer): boolean {
    this.socket.cork();
    this.socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    this.socket.write(chunk);
    const flowing = this.socket.write('\r\n', 'latin1');
    this.socket.uncork();
    return flowing;
  }

  private onDrain(): void {
    const drained = this.drained;
    this.drained = null;
    drained?.();
  }

  private onConnect(): void {
    this.connecting = false;
    this.fd = socketFd(this.socket);
    this.arm(0);
    this.pool.connected(this);
  }

  private onRead(n: number): boolean {
    if (this.req === null) {
      // Bytes nobody asked for: the connection can no longer be trusted to frame a response.
      this.destroy();
      return false;
    }
    if (this.end === this.at) {
      this.src = READ_BUFFER;
      this.at = 0;
      this.end = n;
    } else {
      const kept = this.src.subarray(this.at, this.end);
      this.src = Buffer.concat([kept, READ_BUFFER.subarray(0, n)]);
      this.at = 0;
      this.end = this.src.length;
    }
    if (!this.paused) this.read();
    // Bytes kept for later must not stay in the shared buffer the next read overwrites.
    if (this.src === READ_BUFFER && this.at < this.end) {
      this.src = Buffer.from(READ_BUFFER.subarray(this.at, this.end));
      this.end -= this.at;
      this.at = 0;
    }
    return !this.paused;
  }

  private onResume(): void {
    if (!this.paused || this.req === null) return;
    this.paused = false;
    this.socket.resume();
    if (this.phase !== Phase.Head) this.arm(this.pool.opts.idleTimeout);
    this.read();
  }

  private pause(): void {
    // An answer being dropped is never held back (its handler may have been swapped mid-read).
    if (this.req?.handler === DISCARD) return;
    this.paused = true;
    this.socket.pause();
    // A client that reads slowly is the total timeout's business, not the upstream's.
    this.arm(0);
  }

  /** Reads as much of the received bytes as the current phase and the handler allow. */
  private read(): void {
    while (this.req !== null && !this.paused) {
      if (this.phase === Phase.Length && this.remaining === 0) {
        // The next pipelined response, if any, may already be here.
        this.complete();
        continue;
      }
      const at = this.at;
      if (at === this.end) {
        if (this.phase === Phase.Close && this.ended) this.complete();
        return;
      }
      switch (this.phase) {
        case Phase.Head:
          this.readHead();
          break;
        case Phase.Length:
        case Phase.ChunkData:
          this.readBody();
          break;
        case Phase.ChunkSize:
          this.readChunkSize();
          break;
        case Phase.ChunkEnd:
          this.readChunkEnd();
          break;
        case Phase.Trailers:
          this.readTrailers();
          break;
        case Phase.Close:
          this.at = this.end;
          if (!this.req.handler.onData(this.view(at, this.end))) this.pause();
          break;
      }
      // A phase that needs more bytes than there are leaves them and stops.
      if (this.at === at) return;
    }
  }

  /** `src[from, to)`, lent to the handler for one call. */
  private view(from: number, to: number): Buffer {
    return this.src.subarray(from, to);
  }

  private readHead(): void {
    const head = this.head;
    const req = this.req!;
    const have = this.end - this.at;
    // A head in pieces is parsed again only once it may be whole (see headRead).
    const parse =
      this.headRead === 0 || have >= 2 * this.headRead || this.blankLineSince(this.headRead);
    let end = -1;
    if (parse) {
      try {
        end = head.read(this.src, this.at, this.end, req.method);
      } catch (err) {
        return this.fail(err as Error);
      }
    }
    // Bytes that did not make a whole head within MAX_HEAD cannot make one that fits; a head
    // that arrived in several reads is measured whole.
    if (end < 0) {
      if (parse) this.headRead = have;
      if (have >= MAX_HEAD) this.fail(new ResponseHeadError('head too large'));
      return;
    }
    this.headRead = 0;
    if (end - this.at > MAX_HEAD) return this.fail(new ResponseHeadError('head too large'));
    this.at = end;
    if (head.status < 200) {
      // 101 would switch protocols, which Jetway never asks for; other 1xx are interim.
      if (head.status === 101) this.fail(new ResponseHeadError('unrequested protocol switch'));
      return;
    }
    this.reusable = head.reusable;
    if (head.keepAliveMs >= 0) {
      const ms = head.keepAliveMs - KEEPALIVE_MARGIN;
      // An upstream that keeps an idle connection for less than the margin may close it as the
      // next request goes out: not reused, unless answers are still due on it.
      if (ms <= 0) {
        if (this.waiting.length === 0) this.reusable = false;
      } else if (ms < this.keepAliveMs) {
        this.keepAliveMs = ms;
        this.pool.shortened(ms);
      }
    }
    // An abandoned answer alone on the connection is dropped only when short (see abort).
    if (req.handler === DISCARD && this.waiting.length === 0 && !shortBody(head)) {
      return this.fail(unanswered());
    }
    this.enterBody(head);
    const handler = req.handler;
    // onData surely comes before this read returns only when body bytes are here and the body
    // is not chunked: a chunked one may stop inside its first size line, and the head, lent
    // from the shared read buffer, would be overwritten by the next read.
    const follows = this.at < this.end && head.body !== BodyKind.Chunked;
    const flowing =
      handler.onHead !== undefined
        ? handler.onHead(head, this.resume, follows)
        : handler.onHeaders(head.status, copied(head.raw()), this.resume, head.reason);
    if (!flowing) this.pause();
    if (head.body === BodyKind.None && this.req !== null) this.complete();
  }

  private enterBody(head: ResponseHead): void {
    this.arm(this.pool.opts.idleTimeout);
    if (head.body === BodyKind.Length) {
      this.phase = Phase.Length;
      this.remaining = head.length;
    } else if (head.body === BodyKind.Chunked) {
      this.phase = Phase.ChunkSize;
    } else if (head.body === BodyKind.Close) {
      this.phase = Phase.Close;
    }
  }

  /** Whether a blank line, which ends a head, may have arrived in the bytes after `from`. */
  private blankLineSince(from: number): boolean {
    return this.view(this.at + Math.max(0, from - 3), this.end).indexOf(CRLF2) >= 0;
  }

  /** Passes on up to `remaining` bytes of a Content-Length body or of a chunk. */
  private readBody(): void {
    const from = this.at;
    const n = Math.min(this.remaining, this.end - from);
    this.at = from + n;
    this.remaining -= n;
    if (this.phase === Phase.ChunkData && this.remaining === 0) this.phase = Phase.ChunkEnd;
    if (!this.req!.handler.onData(this.view(from, from + n))) this.pause();
  }

  private readChunkSize(): void {
    const eol = this.indexOfCrlf(this.at);
    if (eol < 0) {
      if (this.end - this.at > MAX_CHUNK_LINE) this.fail(new ResponseHeadError('chunk size line'));
      return;
    }
    const line = this.view(this.at, eol).toString('latin1');
    const m = /^([0-9a-fA-F]{1,13})[ \t]*(?:;.*)?$/.exec(line);
    if (m === null) return this.fail(new ResponseHeadError('chunk size'));
    this.at = eol + 2;
    this.remaining = parseInt(m[1], 16);
    this.phase = this.remaining === 0 ? Phase.Trailers : Phase.ChunkData;
  }

  private readChunkEnd(): void {
    const src = this.src;
    const at = this.at;
    if (src[at] !== 13 || (at + 1 < this.end && src[at + 1] !== 10)) {
      return this.fail(new ResponseHeadError('chunk end'));
    }
    if (at + 1 >= this.end) return;
    this.at = at + 2;
    this.phase = Phase.ChunkSize;
  }

  /** Skips the trailer section: Jetway passes no trailers on. */
  private readTrailers(): void {
    const src = this.src;
    const at = this.at;
    if (this.end - at >= 2 && src[at] === 13 && src[at + 1] === 10) {
      this.at = at + 2;
      return this.complete();
    }
    const found = this.view(at, this.end).indexOf(CRLF2);
    if (found < 0) {
      if (this.end - at > MAX_CHUNK_LINE) this.fail(new ResponseHeadError('trailer section'));
      return;
    }
    this.at = at + found + 4;
    this.complete();
  }

  /** Where the next CRLF at or after `from` starts, -1 when none has arrived. */
  private indexOfCrlf(from: number): number {
    const src = this.src;
    for (let i = from; i + 1 < this.end; i++) if (src[i] === 13 && src[i + 1] === 10) return i;
    return -1;
  }

  /**
   * The response is whole: the handler hears so, and the next pipelined response is read, or the
   * connection is reused or closed.
   */
  private complete(): void {
    const req = this.req!;
    const more = this.waiting.length > 0;
    // Bytes after a response belong to the next one only when a request is waiting for them.
    const reusable =
      this.reusable && this.sent && (more || this.at === this.end) && !this.ended && !this.gone;
    this.req = null;
    req.conn = null;
    req.done = true;
    this.arm(0);
    req.handler.onComplete(null);
    if (!reusable) return this.fail(unanswered());
    if (!more) return this.pool.release(this);
    this.req = this.waiting.shift()!;
    this.phase = Phase.Head;
    this.arm(this.pool.opts.headerTimeout);
  }

  /**
   * Fails the running request with `err` and the pipelined ones behind it as unanswered, and
   * closes the connection.
   */
  fail(err: Error): void {
    const req = this.req;
    this.req = null;
    const waiting = this.waiting.splice(0);
    this.destroy();
    if (req !== null) {
      req.conn = null;
      this.pool.fail(req, err);
    }
    for (const w of waiting) {
      w.conn = null;
      this.pool.fail(w, unanswered());
    }
  }

  /**
   * Abandons `req`. Its answer is read and dropped when that keeps the connection for the next
   * request at little cost: a request with others pipelined behind it, whether being read or
   * waiting, so that they keep their answers (a client that goes away must not cost other
   * clients theirs), and a request alone on the connection whose answer is short (MAX_DRAIN) and
   * comes soon (DRAIN_WAIT), so that a client going away does not cost a new connection. Else
   * the connection is cut.
   */
  abort(req: Request, err: Error): void {
    const current = req === this.req;
    if (!current && !this.waiting.includes(req)) return this.fail(err);
    if (current && !this.worthDraining()) return this.fail(err);
    if (current && this.waiting.length === 0) {
      if (!this.sent) return this.fail(err);
      // A header timeout of 0 means no limit for a request someone waits for, not for this one.
      const limit = this.pool.opts.headerTimeout;
      if (this.phase === Phase.Head) this.arm(limit > 0 ? Math.min(limit, DRAIN_WAIT) : DRAIN_WAIT);
    }
    this.pool.fail(req, err);
    req.handler = DISCARD;
    if (current && this.paused) this.onResume();
  }

  /** Whether what is left of the answer being read is short enough to read and drop. */
  private worthDraining(): boolean {
    if (this.phase === Phase.Head) return true;
    return this.phase === Phase.Length && this.remaining <= MAX_DRAIN;
  }

  /**
   * Starts a wait of at most `ms` (0: no limit), ending the one before. The hot path reads no
   * clock: the sweep notes when it first sees a wait and fails it once the limit has passed
   * since then, so a limit fires up to one tick late and never early, even when a busy loop
   * delays the ticks.
   */
  arm(ms: number): void {
    this.limit = ms;
    this.mark++;
  }

  /** Called by the pool's sweep with the time now. */
  check(now: number): void {
    if (this.limit === 0) return;
    if (this.mark !== this.seen) {
      this.seen = this.mark;
      this.since = now;
    } else if (now - this.since >= this.limit) {
      this.timedOut();
    }
  }

  /** The current phase ran past its limit. */
  private timedOut(): void {
    this.arm(0);
    if (this.connecting) {
      const err = new UpstreamError('UND_ERR_CONNECT_TIMEOUT', 'connect timeout');
      this.connecting = false;
      this.gone = true;
      this.socket.destroy();
      return this.pool.connectFailed(this, err);
    }
    if (this.req === null) return this.destroy(); // idle past keep-alive
    if (this.phase === Phase.Head && this.sent) {
      return this.fail(new UpstreamError('UND_ERR_HEADERS_TIMEOUT', 'response head timeout'));
    }
    this.fail(new UpstreamError('UND_ERR_BODY_TIMEOUT', 'body idle timeout'));
  }

  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    this.socket.destroy();
    this.pool.forget(this);
    this.onDrain(); // a pump waiting for room sees the request is over
  }

  private onEnd(): void {
    this.ended = true;
    // A body delimited by the close ends here, once the bytes still buffered are passed on.
    if (this.req !== null && this.phase === Phase.Close) return this.read();
    this.fail(socketClosed());
  }

  private onSocketError(err: Error): void {
    if (this.connecting) {
      this.connecting = false;
      this.gone = true;
      return this.pool.connectFailed(this, err);
    }
    this.fail(err);
  }

  private onClose(): void {
    if (this.connecting) {
      this.connecting = false;
      this.gone = true;
      return this.pool.connectFailed(this, socketClosed());
    }
    if (this.req !== null && this.phase === Phase.Close && this.ended) return;
    this.fail(socketClosed());
  }
}

function bodyLengthMismatch(): UpstreamError {
  return new UpstreamError(
    'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
    'request body length differs from its Content-Length',
  );
}

/** Copies of views into the read buffer, for a handler that may keep them. */
function copied(views: Buffer[]): Buffer[] {
  return views.map((v) => Buffer.from(v));
}

function unanswered(): UpstreamError {
  return new UpstreamError(
    'JETWAY_UPSTREAM_UNANSWERED',
    'the connection ended before this pipelined request was answered',
  );
}

function socketClosed(): UpstreamError {
  return new UpstreamError('UND_ERR_SOCKET', 'the upstream closed the connection');
}
