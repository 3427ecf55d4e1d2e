// Reading an upstream's HTTP/1.1 response head (RFC 9112 sections 4-6) straight from the bytes
// received: one pass over them, no text made of the head and no regular expression on the
// common path, since this runs once per proxied response. Strict where a lenient reading would
// let the upstream smuggle a second response into a kept-alive connection: repeated
// Content-Lengths that differ, a Transfer-Encoding that is not chunked last, folded lines and
// bare line feeds all fail the response rather than guess.
import { REASONS } from './errors.js';

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

/** Why a head was refused; the message names the fault without echoing upstream bytes. */
export class ResponseHeadError extends Error {
  readonly code = 'JETWAY_UPSTREAM_INVALID_RESPONSE';
  constructor(reason: string) {
    super(`invalid upstream response: ${reason}`);
  }
}

/** Numbers kept per field line in `ResponseHead.fields`. */
const FIELD = 6;
const F_START = 0;
const F_NAME_END = 1;
const F_VALUE = 2;
const F_VALUE_END = 3;
/** Where the line's CR is. */
const F_LINE_END = 4;
/** 1 when the field travels on to the client, 0 when it belongs to this connection. */
const F_FORWARD = 5;

const EMPTY = new Uint8Array(0);

/**
 * One response head as read from the upstream's bytes. The ranges index into `src`, which is
 * valid only while the upstream client's callback runs; a Connection reuses one ResponseHead for
 * every response it reads.
 */
export class ResponseHead {
  status = 0;
  /** `src[statusStart, statusEnd)` is the status line after `HTTP/1.x `: code and reason. */
  statusStart = 0;
  statusEnd = 0;
  body = BodyKind.Close;
  /** The Content-Length as declared (the body's length for BodyKind.Length), -1 when absent. */
  length = -1;
  /** The connection may carry another request after this response. */
  reusable = false;
  /** The upstream's `Keep-Alive: timeout=N` in ms, or -1. */
  keepAliveMs = -1;
  /** FIELD numbers per field line, in order (see F_*); `fieldCount` lines are this head's. */
  fields = new Int32Array(FIELD * 32);
  fieldCount = 0;
  src: Uint8Array = EMPTY;

  /** The reason phrase ('' when the status line has none). */
  get reason(): string {
    const from = this.statusStart + 4;
    return from >= this.statusEnd ? '' : latin1(this.src, from, this.statusEnd);
  }

  /** Names and values alternating, as views into `src`: the shape undici gives its handlers. */
  raw(): Buffer[] {
    const out: Buffer[] = [];
    const f = this.fields;
    const bytes = Buffer.from(this.src.buffer, this.src.byteOffset, this.src.byteLength);
    for (let i = 0; i < this.fieldCount * FIELD; i += FIELD) {
      out.push(bytes.subarray(f[i + F_START], f[i + F_NAME_END]));
      out.push(bytes.subarray(f[i + F_VALUE], f[i + F_VALUE_END]));
    }
    return out;
  }

  /**
   * The status line after `HTTP/1.1 ` and every forwarded field line, joined by CRLF and without
   * the last one: what uWS's writeStatus writes between `HTTP/1.1 ` and a CRLF, so the whole head
   * reaches the client in one call. The kept lines are moved together inside `src` (so call this
   * last: the field ranges no longer hold after it); a head whose forwarded lines already follow
   * each other is passed without a copy.
   */
  forwarded(): Uint8Array {
    const f = this.fields;
    const src = this.src;
    let end = this.statusEnd;
    for (let i = 0; i < this.fieldCount * FIELD; i += FIELD) {
      if (f[i + F_FORWARD] === 0) continue;
      const start = f[i + F_START];
      const lineEnd = f[i + F_LINE_END];
      if (start !== end + 2) {
        src[end] = CR;
        src[end + 1] = LF;
        src.copyWithin(end + 2, start, lineEnd);
      }
      end += 2 + lineEnd - start;
    }
    const head = src.subarray(this.statusStart, end);
    if (this.statusEnd - this.statusStart > 3) return head;
    // No reason phrase: the client still gets the SP after the code that RFC 9112 requires,
    // and the usual phrase with it (rare enough for a copy).
    const line = Buffer.from(`${this.status} ${REASONS[this.status] ?? 'Unknown'}`, 'latin1');
    return Buffer.concat([line, head.subarray(3)]);
  }

  private reset(src: Uint8Array): void {
    this.src = src;
    this.body = BodyKind.Close;
    this.length = -1;
    this.reusable = false;
    this.fieldCount = 0;
  }

  /**
   * Reads the head at `src[start, end)` of the answer to a request with method `method`.
   * Returns where the head ends (after its blank line), or -1 when the bytes stop before that.
   * Throws ResponseHeadError when the head is not one Jetway can pass on safely.
   */
  read(src: Uint8Array, start: number, end: number, method: string): number {
    this.reset(src);
    const at = this.readStatusLine(src, start, end);
    if (at < 0) return -1;
    const facts = FACTS;
    facts.reset();
    const done = this.readFields(src, at, end, facts);
    if (done < 0) return -1;
    if (facts.nominated !== null) this.dropNominated(facts.nominated);
    this.keepAliveMs = facts.keepAliveMs;
    this.frame(facts, method);
    return done;
  }

  /** Returns where the first field line starts, or -1 when more bytes are needed. */
  private readStatusLine(src: Uint8Array, start: number, end: number): number {
    if (end - start < 14) {
      // Too short to judge yet, unless what is there already cannot become a status line.
      for (let i = start; i < end; i++)
        if (src[i] === LF) throw new ResponseHeadError('status line');
      return -1;
    }
    for (let k = 0; k < 7; k++) {
      if (src[start + k] !== HTTP1[k]) throw new ResponseHeadError('status line');
    }
    const minor = src[start + 7];
    if ((minor !== 0x30 && minor !== 0x31) || src[start + 8] !== SP) {
      throw new ResponseHeadError('status line');
    }
    const d0 = src[start + 9] - 0x30;
    const d1 = src[start + 10] - 0x30;
    const d2 = src[start + 11] - 0x30;
    if (!(digit(d0) && digit(d1) && digit(d2))) throw new ResponseHeadError('status line');
    const status = d0 * 100 + d1 * 10 + d2;
    if (status < 100) throw new ResponseHeadError('status code');
    this.status = status;
    this.reusable = minor === 0x31;
    this.statusStart = start + 9;

    let i = start + 12;
    if (src[i] === SP) {
      i++;
      while (i < end && VALUE[src[i]] === 1) i++;
    }
    if (i + 1 >= end) return -1;
    if (src[i] !== CR || src[i + 1] !== LF) throw new ResponseHeadError('status line');
    this.statusEnd = i;
    return i + 2;
  }

  /** Reads field lines up to the blank line; returns the end of the head, or -1. */
  private readFields(src: Uint8Array, from: number, end: number, facts: Facts): number {
    let i = from;
    for (;;) {
      if (i + 1 >= end) return -1;
      if (src[i] === CR) {
        if (src[i + 1] !== LF) throw new ResponseHeadError('field line');
        return i + 2;
      }
      const start = i;
      while (i < end && TOKEN[src[i]] === 1) i++;
      if (i >= end) return -1;
      if (src[i] !== COLON) throw new ResponseHeadError(i === start ? 'field line' : 'field name');
      if (i === start) throw new ResponseHeadError('field name');
      const nameEnd = i++;
      while (i < end && (src[i] === SP || src[i] === HT)) i++;
      const value = i;
      while (i < end && VALUE[src[i]] === 1) i++;
      if (i + 1 >= end) return -1;
      if (src[i] !== CR || src[i + 1] !== LF) throw new ResponseHeadError('field value');
      let valueEnd = i;
      while (valueEnd > value && (src[valueEnd - 1] === SP || src[valueEnd - 1] === HT)) valueEnd--;
      const forward = note(src, start, nameEnd, value, valueEnd, facts) ? 1 : 0;
      this.addField(start, nameEnd, value, valueEnd, i, forward);
      i += 2;
    }
  }

  private addField(a: number, b: number, c: number, d: number, e: number, forward: number): void {
    let at = this.fieldCount * FIELD;
    if (at === this.fields.length) {
      const grown = new Int32Array(this.fields.length * 2);
      grown.set(this.fields);
      this.fields = grown;
    }
    const f = this.fields;
    f[at++] = a;
    f[at++] = b;
    f[at++] = c;
    f[at++] = d;
    f[at++] = e;
    f[at] = forward;
    this.fieldCount++;
  }

  /** Stops forwarding the fields a Connection header names (RFC 9110 section 7.6.1). */
  private dropNominated(names: string[]): void {
    const f = this.fields;
    for (let i = 0; i < this.fieldCount * FIELD; i += FIELD) {
      if (f[i + F_FORWARD] === 0) continue;
      const len = f[i + F_NAME_END] - f[i + F_START];
      for (const name of names) {
        if (name.length === len && sameName(this.src, f[i + F_START], name)) f[i + F_FORWARD] = 0;
      }
    }
  }

  /** Decides how the body is delimited and whether the connection may be reused. */
  private frame(facts: Facts, method: string): void {
    const http10 = !this.reusable;
    this.length = facts.length;
    if (facts.close) this.reusable = false;
    else if (http10 && facts.keepAlive) this.reusable = true;

    const s = this.status;
    if (method === 'HEAD' || s < 200 || s === 204 || s === 304) {
      this.body = BodyKind.None;
      return;
    }
    if (facts.codings !== '') {
      // RFC 9112 section 6.3: both framings at once "ought to be handled as an error", and a
      // response whose last coding is not chunked runs until the connection closes.
      if (facts.length >= 0) throw new ResponseHeadError('content-length with transfer-encoding');
      const codings = facts.codings.toLowerCase().split(',');
      const last = codings[codings.length - 1].trim();
      if (last === 'chunked' && !http10) {
        if (codings.length > 1) throw new ResponseHeadError('transfer-coding other than chunked');
        this.body = BodyKind.Chunked;
        return;
      }
      this.body = BodyKind.Close;
      this.reusable = false;
      return;
    }
    if (facts.length >= 0) {
      this.body = BodyKind.Length;
      return;
    }
    this.body = BodyKind.Close;
    this.reusable = false;
  }
}

/** What the fields say about framing and reuse, gathered while they are read. */
class Facts {
  /** Content-Length, -1 when absent. */
  length = -1;
  /** Every Transfer-Encoding value, joined by commas; '' when absent. */
  codings = '';
  close = false;
  keepAlive = false;
  /** Names listed in Connection other than close and keep-alive, lower-case. */
  nominated: string[] | null = null;
  keepAliveMs = -1;

  reset(): void {
    this.keepAliveMs = -1;
    this.length = -1;
    this.codings = '';
    this.close = false;
    this.keepAlive = false;
    this.nominated = null;
  }
}

/** Reused by every read on the thread: a head is read in one synchronous call. */
const FACTS = new Facts();

/**
 * Notes what the field at `src[start, nameEnd)` says about framing, and returns whether it
 * travels on to the client. Names are told apart by length first, so most fields cost one
 * switch. The fields that stop here are the hop-by-hop ones (RFC 9110 section 7.6.1) and the
 * ones uWS writes itself (Content-Length, Date); headers.ts lists the same set for the general
 * path, and a unit test holds the two together.
 */
function note(
  src: Uint8Array,
  start: number,
  nameEnd: number,
  value: number,
  valueEnd: number,
  facts: Facts,
): boolean {
  switch (nameEnd - start) {
    case 2:
      return !sameName(src, start, 'te');
    case 4:
      return !sameName(src, start, 'date');
    case 7:
      return !sameName(src, start, 'trailer') && !sameName(src, start, 'upgrade');
    case 10:
      if (sameName(src, start, 'connection')) {
        connectionOptions(src, value, valueEnd, facts);
        return false;
      }
      if (sameName(src, start, 'keep-alive')) {
        keepAliveTimeout(src, value, valueEnd, facts);
        return false;
      }
      return true;
    case 14:
      if (!sameName(src, start, 'content-length')) return true;
      contentLength(src, value, valueEnd, facts);
      return false;
    case 16:
      return !sameName(src, start, 'proxy-connection');
    case 17:
      if (!sameName(src, start, 'transfer-encoding')) return true;
      facts.codings += `${facts.codings === '' ? '' : ','}${latin1(src, value, valueEnd)}`;
      return false;
    case 18:
      return !sameName(src, start, 'proxy-authenticate');
    case 19:
      return !sameName(src, start, 'proxy-authorization');
    default:
      return true;
  }
}

/** Lengths of the names `note` stops; the unit test compares them with headers.ts's list. */
export const STOPPED_NAMES = [
  'te',
  'date',
  'trailer',
  'upgrade',
  'connection',
  'keep-alive',
  'content-length',
  'proxy-connection',
  'transfer-encoding',
  'proxy-authenticate',
  'proxy-authorization',
];

function contentLength(src: Uint8Array, from: number, to: number, facts: Facts): void {
  if (to === from || to - from > 15) throw new ResponseHeadError('content-length');
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = src[i] - 0x30;
    if (!digit(d)) throw new ResponseHeadError('content-length');
    n = n * 10 + d;
  }
  if (facts.length >= 0 && facts.length !== n) {
    throw new ResponseHeadError('conflicting content-length');
  }
  facts.length = n;
}

function connectionOptions(src: Uint8Array, from: number, to: number, facts: Facts): void {
  // The two usual values, without making text of them.
  if (to - from === 5 && sameName(src, from, 'close')) {
    facts.close = true;
    return;
  }
  if (to - from === 10 && sameName(src, from, 'keep-alive')) {
    facts.keepAlive = true;
    return;
  }
  for (const part of latin1(src, from, to).split(',')) {
    const name = part.trim().toLowerCase();
    if (name === 'close') facts.close = true;
    else if (name === 'keep-alive') facts.keepAlive = true;
    else if (name !== '') (facts.nominated ??= []).push(name);
  }
}

function keepAliveTimeout(src: Uint8Array, from: number, to: number, facts: Facts): void {
  const m = /(?:^|[,;\s])timeout=(\d{1,6})/i.exec(latin1(src, from, to));
  if (m !== null) facts.keepAliveMs = Number(m[1]) * 1000;
}

/** Whether `src` at `at` holds the lower-case token `lower` in any letter case. */
function sameName(src: Uint8Array, at: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    let c = src[at + k];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(k)) return false;
  }
  return true;
}

function digit(d: number): boolean {
  return d >= 0 && d <= 9;
}

function latin1(src: Uint8Array, from: number, to: number): string {
  return Buffer.from(src.buffer, src.byteOffset + from, to - from).toString('latin1');
}

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
const HTTP1 = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e]; // "HTTP/1."

/** tchar (RFC 9110 section 5.6.2). */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** Bytes of a field value or reason phrase: HTAB, SP, visible ASCII and obs-text; no controls. */
const VALUE = new Uint8Array(256);
VALUE[HT] = 1;
for (let c = 0x20; c <= 0x7e; c++) VALUE[c] = 1;
for (let c = 0x80; c <= 0xff; c++) VALUE[c] = 1;
