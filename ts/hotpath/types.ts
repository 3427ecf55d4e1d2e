// The hot-path interface. Three implementations stand behind it: the napi-rs
// addon (native, the default), the same Rust core built for WASM (the fallback),
// and a plain TypeScript reference used by the conformance suite and the
// micro-benchmarks. Callers never know which one they hold.

export type Backend = 'native' | 'wasm' | 'ts';

/** Switches for path normalisation; each leniency is off by default. */
export interface NormalizeOptions {
  /** Accept `%2F` in a segment and keep it encoded (false). */
  allowEncodedSlash: boolean;
  /** Accept `\` and `%5C` and keep them as they are (false). */
  allowBackslash: boolean;
  /** Merge runs of `/` into one (true). */
  mergeSlashes: boolean;
}

/** One route as the router sees it; its position in the table is its id. */
export interface RouteSpec {
  /** Exact host, `*.suffix` wildcard, or undefined for any host. */
  host?: string;
  /** Exactly one kind of path match; `{ prefix: '/' }` matches every path. */
  path: { exact: string } | { prefix: string } | { template: string };
  /** Upper-case methods; empty means any. */
  methods: string[];
  /** Header conditions, names lower-case, values exact. */
  headers: Array<[name: string, value: string]>;
}

export type RouteResult =
  | {
      kind: 'match';
      /** Index into the RouteSpec[] the router was compiled from. */
      route: number;
      /** The normalised path (no query); the upstream receives this. */
      path: string;
      /** Template parameters by name, percent-decoded. */
      params: Record<string, string>;
    }
  | { kind: 'not_found' }
  /** A route matched host and path but not the method; `allow` lists methods that would. */
  | { kind: 'method_not_allowed'; allow: string[] }
  /** The path cannot be normalised safely; `code` is a PathErrorCode. */
  | { kind: 'bad_path'; code: PathErrorCode };

export type PathErrorCode =
  | 'JETWAY_PATH_NOT_ABSOLUTE'
  | 'JETWAY_PATH_BAD_PERCENT'
  | 'JETWAY_PATH_ENCODED_SLASH'
  | 'JETWAY_PATH_BACKSLASH'
  | 'JETWAY_PATH_NUL'
  | 'JETWAY_PATH_DOT_SEMICOLON'
  | 'JETWAY_PATH_ABOVE_ROOT'
  | 'JETWAY_PATH_BAD_BYTE';

export interface Router {
  /** Lower-case names of every header some route tests; `route()` takes values in this order. */
  readonly headerNames: readonly string[];
  /**
   * Normalises `rawPath` (no query string) and finds the route for it.
   * `headerValues[i]` is the request's value for `headerNames[i]`, or '' when absent.
   */
  route(
    method: string,
    host: string,
    rawPath: string,
    headerValues: readonly string[],
  ): RouteResult;
}

export type RingAlgorithm = 'ketama' | 'maglev';

export interface Ring {
  /**
   * The upstream index for `key`. `attempt` 0 is the key's own upstream; attempt n is the
   * n-th distinct fallback (the next upstreams clockwise for ketama), so callers skip an
   * unhealthy upstream by asking again with attempt + 1. Returns -1 when attempt >= upstream count.
   */
  pick(key: string, attempt: number): number;
}

/** A limiter's answer. A denial is a value, not an error. */
export interface Decision {
  allowed: boolean;
  /** Requests that could still pass right now, after this one. */
  remaining: number;
  /** Milliseconds until a request for this key would pass (0 when allowed). */
  retryAfterMs: number;
  /** Milliseconds until the bucket for this key is full again. */
  resetMs: number;
}

export interface LimiterSpec {
  /** Average requests allowed per period. */
  rate: number;
  periodMs: number;
  /** Requests that may pass at once on an idle key. */
  burst: number;
}

export interface Limiter {
  /**
   * GCRA check of one request for `key` at `nowUs` (microseconds on a clock shared by every
   * worker thread; see `clock.ts`). State is shared by every worker of the process, whatever
   * the backend, so N workers never let through N times the limit.
   */
  check(key: string, nowUs: number): Decision;
}

export interface CidrSet {
  /** Whether `ip` (IPv4 or IPv6 text; IPv4-mapped IPv6 counts as IPv4) is in any range. */
  contains(ip: string): boolean;
}

export interface HotPath {
  /** The backend, or 'auto' for the per-function default (see load.ts). */
  readonly backend: Backend | 'auto';
  normalizePath(rawPath: string, options: NormalizeOptions): string;
  compileRouter(routes: readonly RouteSpec[], options: NormalizeOptions): Router;
  compileRing(
    algorithm: RingAlgorithm,
    upstreams: ReadonlyArray<{ name: string; weight: number }>,
  ): Ring;
  /**
   * The limiter named `id`. Every worker that asks for the same id with the same spec gets a
   * view of the same buckets; a new spec for an id starts it afresh.
   */
  limiter(id: string, spec: LimiterSpec): Limiter;
  compileCidrs(ranges: readonly string[]): CidrSet;
  /**
   * The client address: `peer` when it is not trusted; otherwise the right-most address of the
   * X-Forwarded-For chain (all lines, in order) that is not trusted, else its left-most entry.
   * `forwarded` (RFC 7239) is used only when X-Forwarded-For is absent. Malformed entries end
   * the walk at the last good address.
   */
  clientAddress(peer: string, xff: string, forwarded: string, trusted: CidrSet): string;
}

/** Thrown by the hot path; `code` is stable, messages are not. */
export class HotPathError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HotPathError';
  }
}
