// Reads HTTP/1.1 responses off one keep-alive connection of the bounded client: the status and
// body of each, framed by Content-Length or by chunked encoding. A response it cannot frame is
// an error that says why, never a guess: every later count on that connection would be wrong.

export interface Response {
  status: number;
  body: Buffer;
}

export class ResponseFramingError extends Error {
  readonly code = 'BENCH_RESPONSE_FRAMING';
}

/** How the body of a response is delimited. */
type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/;

/**
 * Parses the response at the start of `buf`; null while more bytes are needed. `size` is how
 * many bytes of `buf` it took.
 */
export function parseResponse(buf: Buffer): { response: Response; size: number } | null {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const lines = buf.toString('latin1', 0, headEnd).split('\r\n');
  const m = STATUS_LINE.exec(lines[0]);
  if (!m) throw new ResponseFramingError(`not a status line: ${JSON.stringify(lines[0])}`);
  const status = Number(m[1]);
  const framing = framingOf(status, lines.slice(1));

  const bodyStart = headEnd + 4;
  if (framing.kind === 'none')
    return { response: { status, body: Buffer.alloc(0) }, size: bodyStart };
  if (framing.kind === 'length') {
    const end = bodyStart + framing.length;
    if (buf.length < end) return null;
    return { response: { status, body: buf.subarray(bodyStart, end) }, size: end };
  }
  const chunked = parseChunked(buf, bodyStart);
  return chunked && { response: { status, body: chunked.body }, size: chunked.end };
}

/** The framing the header lines give a response with `status` (to a GET request). */
function framingOf(status: number, lines: readonly string[]): Framing {
  // RFC 9112 section 6.3: these never carry a body, whatever their headers say.
  if (status < 200 || status === 204 || status === 304) return { kind: 'none' };
  let length: number | null = null;
  let chunked = false;
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ResponseFramingError(`malformed header: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding') chunked = /(^|,)\s*chunked\s*$/i.test(value);
    if (name !== 'content-length') continue;
    if (!/^\d+$/.test(value) || (length !== null && Number(value) !== length)) {
      throw new ResponseFramingError(`unusable Content-Length: ${JSON.stringify(value)}`);
    }
    length = Number(value);
  }
  if (chunked) return { kind: 'chunked' };
  if (length !== null) return { kind: 'length', length };
  // Such a response ends when the connection closes, which ends the connection's count too.
  throw new ResponseFramingError('neither Content-Length nor chunked: the body ends at close');
}

/** A chunked body from `start`: its data and where the message ends; null when incomplete. */
function parseChunked(buf: Buffer, start: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let pos = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', pos);
    if (lineEnd < 0) return null;
    const sizeText = buf.toString('latin1', pos, lineEnd).split(';')[0].trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) {
      throw new ResponseFramingError(`bad chunk size: ${JSON.stringify(sizeText)}`);
    }
    const size = parseInt(sizeText, 16);
    pos = lineEnd + 2;
    if (size === 0) break;
    if (buf.length < pos + size + 2) return null;
    if (buf.toString('latin1', pos + size, pos + size + 2) !== '\r\n') {
      throw new ResponseFramingError('a chunk does not end with CRLF');
    }
    parts.push(buf.subarray(pos, pos + size));
    pos += size + 2;
  }

  // The last chunk, then trailer lines (usually none) and a blank line.
  if (buf.length < pos + 2) return null;
  if (buf.toString('latin1', pos, pos + 2) === '\r\n')
    return { body: Buffer.concat(parts), end: pos + 2 };
  const trailersEnd = buf.indexOf('\r\n\r\n', pos);
  return trailersEnd < 0 ? null : { body: Buffer.concat(parts), end: trailersEnd + 4 };
}

/**
 * The responses of one connection, fed the bytes as they arrive. A partial response is kept
 * and parsed again from its start when more bytes come: cheap for the small bodies the
 * bounded client asks for.
 */
export class ResponseReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds bytes read; returns the responses they completed, in order. */
  push(chunk: Buffer): Response[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const done: Response[] = [];
    for (;;) {
      const parsed = this.pending.length === 0 ? null : parseResponse(this.pending);
      if (parsed === null) return done;
      done.push(parsed.response);
      this.pending = this.pending.subarray(parsed.size);
    }
  }

  /** Bytes received of a response not yet complete (0 between responses). */
  get partialBytes(): number {
    return this.pending.length;
  }
}
