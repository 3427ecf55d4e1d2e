// Reading an upstream's HTTP/1.1 response head (RFC 9112 sections 4-6). Strict where a lenient
// reading would let the upstream smuggle a second response into a kept-alive connection:
// repeated Content-Lengths that differ, a Transfer-Encoding that is not chunked last, folded
// lines and bare line feeds all fail the response rather than guess.

/** How the body after the head is delimited. */
export const enum BodyKind {
  /** No body: HEAD, 1xx, 204, 304. */
  None,
  /** Exactly `length` bytes. */
  Length,
  /** Chunked transfer coding. */
  Chunked,
  /** Until the upstream closes the connection. */
  Close,
}

export interface ResponseHead {
  status: number;
  reason: string;
  /** Names and values alternating, as sent (views into the received bytes). */
  raw: Buffer[];
  body: BodyKind;
  /** Body length for BodyKind.Length, else -1. */
  length: number;
  /** The connection may carry another request after this response. */
  reusable: boolean;
  /** The upstream's `Keep-Alive: timeout=N` in ms, or -1. */
  keepAliveMs: number;
}

/** Why a head was refused; the message names the fault without echoing upstream bytes. */
export class ResponseHeadError extends Error {
  readonly code = 'JETWAY_UPSTREAM_INVALID_RESPONSE';
  constructor(reason: string) {
    super(`invalid upstream response: ${reason}`);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^\d{1,15}$/;
// Field values: visible ASCII, obs-text and inner spaces or tabs; no controls.
const BAD_VALUE = /[\0-\x08\x0a-\x1f\x7f]/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/;

/**
 * Parses the head in `buf[0, end)` (`end` is where the blank line starts) of the answer to a
 * request with method `method`. Throws ResponseHeadError when the head is not one Jetway
 * can pass on safely.
 */
export function parseResponseHead(buf: Buffer, end: number, method: string): ResponseHead {
  const text = buf.toString('latin1', 0, end);
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const line = STATUS_LINE.exec(text.slice(0, eol));
  if (line === null) throw new ResponseHeadError('status line');
  const status = Number(line[2]);
  if (status < 100) throw new ResponseHeadError('status code');
  const http10 = line[1] === '0';

  const head: ResponseHead = {
    status,
    reason: line[3] ?? '',
    raw: [],
    body: BodyKind.Close,
    length: -1,
    reusable: !http10,
    keepAliveMs: -1,
  };
  const fields = readFields(buf, text, eol, head);
  frame(head, fields, method, http10);
  return head;
}

/** The framing facts gathered from the fields. */
interface Fields {
  length: string;
  transferEncoding: string;
  connection: string;
}

/** Reads every field line after the status line into `head.raw`. */
function readFields(buf: Buffer, text: string, eol: number, head: ResponseHead): Fields {
  const fields: Fields = { length: '', transferEncoding: '', connection: '' };
  let at = eol + 2;
  while (at < text.length) {
    let next = text.indexOf('\r\n', at);
    if (next < 0) next = text.length;
    const colon = text.indexOf(':', at);
    if (colon < 0 || colon >= next) throw new ResponseHeadError('field line');
    const name = text.slice(at, colon);
    if (!TOKEN.test(name)) throw new ResponseHeadError('field name');
    let from = colon + 1;
    let to = next;
    while (from < to && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
    while (to > from && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9)) to--;
    const value = text.slice(from, to);
    if (BAD_VALUE.test(value)) throw new ResponseHeadError('field value');
    head.raw.push(buf.subarray(at, colon), buf.subarray(from, to));
    if (name.length >= 10) note(fields, head, name, value);
    at = next + 2;
  }
  return fields;
}

/** Keeps the fields that decide framing and reuse; `name` is at least 10 characters. */
function note(fields: Fields, head: ResponseHead, name: string, value: string): void {
  const lower = name.toLowerCase();
  if (lower === 'content-length') {
    if (fields.length !== '' && fields.length !== value) {
      throw new ResponseHeadError('conflicting content-length');
    }
    fields.length = value;
  } else if (lower === 'transfer-encoding') {
    fields.transferEncoding = fields.transferEncoding
      ? `${fields.transferEncoding},${value}`
      : value;
  } else if (lower === 'connection') {
    fields.connection = fields.connection ? `${fields.connection},${value}` : value;
  } else if (lower === 'keep-alive') {
    const m = /(?:^|[,;\s])timeout=(\d{1,6})/i.exec(value);
    if (m !== null) head.keepAliveMs = Number(m[1]) * 1000;
  }
}

/** Decides how the body is delimited and whether the connection may be reused. */
function frame(head: ResponseHead, f: Fields, method: string, http10: boolean): void {
  const options = f.connection.toLowerCase();
  if (/(?:^|,)\s*close\s*(?:,|$)/.test(options)) head.reusable = false;
  else if (http10 && /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(options)) head.reusable = true;

  const s = head.status;
  if (method === 'HEAD' || s < 200 || s === 204 || s === 304) {
    head.body = BodyKind.None;
    return;
  }
  if (f.transferEncoding !== '') {
    // RFC 9112 section 6.3: both framings at once "ought to be handled as an error", and a
    // response whose last coding is not chunked runs until the connection closes.
    if (f.length !== '') throw new ResponseHeadError('content-length with transfer-encoding');
    const codings = f.transferEncoding.toLowerCase().split(',');
    const last = codings[codings.length - 1].trim();
    if (last === 'chunked' && !http10) {
      if (codings.length > 1) throw new ResponseHeadError('transfer-coding other than chunked');
      head.body = BodyKind.Chunked;
      return;
    }
    head.body = BodyKind.Close;
    head.reusable = false;
    return;
  }
  if (f.length !== '') {
    if (!DIGITS.test(f.length)) throw new ResponseHeadError('content-length');
    head.body = BodyKind.Length;
    head.length = Number(f.length);
    return;
  }
  head.body = BodyKind.Close;
  head.reusable = false;
}
