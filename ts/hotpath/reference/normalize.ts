// Path normalisation in plain TypeScript: the same rules as the Rust core's `path.rs`.
//
// Two phases. The first scans every character once: it finds the errors that depend on single
// characters or escapes (so these win over dot-segment errors, whatever their position) and
// notes whether anything would change. Most request paths change in nothing, and for them the
// input string itself is returned without allocating. The second phase rebuilds the path
// segment by segment: decode, reject `..;`, remove dot segments (RFC 3986 5.2.4), merge slashes.

import type { NormalizeOptions, PathErrorCode } from '../types.js';

/** Path error kinds, numbered as the Rust core's `PathErrorKind::as_u32`. */
export const NOT_ABSOLUTE = 1;
export const BAD_PERCENT = 2;
export const ENCODED_SLASH = 3;
export const BACKSLASH = 4;
export const NUL = 5;
export const DOT_SEMICOLON = 6;
export const ABOVE_ROOT = 7;
export const BAD_BYTE = 8;

const CODES: readonly PathErrorCode[] = [
  'JETWAY_PATH_BAD_BYTE', // 0 is never used; a safe default
  'JETWAY_PATH_NOT_ABSOLUTE',
  'JETWAY_PATH_BAD_PERCENT',
  'JETWAY_PATH_ENCODED_SLASH',
  'JETWAY_PATH_BACKSLASH',
  'JETWAY_PATH_NUL',
  'JETWAY_PATH_DOT_SEMICOLON',
  'JETWAY_PATH_ABOVE_ROOT',
  'JETWAY_PATH_BAD_BYTE',
];

/** The stable code of a numeric path error kind. */
export function pathErrorCode(kind: number): PathErrorCode {
  return CODES[kind] ?? 'JETWAY_PATH_BAD_BYTE';
}

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const BACKSLASH_CHAR = 0x5c;
const SEMICOLON = 0x3b;

/** Hex digit value by character code (0-127), or -1. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x41 + i] = 10 + i;
  HEX_VALUE[0x61 + i] = 10 + i;
}

/** Whether byte b is an RFC 3986 unreserved character (ALPHA DIGIT - . _ ~). */
const UNRESERVED = new Uint8Array(256);
for (let b = 0; b < 128; b++) {
  const alpha = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
  const digit = b >= 0x30 && b <= 0x39;
  UNRESERVED[b] = alpha || digit || b === 0x2d || b === DOT || b === 0x5f || b === 0x7e ? 1 : 0;
}

/** The normal form of each escape whose byte stays encoded: `%` and upper-case hex. */
const ESCAPE = Array.from(
  { length: 256 },
  (_, b) => '%' + b.toString(16).toUpperCase().padStart(2, '0'),
);

/** Value of the escape whose `%` is at `i`, or -1 when it is not two hex digits. */
export function escapeAt(s: string, i: number): number {
  const hi = s.charCodeAt(i + 1);
  const lo = s.charCodeAt(i + 2);
  // NaN (past the end) and non-ASCII fail the `< 128` tests.
  if (!(hi < 128 && lo < 128)) return -1;
  const h = HEX_VALUE[hi]!;
  const l = HEX_VALUE[lo]!;
  return h < 0 || l < 0 ? -1 : (h << 4) | l;
}

/**
 * Normalises `input` (a path without query). Returns the normal form (the input string itself
 * when nothing changes) or a numeric error kind; callers on the hot path branch on
 * `typeof result === 'number'` instead of catching.
 */
export function normalize(input: string, options: NormalizeOptions): string | number {
  const scan = scanPath(input, options);
  if (scan < 0) return -scan;
  return scan === CLEAN ? input : rebuild(input, options);
}

const CLEAN = 0;
const DIRTY = 1;

/** Phase one: a negated error kind, CLEAN (nothing to change) or DIRTY. */
function scanPath(s: string, options: NormalizeOptions): number {
  const n = s.length;
  if (n === 0 || s.charCodeAt(0) !== SLASH) return -NOT_ABSOLUTE;
  let state = CLEAN;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === SLASH) {
      const next = s.charCodeAt(i + 1);
      // A segment that starts with `.` may be a dot segment or `..;`; `//` may be merged.
      if (next === DOT || (next === SLASH && options.mergeSlashes)) state = DIRTY;
    } else if (c === PERCENT) {
      const b = escapeAt(s, i);
      if (b < 0) return -BAD_PERCENT;
      const bad = byteError(b, options);
      if (bad !== 0) return -bad;
      // Lower-case hex digits (code >= 'a') are rewritten in upper case.
      const lower = s.charCodeAt(i + 1) >= 0x61 || s.charCodeAt(i + 2) >= 0x61;
      if (UNRESERVED[b] === 1 || lower) state = DIRTY;
      i += 2;
    } else if (c <= 0x20 || c >= 0x7f) {
      return c === 0 ? -NUL : -BAD_BYTE;
    } else if (c === BACKSLASH_CHAR && !options.allowBackslash) {
      return -BACKSLASH;
    }
  }
  return state;
}

/** The error an escape of byte `b` causes, or 0. */
function byteError(b: number, options: NormalizeOptions): number {
  if (b === 0) return NUL;
  if (b === SLASH) return options.allowEncodedSlash ? 0 : ENCODED_SLASH;
  if (b === BACKSLASH_CHAR) return options.allowBackslash ? 0 : BACKSLASH;
  return 0;
}

/** Decoded segments and output segments of the path being rebuilt; reused across calls. */
const segments: string[] = [];
const stack: string[] = [];

/**
 * Phase two, for a path that phase one found valid but not in normal form. Every segment is
 * decoded and checked for `..;` before any dot segment is removed, so DotSemicolon wins over
 * AboveRoot wherever each is. On the stack, `''` is an empty segment; a final `''` is the
 * trailing slash.
 */
function rebuild(s: string, options: NormalizeOptions): string | number {
  const n = s.length;
  segments.length = 0;
  for (let start = 1; start <= n;) {
    let end = s.indexOf('/', start);
    if (end < 0) end = n;
    const seg = decodeSegment(s, start, end);
    if (isDotSemicolon(seg)) return DOT_SEMICOLON;
    segments.push(seg);
    start = end + 1;
  }
  return removeDotSegments(options);
}

/** RFC 3986 5.2.4 over `segments`, merging empty segments when asked. */
function removeDotSegments(options: NormalizeOptions): string | number {
  stack.length = 0;
  const count = segments.length;
  for (let i = 0; i < count; i++) {
    const seg = segments[i]!;
    const last = i === count - 1;
    if (seg === '..') {
      if (stack.length === 0) return ABOVE_ROOT;
      stack.pop();
    } else if (seg !== '.' && (seg !== '' || !options.mergeSlashes || last)) {
      stack.push(seg);
      continue;
    }
    // A final `.` or `..` (or a skipped empty segment) leaves the trailing slash.
    if (last) stack.push('');
  }
  return '/' + stack.join('/');
}

/** Whether a decoded segment is `.` or `..` followed by `;` (raw or `%3B`). */
function isDotSemicolon(seg: string): boolean {
  if (seg.charCodeAt(0) !== DOT) return false;
  const rest = seg.charCodeAt(1) === DOT ? 2 : 1;
  const c = seg.charCodeAt(rest);
  if (c === SEMICOLON) return true;
  return c === PERCENT && seg.startsWith('%3B', rest);
}

/** `s[start, end)` with unreserved escapes decoded and the others in upper-case hex. */
function decodeSegment(s: string, start: number, end: number): string {
  let i = s.indexOf('%', start);
  if (i < 0 || i >= end) return s.slice(start, end);
  let out = s.slice(start, i);
  while (i < end) {
    const next = s.indexOf('%', i);
    if (next < 0 || next >= end) return out + s.slice(i, end);
    out += s.slice(i, next);
    // Phase one validated every escape.
    const b = escapeAt(s, next);
    out += UNRESERVED[b] === 1 ? String.fromCharCode(b) : ESCAPE[b]!;
    i = next + 3;
  }
  return out;
}
