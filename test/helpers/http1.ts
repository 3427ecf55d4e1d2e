// Minimal incremental HTTP/1.1 parsers for the test side: the scripted upstream parses the
// requests Jetway sends it, the raw client parses the responses Jetway returns. They keep the
// raw bytes, header order and case, because the tests are about exactly those.
import { createHash, type Hash } from 'node:crypto';

export type HeaderList = Array<[name: string, value: string]>;

/** Every value of `name` (case-insensitive), in the order received. */
export function headerValues(headers: HeaderList, name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** The only value of `name`, or undefined; throws when the header came more than once. */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  const all = headerValues(headers, name);
  if (all.length > 1)
    throw new Error(`header ${name} came ${all.length} times: ${all.join(' | ')}`);
  return all[0];
}

export interface Head {
  /** Request line or status line, without CRLF. */
  startLine: string;
  headers: HeaderList;
  /** The head bytes as received, including the final blank line. */
  raw: Buffer;
}

/** Parses a head at `offset`; undefined when the blank line has not arrived yet. */
export function parseHead(buf: Buffer, offset: number): { head: Head; end: number } | undefined {
  const end = buf.indexOf('\r\n\r\n', offset);
  if (end < 0) return undefined;
  const raw = buf.subarray(offset, end + 4);
  const lines = raw.toString('latin1').slice(0, -4).split('\r\n');
  const headers: HeaderList = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line)}`);
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { head: { startLine: lines[0] ?? '', headers, raw: Buffer.from(raw) }, end: end + 4 };
}

/** How a message body is delimited. */
export type Framing = 'none' | 'length' | 'chunked' | 'close';

/**
 * Reads one message body, incrementally: feed it bytes, it says how many it consumed.
 * Keeps the first `storeLimit` body bytes, and always the length and SHA-256 of all of them.
 */
export class BodyReader {
  length = 0;
  done = false;
  /** Set when a chunked body ended with its terminating zero-size chunk. */
  sawLastChunk = false;
  readonly stored: Buffer[] = [];
  private storedBytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private remaining: number;
  private chunkState: 'size' | 'data' | 'data-crlf' | 'trailers' = 'size';

  constructor(
    readonly framing: Framing,
    contentLength: number,
    private readonly storeLimit = 1 << 20,
  ) {
    this.remaining = framing === 'length' ? contentLength : 0;
    if (framing === 'none' || (framing === 'length' && contentLength === 0)) this.done = true;
  }

  get body(): Buffer {
    return Buffer.concat(this.stored);
  }

  get sha256(): string {
    return this.hash.copy().digest('hex');
  }

  /** Consumes body bytes from `buf` at `offset`; returns the offset after what it used. */
  feed(buf: Buffer, offset: number): number {
    if (this.framing === 'length') return this.feedLength(buf, offset);
    if (this.framing === 'close') {
      this.take(buf.subarray(offset));
      return buf.length;
    }
    if (this.framing === 'chunked') return this.feedChunked(buf, offset);
    return offset;
  }

  private feedLength(buf: Buffer, offset: number): number {
    const n = Math.min(this.remaining, buf.length - offset);
    this.take(buf.subarray(offset, offset + n));
    this.remaining -= n;
    if (this.remaining === 0) this.done = true;
    return offset + n;
  }

  // A small state machine over chunk-size lines, chunk data and the trailer section.
  private feedChunked(buf: Buffer, offset: number): number {
    let at = offset;
    while (!this.done && at < buf.length) {
      if (this.chunkState === 'size' || this.chunkState === 'trailers') {
        const eol = buf.indexOf('\r\n', at);
        if (eol < 0) return at;
        const line = buf.subarray(at, eol).toString('latin1');
        at = eol + 2;
        if (this.chunkState === 'trailers') {
          if (line === '') this.done = true;
          continue;
        }
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size)) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
        if (size === 0) {
          this.sawLastChunk = true;
          this.chunkState = 'trailers';
        } else {
          this.remaining = size;
          this.chunkState = 'data';
        }
      } else if (this.chunkState === 'data') {
        const n = Math.min(this.remaining, buf.length - at);
        this.take(buf.subarray(at, at + n));
        this.remaining -= n;
        at += n;
        if (this.remaining === 0) this.chunkState = 'data-crlf';
      } else {
        if (buf.length - at < 2) return at;
        at += 2;
        this.chunkState = 'size';
      }
    }
    return at;
  }

  private take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.length += bytes.length;
    this.hash.update(bytes);
    if (this.storedBytes < this.storeLimit) {
      const keep = bytes.subarray(0, this.storeLimit - this.storedBytes);
      this.stored.push(Buffer.from(keep));
      this.storedBytes += keep.length;
    }
  }
}

/** The framing of a request body from its headers (RFC 9112 section 6.3, request side). */
export function requestFraming(headers: HeaderList): { framing: Framing; length: number } {
  const te = headerValues(headers, 'transfer-encoding').join(',').toLowerCase();
  if (te.includes('chunked')) return { framing: 'chunked', length: 0 };
  const cl = headerValues(headers, 'content-length');
  if (cl.length > 0) return { framing: 'length', length: Number(cl[0]) };
  return { framing: 'none', length: 0 };
}

/** The framing of a response body, given the request method (RFC 9112 section 6.3). */
export function responseFraming(
  method: string,
  status: number,
  headers: HeaderList,
): { framing: Framing; length: number } {
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { framing: 'none', length: 0 };
  }
  const te = headerValues(headers, 'transfer-encoding').join(',').toLowerCase();
  if (te.includes('chunked')) return { framing: 'chunked', length: 0 };
  const cl = headerValues(headers, 'content-length');
  if (cl.length > 0) return { framing: 'length', length: Number(cl[0]) };
  return { framing: 'close', length: 0 };
}
