// The client address behind trusted proxies, in plain TypeScript with the Rust core's rules
// (`net.rs`, `client_address`).
//
// Only a trusted peer's word is taken. Each trusted hop appends the address it saw, so the
// chain is read from the right: the first address that is not trusted is the client; what
// lies left of it was written by the client and could be anything. An entry that is not an
// address (`unknown`, an obfuscated `_name`, a syntax error) ends the walk at the last
// address accepted, or the peer.

import type { CidrSet } from '../types.js';
import { parseV4, parseV6, ReferenceCidrSet } from './cidr.js';

/** Bounds of the address found by `node()`: `s[nodeStart, nodeEnd)`. */
let nodeStart = 0;
let nodeEnd = 0;

/** The client address; see the file comment and `HotPath.clientAddress`. */
export function clientAddress(
  peer: string,
  xff: string,
  forwarded: string,
  trusted: CidrSet,
): string {
  if (!trusted.contains(peer)) return peer;
  if (!isBlankRange(xff, 0, xff.length)) return walkXff(peer, xff, trusted);
  if (forwarded === '') return peer;
  return walkForwarded(peer, forwarded, trusted);
}

/** Walks X-Forwarded-For from the right without splitting it; empty elements are skipped. */
function walkXff(peer: string, xff: string, trusted: CidrSet): string {
  let lastStart = -1;
  let lastEnd = -1;
  for (let end = xff.length; end >= 0;) {
    // lastIndexOf clamps a negative start to 0, so the first element needs its own test.
    const comma = end > 0 ? xff.lastIndexOf(',', end - 1) : -1;
    let start = comma + 1;
    let stop = end;
    end = comma;
    while (start < stop && isBlank(xff.charCodeAt(start))) start++;
    while (stop > start && isBlank(xff.charCodeAt(stop - 1))) stop--;
    if (start === stop) continue;
    if (!node(xff, start, stop)) break;
    if (!inSet(trusted, xff, nodeStart, nodeEnd)) return xff.slice(nodeStart, nodeEnd);
    lastStart = nodeStart;
    lastEnd = nodeEnd;
  }
  return lastStart < 0 ? peer : xff.slice(lastStart, lastEnd);
}

/**
 * Finds the address of one chain node, all of `s[start, end)`: `a.b.c.d`, `a.b.c.d:port`,
 * bare IPv6, `[v6]` or `[v6]:port`. Sets nodeStart/nodeEnd to the address without brackets
 * and port.
 */
function node(s: string, start: number, end: number): boolean {
  if (s.charCodeAt(start) === 0x5b) {
    const close = s.indexOf(']', start);
    if (close < 0 || close >= end) return false;
    if (close + 1 < end && !(s.charCodeAt(close + 1) === 0x3a && isPort(s, close + 2, end))) {
      return false;
    }
    return parseV6(s, start + 1, close) && found(start + 1, close);
  }
  if (parseV4(s, start, end) >= 0 || parseV6(s, start, end)) return found(start, end);
  const colon = s.indexOf(':', start);
  if (colon < 0 || colon >= end) return false;
  return parseV4(s, start, colon) >= 0 && isPort(s, colon + 1, end) && found(start, colon);
}

function found(start: number, end: number): true {
  nodeStart = start;
  nodeEnd = end;
  return true;
}

/** 1 to 5 decimal digits; only the form is checked, not the value. */
function isPort(s: string, start: number, end: number): boolean {
  if (end <= start || end - start > 5) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isBlankRange(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isBlank(s.charCodeAt(i))) return false;
  return true;
}

// TODO(perf): each address is parsed twice, once to find it and once by the set; handing the
// parsed value to the set would save ~100 ns per IPv6 hop.
function inSet(set: CidrSet, s: string, start: number, end: number): boolean {
  if (set instanceof ReferenceCidrSet) return set.containsSlice(s, start, end);
  return set.contains(s.slice(start, end));
}

/** Walks the `for=` nodes of a Forwarded header (RFC 7239) from the right. */
function walkForwarded(peer: string, header: string, trusted: CidrSet): string {
  const nodes = forNodes(header);
  let last = peer;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const value = nodes[i]!;
    if (value === null || !forNode(value)) return last;
    const ip = value.slice(nodeStart, nodeEnd);
    if (!inSet(trusted, value, nodeStart, nodeEnd)) return ip;
    last = ip;
  }
  return last;
}

/** Whether a raw `for=` value is an address; `unknown`, `_obfuscated` and escapes are not. */
function forNode(value: string): boolean {
  const unknown = value.length === 7 && /^unknown$/i.test(value);
  if (unknown || value.charCodeAt(0) === 0x5f || value.includes('\\')) {
    return false;
  }
  return node(value, 0, value.length);
}

/**
 * The raw `for=` value (quotes removed, escapes kept) of each element, left to right; null
 * for an element without one, and a final null after a syntax error (the walk stops there).
 * Empty elements are skipped.
 */
function forNodes(header: string): Array<string | null> {
  const c = new Cursor(header);
  const nodes: Array<string | null> = [];
  for (;;) {
    c.skipBlanks();
    if (c.eat(0x2c)) continue;
    if (c.done()) return nodes;
    const value = c.element();
    if (value === undefined) {
      nodes.push(null);
      return nodes;
    }
    nodes.push(value);
    c.skipBlanks();
    if (!c.done() && !c.eat(0x2c)) {
      nodes.push(null);
      return nodes;
    }
  }
}

/** A left-to-right reader of RFC 7239 syntax. */
class Cursor {
  at = 0;

  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  peek(): number {
    return this.text.charCodeAt(this.at);
  }

  eat(c: number): boolean {
    const hit = this.peek() === c;
    if (hit) this.at++;
    return hit;
  }

  skipBlanks(): void {
    while (isBlank(this.peek())) this.at++;
  }

  /**
   * One element, `pair *( ";" [pair] )`, up to a `,` or the end: the value of its only `for`
   * pair, null when it has none, undefined on a syntax error or a second `for`. Blanks around
   * `;` are accepted although RFC 7239 has none there.
   */
  element(): string | null | undefined {
    let found: string | null = null;
    for (;;) {
      this.skipBlanks();
      if (this.done() || this.peek() === 0x2c) return found;
      if (this.eat(0x3b)) continue;
      const name = this.token();
      if (name === undefined || !this.eat(0x3d)) return undefined;
      const value = this.peek() === 0x22 ? this.quoted() : this.token();
      if (value === undefined) return undefined;
      if (name.toLowerCase() === 'for') {
        if (found !== null) return undefined;
        found = value;
      }
      this.skipBlanks();
      if (!this.done() && this.peek() !== 0x2c && !this.eat(0x3b)) return undefined;
    }
  }

  private token(): string | undefined {
    const start = this.at;
    while (isTchar(this.peek())) this.at++;
    return this.at === start ? undefined : this.text.slice(start, this.at);
  }

  /** A quoted-string (RFC 9110 5.6.4) at its opening quote; the inside, escapes kept. */
  private quoted(): string | undefined {
    const start = ++this.at;
    for (;;) {
      const c = this.peek();
      if (c === 0x22) break;
      if (c === 0x5c) {
        this.at++;
        const escaped = this.peek();
        if (!isQdtext(escaped) && escaped !== 0x22 && escaped !== 0x5c) return undefined;
      } else if (!isQdtext(c)) {
        // Also the end of the text: NaN is no qdtext.
        return undefined;
      }
      this.at++;
    }
    return this.text.slice(start, this.at++);
  }
}

/** RFC 9110 5.6.2 tchar, by character code; false for NaN (the end). */
const TCHAR = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) {
  const ch = String.fromCharCode(c);
  TCHAR[c] = /[A-Za-z0-9]/.test(ch) || "!#$%&'*+-.^_`|~".includes(ch) ? 1 : 0;
}

function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

/** RFC 9110 qdtext without obs-text: raw non-ASCII ends the walk like any bad syntax. */
function isQdtext(c: number): boolean {
  return c === 0x09 || c === 0x20 || c === 0x21 || (c >= 0x23 && c <= 0x7e && c !== 0x5c);
}
