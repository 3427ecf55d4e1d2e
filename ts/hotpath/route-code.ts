// The numeric route answer both bindings return, decoded into a RouteResult. Numbers cross
// the boundary far cheaper than objects, so the bindings say `route * 2 + more` (or a
// negative outcome) and hand over text only when there is some (see native/napi/src/router.rs).

import type { PathErrorCode, RouteResult } from './types.js';

/** Path error codes by the core's stable kind number (1..8). */
const PATH_CODES: readonly PathErrorCode[] = [
  'JETWAY_PATH_NOT_ABSOLUTE',
  'JETWAY_PATH_BAD_PERCENT',
  'JETWAY_PATH_ENCODED_SLASH',
  'JETWAY_PATH_BACKSLASH',
  'JETWAY_PATH_NUL',
  'JETWAY_PATH_DOT_SEMICOLON',
  'JETWAY_PATH_ABOVE_ROOT',
  'JETWAY_PATH_BAD_BYTE',
];

/** The code of path error kind `n`; throws on a number the core does not define. */
export function pathCode(n: number): PathErrorCode {
  const code = PATH_CODES[n - 1];
  if (code === undefined) throw new RangeError(`unknown path error kind ${n}`);
  return code;
}

/** Where a binding keeps the text of its last answer. */
export interface ExtraText {
  /** The answer's text; called at most once per answer. */
  takeExtra(): string;
}

/** The params of every match without template parameters: one object, never written to. */
export const NO_PARAMS: Record<string, string> = Object.freeze({});

/**
 * Decodes `code`, taking the answer's text from `extra` when it has some. The router passes
 * itself, so decoding a plain match allocates only its result.
 */
export function routeResult(code: number, rawPath: string, extra: ExtraText): RouteResult {
  if (code >= 0) {
    const route = code >> 1;
    if ((code & 1) === 0) return { kind: 'match', route, path: rawPath, params: NO_PARAMS };
    return matchWithExtra(route, rawPath, extra.takeExtra());
  }
  if (code === -1) return { kind: 'not_found' };
  if (code === -2) {
    const allow = extra.takeExtra();
    return { kind: 'method_not_allowed', allow: allow === '' ? [] : allow.split('\0') };
  }
  return { kind: 'bad_path', code: pathCode(-code - 100) };
}

/** Text: the changed path ('' when unchanged), then NUL-separated name, value pairs. */
function matchWithExtra(route: number, rawPath: string, text: string): RouteResult {
  const parts = text.split('\0');
  const params: Record<string, string> = {};
  for (let i = 1; i + 1 < parts.length; i += 2) params[parts[i]!] = parts[i + 1]!;
  return { kind: 'match', route, path: parts[0] || rawPath, params };
}

/**
 * Header values joined with NUL, as both bindings take them. A value holding a NUL would
 * shift the values after it, so NUL becomes a space (RFC 9110 5.5 allows that replacement).
 */
export function joinHeaders(values: readonly string[], count: number): string {
  if (count === 0) return '';
  let joined = '';
  for (let i = 0; i < count; i++) {
    const value = values[i] ?? '';
    joined += (i === 0 ? '' : '\0') + (value.includes('\0') ? value.replaceAll('\0', ' ') : value);
  }
  return joined;
}
