// The native backend: the napi-rs addon built from native/napi. The addon's functions are
// shaped for cheap crossings (numbers out, strings out only when they carry news, handles as
// Externals, limiter answers through a reused Float64Array; see native/napi/src/lib.rs);
// this file turns them back into the HotPath interface.

import { createRequire } from 'node:module';
import { join } from 'node:path';

import { optionFlags, quotaArgs } from './codes.js';
import { projectRoot } from './files.js';
import { joinHeaders, routeResult, type ExtraText } from './route-code.js';
import {
  HotPathError,
  type CidrSet,
  type Decision,
  type HotPath,
  type Limiter,
  type LimiterSpec,
  type NormalizeOptions,
  type Ring,
  type RingAlgorithm,
  type RouteResult,
  type RouteSpec,
  type Router,
} from './types.js';

/** Opaque handles the addon hands out (napi Externals). */
type Handle = { readonly __native: unique symbol };

/** The addon's exports that this file uses; test/snapshots/napi.d.ts pins the real ones. */
export interface NativeAddon {
  probeEmpty(): void;
  normalizePath(path: string, flags: number): string | null;
  routerCompile(routes: readonly RouteSpec[], flags: number): Handle;
  routerHeaderNames(router: Handle): string[];
  routerRoute(router: Handle, method: string, host: string, path: string, headers: string): number;
  routerTakeExtra(router: Handle): string;
  ringCompile(algorithm: string, names: string[], weights: number[]): Handle;
  ringPick(ring: Handle, key: string, attempt: number): number;
  limiterOpen(id: string, rate: number, periodUs: number, burst: number): Handle;
  limiterCheck(limiter: Handle, key: string): boolean;
  ioBuffer(): Float64Array;
  cidrCompile(ranges: string[]): Handle;
  cidrContains(set: Handle, ip: string): boolean;
  clientAddressOf(peer: string, xff: string, forwarded: string, trusted: Handle): string | null;
  socketSend(fd: number, text: string): number;
  socketSendBytes(fd: number, bytes: Uint8Array): number;
}

let addon: NativeAddon | undefined;

/** Loads the addon once per thread; throws what the napi-rs loader threw. */
export function loadNativeAddon(): NativeAddon {
  if (addon === undefined) {
    const require = createRequire(import.meta.url);
    try {
      addon = require(join(projectRoot(), 'native', 'napi', 'index.js')) as NativeAddon;
    } catch (err) {
      throw new Error(
        `native/napi did not load (built by npm run build:native): ${rootCause(err)}`,
      );
    }
  }
  return addon;
}

/**
 * The first line of the innermost cause: napi-rs's loader wraps the real failure (a missing
 * file, a wrong ABI) in a generic message about npm.
 */
function rootCause(err: unknown): string {
  let inner = err;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  const text = inner instanceof Error ? inner.message : String(inner);
  return text.split('\n', 1)[0]!;
}

/** The native backend. Its limiter state is process-wide inside the addon. */
export function createNativeHotPath(): HotPath {
  return new NativeHotPath(loadNativeAddon());
}

/** Rethrows an addon error as a HotPathError with the same code. */
function rethrow(err: unknown): never {
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
    throw new HotPathError((err as Error & { code: string }).code, err.message);
  }
  throw err;
}

class NativeHotPath implements HotPath {
  readonly backend = 'native' as const;
  private readonly io: Float64Array;

  constructor(private readonly addon: NativeAddon) {
    this.io = addon.ioBuffer();
  }

  normalizePath(rawPath: string, options: NormalizeOptions): string {
    try {
      return this.addon.normalizePath(rawPath, optionFlags(options)) ?? rawPath;
    } catch (err) {
      rethrow(err);
    }
  }

  compileRouter(routes: readonly RouteSpec[], options: NormalizeOptions): Router {
    try {
      return new NativeRouter(this.addon, this.addon.routerCompile(routes, optionFlags(options)));
    } catch (err) {
      rethrow(err);
    }
  }

  compileRing(
    algorithm: RingAlgorithm,
    upstreams: ReadonlyArray<{ name: string; weight: number }>,
  ): Ring {
    const names = upstreams.map((u) => u.name);
    const weights = upstreams.map((u) => u.weight);
    try {
      return new NativeRing(this.addon, this.addon.ringCompile(algorithm, names, weights));
    } catch (err) {
      rethrow(err);
    }
  }

  limiter(id: string, spec: LimiterSpec): Limiter {
    try {
      const q = quotaArgs(spec);
      const handle = this.addon.limiterOpen(id, q.rate, q.periodUs, q.burst);
      return new NativeLimiter(this.addon, handle, this.io);
    } catch (err) {
      rethrow(err);
    }
  }

  compileCidrs(ranges: readonly string[]): CidrSet {
    try {
      return new NativeCidrSet(this.addon, this.addon.cidrCompile([...ranges]));
    } catch (err) {
      rethrow(err);
    }
  }

  clientAddress(peer: string, xff: string, forwarded: string, trusted: CidrSet): string {
    if (!(trusted instanceof NativeCidrSet)) {
      throw new HotPathError('JETWAY_HOTPATH_BAD_ARGUMENT', 'trusted: not a native CidrSet');
    }
    try {
      return this.addon.clientAddressOf(peer, xff, forwarded, trusted.handle) ?? peer;
    } catch (err) {
      rethrow(err);
    }
  }
}

class NativeRouter implements Router, ExtraText {
  readonly headerNames: readonly string[];

  constructor(
    private readonly addon: NativeAddon,
    private readonly handle: Handle,
  ) {
    this.headerNames = Object.freeze(addon.routerHeaderNames(handle));
  }

  route(
    method: string,
    host: string,
    rawPath: string,
    headerValues: readonly string[],
  ): RouteResult {
    const headers = joinHeaders(headerValues, this.headerNames.length);
    let code: number;
    try {
      code = this.addon.routerRoute(this.handle, method, host, rawPath, headers);
    } catch (err) {
      rethrow(err);
    }
    return routeResult(code, rawPath, this);
  }

  takeExtra(): string {
    return this.addon.routerTakeExtra(this.handle);
  }
}

class NativeRing implements Ring {
  constructor(
    private readonly addon: NativeAddon,
    private readonly handle: Handle,
  ) {}

  pick(key: string, attempt: number): number {
    try {
      return this.addon.ringPick(this.handle, key, attempt);
    } catch (err) {
      rethrow(err);
    }
  }
}

class NativeLimiter implements Limiter {
  constructor(
    private readonly addon: NativeAddon,
    private readonly handle: Handle,
    private readonly io: Float64Array,
  ) {}

  check(key: string, nowUs: number): Decision {
    const io = this.io;
    io[0] = nowUs;
    let allowed: boolean;
    try {
      allowed = this.addon.limiterCheck(this.handle, key);
    } catch (err) {
      rethrow(err);
    }
    return {
      allowed,
      remaining: io[1]!,
      retryAfterMs: Math.ceil(io[2]! / 1000),
      resetMs: Math.ceil(io[3]! / 1000),
    };
  }
}

class NativeCidrSet implements CidrSet {
  constructor(
    private readonly addon: NativeAddon,
    readonly handle: Handle,
  ) {}

  contains(ip: string): boolean {
    try {
      return this.addon.cidrContains(this.handle, ip);
    } catch (err) {
      rethrow(err);
    }
  }
}
