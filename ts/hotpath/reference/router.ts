// The router in plain TypeScript: the same precedence as the Rust core's `router.rs`.
//
// Routes are grouped by host class at compile time (exact hosts in a map, wildcard suffixes
// longest first, then the routes for any host). A request picks one group, the most specific
// one that has routes for its host, and never falls back to a less specific group, so a host
// with its own routes is a closed world like a virtual host. Inside the group, candidates are
// tried in precedence order -- exact path (map lookup), templates (more literal segments
// first, then fewer variable ones), prefixes (longest first), ties in declaration order --
// and the first whose method and header conditions hold wins.

import { NO_PARAMS } from '../route-code.js';
import {
  HotPathError,
  type NormalizeOptions,
  type RouteResult,
  type RouteSpec,
  type Router,
} from '../types.js';
import { escapeAt, normalize, pathErrorCode } from './normalize.js';

/** Stable code of every error thrown while compiling routes. */
export const ROUTE_ERROR = 'JETWAY_ROUTE_INVALID';

/** One compiled route. One class for every kind of path, so the matcher sees one shape. */
class Entry {
  /** Prefix routes: the prefix. */
  prefix = '';
  /** Template routes: one item per segment, a literal or `:name`; the catch-all excluded. */
  parts: readonly string[] = [];
  /** Template routes: per part, the param name, or null for a literal. */
  names: ReadonlyArray<string | null> = [];
  /** Template routes: the final `*name` (`*` when unnamed), or null. */
  rest: string | null = null;
  /** Template routes: the catch-all's name; '' captures nothing. */
  restName = '';
  literals = 0;
  variables = 0;

  constructor(
    /** Position in the RouteSpec[] the router was compiled from. */
    readonly index: number,
    /** Allowed methods; null means any. */
    readonly methods: readonly string[] | null,
    /** Header conditions: slots into `headerNames`, and the values they must equal. */
    readonly headerSlots: readonly number[],
    readonly headerValues: readonly string[],
  ) {}
}

interface Group {
  readonly exact: Map<string, Entry[]>;
  readonly templates: Entry[];
  readonly prefixes: Entry[];
}

const NOT_FOUND: RouteResult = Object.freeze({ kind: 'not_found' });

/** Compiles `routes`; throws HotPathError with code ROUTE_ERROR when one is invalid. */
export function compileRouter(routes: readonly RouteSpec[], options: NormalizeOptions): Router {
  return new ReferenceRouter(routes, options);
}

class ReferenceRouter implements Router {
  readonly headerNames: readonly string[];
  private readonly exactHosts = new Map<string, Group>();
  /** Wildcard groups, longest suffix first; each suffix starts with '.'. */
  private readonly wildcards: Array<{ suffix: string; group: Group }> = [];
  private anyHost: Group | null = null;
  /** Whether some route names a host; when none does, hosts are not even lower-cased. */
  private readonly hostAware: boolean;

  constructor(
    routes: readonly RouteSpec[],
    private readonly options: NormalizeOptions,
  ) {
    const names: string[] = [];
    routes.forEach((spec, index) => this.add(spec, index, names));
    this.headerNames = names;
    this.hostAware = this.exactHosts.size > 0 || this.wildcards.length > 0;
    this.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
    for (const group of this.groups()) sortGroup(group);
  }

  route(method: string, host: string, rawPath: string, headerValues: readonly string[]) {
    const path = normalize(rawPath, this.options);
    if (typeof path === 'number') return { kind: 'bad_path', code: pathErrorCode(path) } as const;
    const group = this.hostAware ? this.groupFor(host) : this.anyHost;
    if (group === null) return NOT_FOUND;
    return matchGroup(group, method, path, headerValues);
  }

  /** The most specific group with routes for `host`, or null. */
  private groupFor(rawHost: string): Group | null {
    const host = hostName(rawHost);
    if (host === null) return this.anyHost;
    const exact = this.exactHosts.get(host);
    if (exact !== undefined) return exact;
    for (const w of this.wildcards) {
      if (host.length > w.suffix.length && host.endsWith(w.suffix)) return w.group;
    }
    return this.anyHost;
  }

  private add(spec: RouteSpec, index: number, names: string[]): void {
    const at = `routes[${index}]`;
    const group = this.groupForSpec(spec.host, at);
    const entry = new Entry(
      index,
      spec.methods.length === 0 ? null : spec.methods.slice(),
      spec.headers.map(([name]) => headerSlot(names, name)),
      spec.headers.map(([, value]) => value),
    );
    const path = spec.path as { exact?: string; prefix?: string; template?: string };
    if (typeof path.exact === 'string') {
      const exact = routePath(path.exact, this.options, `${at}.path.exact`);
      const list = group.exact.get(exact);
      if (list === undefined) group.exact.set(exact, [entry]);
      else list.push(entry);
    } else if (typeof path.prefix === 'string') {
      entry.prefix = routePath(path.prefix, this.options, `${at}.path.prefix`);
      group.prefixes.push(entry);
    } else if (typeof path.template === 'string') {
      const template = routePath(path.template, this.options, `${at}.path.template`);
      parseTemplate(entry, template, `${at}.path.template`);
      group.templates.push(entry);
    } else {
      throw new HotPathError(ROUTE_ERROR, `${at}.path: needs one of exact, prefix, template`);
    }
  }

  private groupForSpec(host: string | null | undefined, at: string): Group {
    if (host === undefined || host === null) return (this.anyHost ??= newGroup());
    const name = hostPattern(host, at);
    if (name.startsWith('*')) {
      const suffix = name.slice(1);
      let found = this.wildcards.find((w) => w.suffix === suffix);
      if (found === undefined) this.wildcards.push((found = { suffix, group: newGroup() }));
      return found.group;
    }
    let group = this.exactHosts.get(name);
    if (group === undefined) this.exactHosts.set(name, (group = newGroup()));
    return group;
  }

  private *groups(): Iterable<Group> {
    yield* this.exactHosts.values();
    for (const w of this.wildcards) yield w.group;
    if (this.anyHost !== null) yield this.anyHost;
  }
}

function newGroup(): Group {
  return { exact: new Map(), templates: [], prefixes: [] };
}

function sortGroup(group: Group): void {
  group.templates.sort(
    (a, b) => b.literals - a.literals || a.variables - b.variables || a.index - b.index,
  );
  group.prefixes.sort((a, b) => b.prefix.length - a.prefix.length || a.index - b.index);
}

function headerSlot(names: string[], name: string): number {
  const lower = asciiLower(name);
  const slot = names.indexOf(lower);
  if (slot >= 0) return slot;
  names.push(lower);
  return names.length - 1;
}

/** A route's path, which must be in the normal form request paths are matched in. */
function routePath(path: string, options: NormalizeOptions, at: string): string {
  const normal = normalize(path, options);
  if (normal === path) return path;
  const why = typeof normal === 'number' ? pathErrorCode(normal) : `normalises to "${normal}"`;
  throw new HotPathError(ROUTE_ERROR, `${at}: "${path}" is not a normalised path (${why})`);
}

/**
 * A host pattern lower-cased, without one trailing dot: a name, `[v6]`, or `*.suffix` (any
 * depth of subdomain, not the suffix itself). Throws for an empty name, a `*` elsewhere, or a
 * port (it could never match: request hosts lose theirs before the lookup).
 */
function hostPattern(host: string, at: string): string {
  const name = asciiLower(host.endsWith('.') ? host.slice(0, -1) : host);
  const body = name.startsWith('*.') ? name.slice(2) : name;
  const port = body.includes(':') && !body.startsWith('[');
  if (body === '' || port || /[\x00-\x20/*\x7f-\uffff]/.test(body)) {
    throw new HotPathError(ROUTE_ERROR, `${at}.host: "${host}" is not a host or *.suffix`);
  }
  return name;
}

/** Fills the template fields of `entry`: `:name` is one segment, a final `*name` the rest. */
function parseTemplate(entry: Entry, template: string, at: string): void {
  const parts = template.slice(1).split('/');
  const rest = parts[parts.length - 1]!.startsWith('*') ? parts.pop()! : null;
  const seen = new Set<string>();
  let named = 0;
  for (const part of parts) {
    if (part.startsWith('*')) {
      throw new HotPathError(ROUTE_ERROR, `${at}: "*" only as the last segment in "${template}"`);
    }
    if (part.charCodeAt(0) !== 0x3a) continue;
    paramName(part, seen, template, at);
    named++;
  }
  if (rest !== null && rest !== '*') paramName(rest, seen, template, at);
  entry.parts = parts;
  entry.names = parts.map((part) =>
    part.charCodeAt(0) === 0x3a ? propertyKey(part.slice(1)) : null,
  );
  entry.rest = rest;
  entry.restName = rest === null ? '' : propertyKey(rest.slice(1));
  entry.literals = parts.length - named;
  // A catch-all, named or not, is a variable segment when ranking templates.
  entry.variables = named + (rest === null ? 0 : 1);
}

/**
 * `name` as the engine's own property-key string. A sliced string used as a key is looked up
 * in the engine's string table on every store; the key taken back from an object is not.
 */
function propertyKey(name: string): string {
  return Object.keys({ [name]: 0 })[0] ?? name;
}

function paramName(part: string, seen: Set<string>, template: string, at: string): void {
  const name = part.slice(1);
  if (name === '' || seen.has(name)) {
    throw new HotPathError(ROUTE_ERROR, `${at}: empty or repeated parameter in "${template}"`);
  }
  seen.add(name);
}

/** Longest host looked up by name; longer ones get the routes for any host. */
const MAX_HOST = 256;

/** The request's host without port and one trailing dot, ASCII lower-cased, or null. */
function hostName(host: string): string | null {
  let end = host.length;
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf(']');
    if (close > 0) end = close + 1;
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) end = colon;
  }
  if (host.charCodeAt(end - 1) === 0x2e) end--;
  if (end > MAX_HOST) return null;
  return asciiLower(end === host.length ? host : host.slice(0, end));
}

/** `s` with A-Z lower-cased and nothing else changed (toLowerCase also folds non-ASCII). */
function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  return s;
}

/**
 * The candidates of the group in precedence order; the first that passes wins.
 * TODO(perf): templates and prefixes are scanned one by one, as in the core; a segment trie
 * would make large tables cost O(path length) instead of O(routes).
 */
function matchGroup(g: Group, method: string, path: string, headers: readonly string[]) {
  let allow: string[] | null = null;
  const exact = g.exact.size === 0 ? undefined : g.exact.get(path);
  if (exact !== undefined) {
    for (let i = 0; i < exact.length; i++) {
      const e = exact[i]!;
      if (!headersHold(e, headers)) continue;
      if (e.methods === null || e.methods.includes(method)) return matched(e, path, NO_PARAMS);
      allow = addMethods(allow, e.methods);
    }
  }
  const templates = g.templates;
  // Segments in the path; a template without catch-all needs exactly as many.
  const segments = templates.length === 0 ? 0 : countSegments(path);
  for (let i = 0; i < templates.length; i++) {
    const t = templates[i]!;
    const fits = t.rest === null ? segments === t.parts.length : segments >= t.parts.length;
    if (!fits || !headersHold(t, headers)) continue;
    const params = matchTemplate(t, path);
    if (params === null) continue;
    if (t.methods === null || t.methods.includes(method)) return matched(t, path, params);
    allow = addMethods(allow, t.methods);
  }
  const prefixes = g.prefixes;
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i]!;
    if (!prefixMatches(p.prefix, path) || !headersHold(p, headers)) continue;
    if (p.methods === null || p.methods.includes(method)) return matched(p, path, NO_PARAMS);
    allow = addMethods(allow, p.methods);
  }
  return allow === null ? NOT_FOUND : { kind: 'method_not_allowed' as const, allow: allow.sort() };
}

function matched(e: Entry, path: string, params: Record<string, string>): RouteResult {
  return { kind: 'match', route: e.index, path, params };
}

function countSegments(path: string): number {
  let n = 0;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) n++;
  return n;
}

function headersHold(e: Entry, values: readonly string[]): boolean {
  const slots = e.headerSlots;
  for (let i = 0; i < slots.length; i++) {
    if ((values[slots[i]!] ?? '') !== e.headerValues[i]) return false;
  }
  return true;
}

/** The union of methods for a 405; sorted by the caller. */
function addMethods(allow: string[] | null, methods: readonly string[]): string[] {
  const out = allow ?? [];
  for (const m of methods) if (!out.includes(m)) out.push(m);
  return out;
}

/** Prefix match at a segment boundary: `/api` matches `/api`, `/api/x`, not `/apix`. */
function prefixMatches(prefix: string, path: string): boolean {
  const n = prefix.length;
  if (path.length < n || !sameFrom(path, 0, prefix)) return false;
  return path.length === n || prefix.charCodeAt(n - 1) === 0x2f || path.charCodeAt(n) === 0x2f;
}

/**
 * Whether `s` holds `literal` at `pos`. Compared backwards: the routes of one table tend to
 * share their start (`/api/v1/…`, `/api/v2/…`), so most mismatches show at the end. A plain
 * loop, since `startsWith` costs a builtin call that is slower for these short strings.
 */
function sameFrom(s: string, pos: number, literal: string): boolean {
  for (let i = literal.length - 1; i >= 0; i--) {
    if (s.charCodeAt(pos + i) !== literal.charCodeAt(i)) return false;
  }
  return true;
}

/** The params of `path` under template `t`, or null when it does not match. */
function matchTemplate(t: Entry, path: string): Record<string, string> | null {
  const parts = t.parts;
  const names = t.names;
  let params: Record<string, string> | null = null;
  let pos = 1;
  for (let k = 0; k < parts.length; k++) {
    if (pos > path.length) return null;
    let end = path.indexOf('/', pos);
    if (end < 0) end = path.length;
    const name = names[k]!;
    if (name !== null) {
      if (end === pos) return null;
      setParam((params ??= {}), name, decodeParam(path, pos, end));
    } else if (end - pos !== parts[k]!.length || !sameFrom(path, pos, parts[k]!)) {
      return null;
    }
    pos = end + 1;
  }
  if (t.rest === null) return pos === path.length + 1 ? (params ?? {}) : null;
  params ??= {};
  if (t.restName !== '') setParam(params, t.restName, decodeParam(path, pos, path.length));
  return params;
}

/** Sets a param; a param named `__proto__` becomes an own property, not the prototype. */
function setParam(params: Record<string, string>, name: string, value: string): void {
  if (name !== '__proto__') params[name] = value;
  else Object.defineProperty(params, name, { value, enumerable: true, writable: true });
}

const utf8 = new TextDecoder('utf-8');

/** Percent-decodes `s[start, end)` as UTF-8; invalid sequences become U+FFFD. */
export function decodeParam(s: string, start: number, end: number): string {
  if (start >= end) return '';
  const first = s.indexOf('%', start);
  if (first < 0 || first >= end) return s.slice(start, end);
  const bytes = new Uint8Array(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const b = c === 0x25 ? escapeAt(s, i) : -1;
    if (b >= 0) {
      bytes[n++] = b;
      i += 2;
    } else {
      // Normal paths are ASCII; anything else is kept as a byte of its own code.
      bytes[n++] = c & 0xff;
    }
  }
  return utf8.decode(bytes.subarray(0, n));
}
