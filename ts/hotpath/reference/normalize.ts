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

/** Character codes of the upper-case hex digits, for escapes that stay encoded. */
const HEX_DIGITS = Uint8Array.from('0123456789ABCDEF', (d) => d.charCodeAt(0));

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
  if (PLAINLY_CANONICAL.test(input)) return input;
  const scan = scanPath(input, options);
  if (scan < 0) return -scan;
  return scan === CLEAN ? input : rebuild(input, options);
}

/**
 * Paths that are canonical under any options: segments of unreserved and sub-delim
 * characters, `:` and `@`, none empty but a final one, none starting with `.`, no `%`. Most
 * request paths are such, and V8 runs this test as machine code about 1.5x faster than the
 * scan below, which decides every other path.
 */
const PLAINLY_CANONICAL = /^(?=\/)(?:\/[\w\-~!$&'()*+,;=:@][\w\-.~!$&'()*+,;=:@]*)*\/?$/;

const CLEAN = 0;
const DIRTY = 1;

/** Character classes for phase one; anything not listed is PLAIN (kept as it is). */
const PLAIN = 0;
const SLASH_CLASS = 1;
const PERCENT_CLASS = 2;
const BACKSLASH_CLASS = 3;
const BAD_CLASS = 4;
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c <= 0x20; c++) CHAR_CLASS[c] = BAD_CLASS;
CHAR_CLASS[0x7f] = BAD_CLASS;
CHAR_CLASS[SLASH] = SLASH_CLASS;
CHAR_CLASS[PERCENT] = PERCENT_CLASS;
CHAR_CLASS[BACKSLASH_CHAR] = BACKSLASH_CLASS;

/** Phase one: a negated error kind, CLEAN (nothing to change) or DIRTY. */
function scanPath(s: string, options: NormalizeOptions): number {
  const n = s.length;
  if (n === 0 || s.charCodeAt(0) !== SLASH) return -NOT_ABSOLUTE;
  let state = CLEAN;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // One table load sorts out the common characters.
    const k = c < 128 ? CHAR_CLASS[c]! : BAD_CLASS;
    if (k === PLAIN) continue;
    if (k === SLASH_CLASS) {
      const next = s.charCodeAt(i + 1);
      if ((next === SLASH && options.mergeSlashes) || (next === DOT && dotAhead(s, i + 1))) {
        state = DIRTY;
      }
    } else if (k === PERCENT_CLASS) {
      const b = escapeAt(s, i);
      if (b < 0) return -BAD_PERCENT;
      const bad = byteError(b, options);
      if (bad !== 0) return -bad;
      // Lower-case hex digits (code >= 'a') are rewritten in upper case.
      const lower = s.charCodeAt(i + 1) >= 0x61 || s.charCodeAt(i + 2) >= 0x61;
      if (UNRESERVED[b] === 1 || lower) state = DIRTY;
      i += 2;
    } else if (k === BAD_CLASS) {
      return c === 0 ? -NUL : -BAD_BYTE;
    } else if (!options.allowBackslash) {
      return -BACKSLASH;
    }
  }
  return state;
}

/**
 * Whether the segment starting with the `.` at `i` may be `.`, `..` or `.;`/`..;` (raw or
 * with `%3B`): the only segments starting with `.` that phase two changes or rejects.
 */
function dotAhead(s: string, i: number): boolean {
  const c = i + 1 < s.length ? s.charCodeAt(i + 1) : SLASH;
  if (c !== DOT) return c === SLASH || c === SEMICOLON || c === PERCENT;
  const d = i + 2 < s.length ? s.charCodeAt(i + 2) : SLASH;
  return d === SLASH || d === SEMICOLON || d === PERCENT;
}

/** The error an escape of byte `b` causes, or 0. */
function byteError(b: number, options: NormalizeOptions): number {
  if (b === 0) return NUL;
  if (b === SLASH) return options.allowEncodedSlash ? 0 : ENCODED_SLASH;
  if (b === BACKSLASH_CHAR) return options.allowBackslash ? 0 : BACKSLASH;
  return 0;
}

/** Output of phase two: ASCII only, as phase one let nothing else through. Grown on demand. */
let out = Buffer.allocUnsafe(512);
/** Offsets in `out` of the `/` before each kept segment. */
let marks = new Int32Array(256);

/**
 * Phase two, for a path that phase one found valid but not in normal form: one pass that
 * decodes each segment into `out` and then keeps it, drops it (`.`, a merged empty segment)
 * or drops it and the one before (`..`). A `..` above the root is only noted, because a
 * `..;` segment anywhere after it still decides the error (DotSemicolon wins, as in the core).
 */
function rebuild(s: string, options: NormalizeOptions): string | number {
  const n = s.length;
  if (out.length <= n) out = Buffer.allocUnsafe(2 * n);
  if (marks.length <= n) marks = new Int32Array(2 * n);
  let len = 0;
  let depth = 0;
  let aboveRoot = false;
  for (let start = 1; start <= n;) {
    let end = s.indexOf('/', start);
    if (end < 0) end = n;
    const last = end === n;
    const mark = len;
    out[len++] = SLASH;
    len = decodeInto(s, start, end, len);
    const kind = segmentKind(mark + 1, len);
    if (kind === DOT_SEMICOLON_SEGMENT) return DOT_SEMICOLON;
    if (kind === KEEP && (len > mark + 1 || last || !options.mergeSlashes)) {
      marks[depth++] = mark;
    } else {
      len = mark;
      if (kind === PARENT) {
        if (depth === 0) aboveRoot = true;
        else len = marks[--depth]!;
      }
      // A final `.` or `..` (or merged empty segment) leaves the trailing slash.
      if (last) out[len++] = SLASH;
    }
    start = end + 1;
  }
  return aboveRoot ? ABOVE_ROOT : out.toString('latin1', 0, len);
}

const KEEP = 0;
const CURRENT = 1;
const PARENT = 2;
const DOT_SEMICOLON_SEGMENT = 3;

/** Classifies the decoded segment `out[start, end)`. */
function segmentKind(start: number, end: number): number {
  if (end === start || out[start] !== DOT) return KEEP;
  const dots = end > start + 1 && out[start + 1] === DOT ? 2 : 1;
  if (end === start + dots) return dots === 1 ? CURRENT : PARENT;
  const after = start + dots;
  if (out[after] === SEMICOLON) return DOT_SEMICOLON_SEGMENT;
  // Escapes were written in upper case, so `%3b` reads `%3B` here.
  const escaped = end - after >= 3 && out[after] === PERCENT;
  return escaped && out[after + 1] === 0x33 && out[after + 2] === 0x42
    ? DOT_SEMICOLON_SEGMENT
    : KEEP;
}

/** Writes `s[start, end)` to `out` at `at`, unreserved escapes decoded, the others upper-cased. */
function decodeInto(s: string, start: number, end: number, at: number): number {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c !== PERCENT) {
      out[at++] = c;
      continue;
    }
    // Phase one validated every escape.
    const b = escapeAt(s, i);
    if (UNRESERVED[b] === 1) {
      out[at++] = b;
    } else {
      out[at++] = PERCENT;
      out[at++] = HEX_DIGITS[b >> 4]!;
      out[at++] = HEX_DIGITS[b & 15]!;
    }
    i += 2;
  }
  return at;
}
