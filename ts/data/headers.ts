// Header rules of the proxy path: what is dropped in each direction and what
// Jetway adds. Hop-by-hop headers (RFC 9110 section 7.6.1), including every name
// listed in Connection, are removed before Jetway adds its own, so a client can
// never use Connection to strip a header the proxy set.

/** Hop-by-hop headers, always removed in both directions. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers Jetway sets itself toward the upstream; client values never pass as they are. */
const FORWARDING = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'forwarded',
  'x-real-ip',
]);

/**
 * Request headers as uWS hands them over (names lower-case), with the facts
 * the proxy needs gathered in the same pass.
 */
export class RequestHeaders {
  /**
   * Flat [name, value, name, value, ...] in arrival order; only the first `size` entries are
   * this request's (the array is reused, and emptying it would cost more than counting).
   */
  readonly raw: string[] = [];
  size = 0;
  host = '';
  connection = '';
  contentLength = '';
  /** Content-Length was present, even with an empty value. */
  hasContentLength = false;
  /** Transfer-Encoding was present, even with an empty value. */
  hasTransferEncoding = false;
  /** Set when Content-Length appears twice with different values. */
  conflictingLength = false;
  /** Host appeared more than once (RFC 9112 section 3.2: answered 400). */
  repeatedHost = false;
  /** Headers received, repeats included (a repeated identical Content-Length is kept once). */
  count = 0;
  /** Characters in the header names and values, with 4 per line for `: ` and CRLF. */
  bytes = 0;
  transferEncoding = '';
  xForwardedFor = '';
  forwarded = '';
  xForwardedProto = '';

  /** Empties the object for the next request. */
  reset(): void {
    this.size = 0;
    this.host = '';
    this.connection = '';
    this.contentLength = '';
    this.hasContentLength = false;
    this.hasTransferEncoding = false;
    this.conflictingLength = false;
    this.repeatedHost = false;
    this.count = 0;
    this.bytes = 0;
    this.transferEncoding = '';
    this.xForwardedFor = '';
    this.forwarded = '';
    this.xForwardedProto = '';
  }

  add(name: string, value: string): void {
    this.count++;
    this.bytes += name.length + value.length + 4;
    if (name === 'content-length' && this.hasContentLength) {
      if (this.contentLength !== value) this.conflictingLength = true;
      return; // an identical repeat says nothing new, and undici refuses to send two
    }
    this.raw[this.size++] = name;
    this.raw[this.size++] = value;
    switch (name) {
      case 'host':
        if (this.host !== '') this.repeatedHost = true;
        this.host = value;
        break;
      case 'connection':
        this.connection = this.connection ? `${this.connection},${value}` : value;
        break;
      case 'content-length':
        this.hasContentLength = true;
        this.contentLength = value;
        break;
      case 'transfer-encoding':
        this.hasTransferEncoding = true;
        this.transferEncoding = this.transferEncoding ? `${this.transferEncoding},${value}` : value;
        break;
      case 'x-forwarded-for':
        this.xForwardedFor = this.xForwardedFor ? `${this.xForwardedFor},${value}` : value;
        break;
      case 'forwarded':
        this.forwarded = this.forwarded ? `${this.forwarded},${value}` : value;
        break;
      case 'x-forwarded-proto':
        this.xForwardedProto = value;
        break;
    }
  }

  /** The value of `name` (lower-case), '' when absent; the first when repeated. */
  get(name: string): string {
    const raw = this.raw;
    for (let i = 0; i < this.size; i += 2) if (raw[i] === name) return raw[i + 1];
    return '';
  }
}

/** Names listed in a Connection value, lower-case; null when there are none. */
export function connectionNames(value: string): Set<string> | null {
  if (value === '') return null;
  const names = new Set<string>();
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive') names.add(name);
  }
  return names.size > 0 ? names : null;
}

export interface ForwardingFacts {
  /** The client address after trusted-proxy resolution. */
  client: string;
  /** Whether the TCP peer is a trusted proxy. */
  peerTrusted: boolean;
  peer: string;
  /** 'replace' or 'append' (config `forwarded_for`). */
  mode: 'replace' | 'append';
  /** The scheme the client used to reach Jetway. */
  scheme: 'http' | 'https';
}

/**
 * The client's end-to-end headers, as sent upstream. Expect is dropped because uWS has already
 * answered `100-continue` to the client; Jetway's forwarding headers follow as the lines of
 * forwardingLines.
 */
export function upstreamHeaders(req: RequestHeaders): string[] {
  const nominated = connectionNames(req.connection);
  const raw = req.raw;
  // Sized for every header up front: an empty array would first grow to room for 17.
  const out = new Array<string>(req.size);
  let n = 0;
  for (let i = 0; i < req.size; i += 2) {
    const name = raw[i];
    if (HOP_BY_HOP.has(name) || FORWARDING.has(name) || name === 'expect') continue;
    if (nominated !== null && nominated.has(name)) continue;
    out[n++] = name;
    out[n++] = raw[i + 1];
  }
  out.length = n;
  return out;
}

/** The forwarding lines last made, and what they were made from. */
const lastLines = { chain: '', proto: '', client: '', host: '', lines: '' };

/**
 * Jetway's forwarding headers as header lines (`name: value\r\n` each). A client sends the same
 * facts on every request of a connection, so the last lines are kept and reused when the facts
 * match: four comparisons instead of five headers of text.
 */
export function forwardingLines(req: RequestHeaders, fwd: ForwardingFacts): string {
  const chain =
    fwd.mode === 'append' && fwd.peerTrusted && req.xForwardedFor !== ''
      ? `${req.xForwardedFor}, ${fwd.peer}`
      : fwd.mode === 'append'
        ? fwd.peer
        : fwd.client;
  const proto = fwd.peerTrusted && req.xForwardedProto !== '' ? req.xForwardedProto : fwd.scheme;
  const last = lastLines;
  const host = req.host;
  if (
    chain === last.chain &&
    fwd.client === last.client &&
    host === last.host &&
    proto === last.proto
  ) {
    return last.lines;
  }

  let lines = `x-forwarded-for: ${chain}\r\nx-forwarded-proto: ${proto}\r\n`;
  lines += `x-real-ip: ${fwd.client}\r\n`;
  if (host !== '') lines += `x-forwarded-host: ${host}\r\n`;
  lines += `forwarded: ${forwardedValue(fwd.client, host, proto)}\r\n`;
  last.chain = chain;
  last.proto = proto;
  last.client = fwd.client;
  last.host = host;
  last.lines = lines;
  return lines;
}

/** Header lines as a name-value list, for a client that takes headers only that way. */
export function linesToList(lines: string): string[] {
  const out: string[] = [];
  for (const line of lines.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    out.push(line.slice(0, colon), line.slice(colon + 2));
  }
  return out;
}

function forwardedValue(client: string, host: string, proto: string): string {
  const node = client.includes(':') ? `"[${client}]"` : client;
  const hostPart = host !== '' ? `;host="${quotable(host)}"` : '';
  return `for=${node}${hostPart};proto=${proto}`;
}

/** `text` without the characters a quoted-string would need escaped. */
function quotable(text: string): string {
  return text.includes('"') || text.includes('\\') ? text.replace(/["\\]/g, '') : text;
}

/**
 * Response headers that never reach the client as the upstream sent them. Jetway's own client
 * tells them apart while it reads the head (response-head.ts); a unit test holds both lists
 * together.
 */
export const RESPONSE_DROP: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  // uWS frames the response and writes its own Date.
  'content-length',
  'date',
]);

/**
 * Calls `write(name, value)` for each end-to-end response header in `raw`
 * (the upstream client's flat Buffer list), in order; repeated headers such as Set-Cookie
 * pass one by one, untouched. Names and values stay Buffers: uWS encodes a JS
 * string as UTF-8, which would turn an obs-text byte such as 0xE9 into two bytes.
 */
export function eachResponseHeader(
  raw: Buffer[],
  write: (name: Buffer, value: Buffer) => void,
): void {
  let nominated: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toString('latin1').toLowerCase() === 'connection') {
      nominated = connectionNames(raw[i + 1].toString('latin1'));
    }
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    // Most names cannot be dropped by their length alone; only those are read as text.
    if ((nominated !== null || DROP_LENGTHS.has(name.length)) && dropped(name, nominated)) continue;
    write(name, raw[i + 1]);
  }
}

const DROP_LENGTHS = new Set([...RESPONSE_DROP].map((n) => n.length));

function dropped(name: Buffer, nominated: Set<string> | null): boolean {
  const lower = name.toString('latin1').toLowerCase();
  return RESPONSE_DROP.has(lower) || (nominated !== null && nominated.has(lower));
}

const CRLF = Buffer.from('\r\n');
const COLON_SP = Buffer.from(': ');

/**
 * The status line (without `HTTP/1.1 `) and the end-to-end headers of `raw`, joined by CRLF and
 * without the last one: the form in which the proxy hands a whole head to uWS's writeStatus.
 */
export function joinResponseHead(status: string, raw: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(status, 'latin1')];
  eachResponseHeader(raw, (name, value) => parts.push(CRLF, name, COLON_SP, value));
  return Buffer.concat(parts);
}
