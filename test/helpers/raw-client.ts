// A raw downstream client over `net`: sends exact bytes (HTTP clients tidy paths and headers
// themselves, which would hide what Jetway does) and reads the exact responses back, one at a
// time, so pipelined exchanges on one connection can be checked in order.
import net from 'node:net';
import { BodyReader, parseHead, responseFraming, type Framing, type HeaderList } from './http1.js';

export interface RawResponse {
  status: number;
  statusLine: string;
  headers: HeaderList;
  rawHead: Buffer;
  body: Buffer;
  bodyLength: number;
  bodySha256: string;
  framing: Framing;
  /** False when the connection ended before the body's end (short body, no last chunk). */
  complete: boolean;
  /** For chunked bodies: whether the terminating zero-size chunk arrived. */
  sawLastChunk: boolean;
  /** When the head was complete (performance.now()). */
  headAt: number;
}

export interface ConnectOptions {
  host?: string;
  /** Source address, e.g. 127.0.0.3, so Jetway sees a different peer. */
  localAddress?: string;
}

export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private offset = 0;
  private ended = false;
  private waiters: Array<() => void> = [];
  /** Every byte received, in order. */
  readonly received: Buffer[] = [];
  closedAt: number | undefined;
  /** Set when the connection ended with a reset rather than a FIN. */
  resetSeen = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.received.push(d);
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') this.resetSeen = true;
    });
    socket.on('close', () => {
      this.ended = true;
      this.closedAt = performance.now();
      this.wake();
    });
  }

  static connect(port: number, options: ConnectOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        port,
        host: options.host ?? '127.0.0.1',
        localAddress: options.localAddress,
      });
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  get closed(): boolean {
    return this.ended;
  }

  /** All bytes received so far as one buffer. */
  get bytes(): Buffer {
    return Buffer.concat(this.received);
  }

  send(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /**
   * The next response on the connection. `method` decides whether a body may follow (HEAD).
   * Resolves with complete=false when the connection ends mid-body; rejects when nothing
   * usable arrives within `timeoutMs`, or when the connection ends before a full head.
   */
  async response(options: { method?: string; timeoutMs?: number } = {}): Promise<RawResponse> {
    const deadline = performance.now() + (options.timeoutMs ?? 5000);
    const headAt = await this.until(deadline, () => parseHead(this.buf, this.offset) !== undefined);
    const parsed = parseHead(this.buf, this.offset)!;
    this.offset = parsed.end;
    const status = Number(parsed.head.startLine.split(' ')[1]);
    const { framing, length } = responseFraming(
      options.method ?? 'GET',
      status,
      parsed.head.headers,
    );
    const body = new BodyReader(framing, length);
    await this.readBody(body, deadline);
    return {
      status,
      statusLine: parsed.head.startLine,
      headers: parsed.head.headers,
      rawHead: parsed.head.raw,
      body: body.body,
      bodyLength: body.length,
      bodySha256: body.sha256,
      framing,
      complete: body.done,
      sawLastChunk: body.sawLastChunk,
      headAt,
    };
  }

  private async readBody(body: BodyReader, deadline: number): Promise<void> {
    for (;;) {
      this.offset = body.feed(this.buf, this.offset);
      if (body.done || this.ended) return;
      // Whatever is left is an incomplete chunk line: wait for bytes beyond it.
      const had = this.buf.length;
      await this.until(deadline, () => this.buf.length > had || this.ended);
    }
  }

  /** Bytes that arrived after the last parsed response (should be none). */
  get unparsed(): Buffer {
    return this.buf.subarray(this.offset);
  }

  /** Resolves true when the peer closed the connection within `timeoutMs`, false otherwise. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    try {
      await this.until(performance.now() + timeoutMs, () => this.ended);
      return true;
    } catch {
      return false;
    }
  }

  /** Reads everything until the peer closes or `timeoutMs` passes; returns all bytes. */
  async readAll(timeoutMs: number): Promise<Buffer> {
    await this.waitClosed(timeoutMs);
    return this.bytes;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private async until(deadline: number, ready: () => boolean): Promise<number> {
    while (!ready()) {
      if (this.ended && !ready()) {
        throw new Error(`connection closed; received ${JSON.stringify(preview(this.bytes))}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(`no response in time; received ${JSON.stringify(preview(this.bytes))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return performance.now();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function preview(b: Buffer): string {
  const s = b.toString('latin1');
  return s.length > 400 ? `${s.slice(0, 400)}...(${b.length} bytes)` : s;
}

/** Sends `bytes` on a new connection and returns everything received until close or timeout. */
export async function rawExchange(
  port: number,
  bytes: string | Buffer,
  timeoutMs = 2000,
  options: ConnectOptions = {},
): Promise<{ bytes: Buffer; closed: boolean; client: RawClient }> {
  const client = await RawClient.connect(port, options);
  client.send(bytes);
  const closed = await client.waitClosed(timeoutMs);
  client.destroy();
  return { bytes: client.bytes, closed, client };
}

/** CRLF-joins request lines and ends the head: `req('GET / HTTP/1.1', 'Host: a')`. */
export function req(...lines: string[]): string {
  return lines.join('\r\n') + '\r\n\r\n';
}
