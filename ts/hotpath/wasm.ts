// The WASM backend: the Rust core built for wasm32-unknown-unknown (wasm/, built by
// scripts/build-wasm.sh), for machines where the napi addon does not load.
//
// The glue follows the module's convention (wasm/src/lib.rs): a call's strings are copied end
// to end into one scratch region that the module owns and the glue reuses; results are a
// number, plus text in the out buffer and numbers in the I/O block. Memory may grow during any
// call that allocates, which detaches every view of it, so views are rebuilt whenever
// `memory.buffer` is no longer the buffer they were made on. Error numbers become errors in
// one function, `wasmError`. Rate-limit TATs live in the SharedArrayBuffer table shared by
// every worker (limiter-table.ts); the module only supplies the pure GCRA step.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { BAD_ARGUMENT, PANIC, optionFlags, quotaArgs } from './codes.js';
import { projectRoot } from './files.js';
import { LimiterTable, type GcraOutcome } from './limiter-table.js';
import { joinHeaders, pathCode, routeResult, type ExtraText } from './route-code.js';
import type { HotPathShared } from './shared.js';
import {
  HotPathError,
  type CidrSet,
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

/** The module's exports (wasm/src/exports.rs). */
export interface WasmExports {
  memory: WebAssembly.Memory;
  jw_init(): number;
  jw_scratch(len: number): number;
  jw_panic_message(): void;
  jw_empty(): void;
  jw_probe_panic(): void;
  jw_normalize(len: number, flags: number): number;
  jw_router_new(len: number, flags: number): number;
  jw_router_free(router: number): void;
  jw_router_header_names(router: number): number;
  jw_router_route(
    router: number,
    method: number,
    host: number,
    path: number,
    headers: number,
  ): number;
  jw_ring_new(algorithm: number, len: number): number;
  jw_ring_free(ring: number): void;
  jw_ring_pick(ring: number, len: number, attempt: number): number;
  jw_quota(rate: number, periodUs: number, burst: number): number;
  jw_gcra_step(intervalUs: number, toleranceUs: number, tatUs: number, nowUs: number): number;
  jw_cidr_new(len: number): number;
  jw_cidr_free(set: number): void;
  jw_cidr_contains(set: number, len: number): number;
  jw_client_address(set: number, peer: number, xff: number, forwarded: number): number;
}

/** Results at or below this are errors (wasm/src/lib.rs). */
const ERROR_BASE = -1000;

/** Codes of the module's error numbers other than path kinds 1..8. */
const ERROR_CODES: Readonly<Record<number, string>> = {
  101: 'JETWAY_ROUTE_INVALID',
  102: 'JETWAY_CIDR_INVALID',
  103: 'JETWAY_QUOTA_INVALID',
  200: BAD_ARGUMENT,
  201: 'JETWAY_HOTPATH_BAD_HANDLE',
};

/** The one place where the module's error numbers become errors. */
export function wasmError(result: number, message: string): HotPathError {
  const number = ERROR_BASE - result;
  const code = number >= 1 && number <= 8 ? pathCode(number) : ERROR_CODES[number];
  return new HotPathError(code ?? 'JETWAY_HOTPATH_UNKNOWN', message);
}

/** I/O block offsets in bytes (the `Io` struct in wasm/src/global.rs). */
const IO_OUT_PTR = 0;
const IO_OUT_LEN = 4;
const IO_SCRATCH_PTR = 8;
const IO_SCRATCH_CAP = 12;
const IO_ALLOWED = 16;
const IO_REMAINING = 20;
const IO_RETRY_AFTER = 24;
const IO_RESET_AFTER = 32;
const IO_INTERVAL = 40;
const IO_TOLERANCE = 48;

let compiled: WebAssembly.Module | undefined;

/** The compiled module, once per thread; throws when wasm/pkg/jetway.wasm is missing. */
export function wasmModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readWasm(join(projectRoot(), 'wasm', 'pkg', 'jetway.wasm')));
  return compiled;
}

function readWasm(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // `npm run build` builds only the native addon; the WASM build needs Debian's Rust 1.63.
    throw new Error(
      `${file} is not built: run \`npm run build:wasm\` (needs Debian's rustc, cargo and ` +
        'libstd-rust-dev-wasm32; scripts/setup.sh installs them)',
    );
  }
}

/** Memory access for one instance: views, the scratch region, strings in and out. */
export class WasmGlue {
  readonly x: WasmExports;
  private readonly io: number;
  private u8!: Uint8Array;
  private u32!: Uint32Array;
  private f64!: Float64Array;
  private bytes!: Buffer;
  private scratch = 0;
  private capacity = 0;
  /** Where the next string of the call being laid out goes. */
  private at = 0;

  constructor(instance: WebAssembly.Instance) {
    this.x = instance.exports as unknown as WasmExports;
    this.io = this.x.jw_init();
    this.views();
    this.reserve(4096);
  }

  /**
   * Rebuilds the views when memory has grown since they were made: growing detaches the old
   * buffer, which leaves every view of it zero bytes long.
   */
  views(): void {
    if (this.u8 !== undefined && this.u8.byteLength !== 0) return;
    const buffer = this.x.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.bytes = Buffer.from(buffer);
  }

  /** Makes the scratch region hold `len` bytes; returns its address. */
  reserve(len: number): number {
    if (len > this.capacity) {
      this.x.jw_scratch(Math.max(len, this.capacity * 2));
      this.views();
      this.scratch = this.u32[(this.io + IO_SCRATCH_PTR) >> 2]!;
      this.capacity = this.u32[(this.io + IO_SCRATCH_CAP) >> 2]!;
    }
    return this.scratch;
  }

  /** Starts laying out a call's strings: room for `units` UTF-16 units, at 3 bytes each. */
  begin(units: number): void {
    this.at = this.reserve(units * 3);
    this.views();
  }

  /**
   * Appends `text` as UTF-8 after the previous one and returns its byte length. ASCII is
   * copied unit by unit, which beats both Buffer.write and TextEncoder.encodeInto on short
   * strings (see the `crossing: string write` rows of bench/micro.ts); anything else goes
   * through Buffer.write from the first non-ASCII unit on.
   */
  put(text: string): number {
    const u8 = this.u8;
    const at = this.at;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const unit = text.charCodeAt(i);
      if (unit >= 0x80) {
        const written = i + this.bytes.write(text.slice(i), at + i, 'utf8');
        this.at += written;
        return written;
      }
      u8[at + i] = unit;
    }
    this.at += n;
    return n;
  }

  /** Copies encoded bytes into scratch; returns their length. */
  writeBytes(data: Uint8Array): number {
    const at = this.reserve(data.length);
    this.views();
    this.u8.set(data, at);
    return data.length;
  }

  /** The out buffer's text. */
  out(): string {
    this.views();
    const ptr = this.u32[(this.io + IO_OUT_PTR) >> 2]!;
    const len = this.u32[(this.io + IO_OUT_LEN) >> 2]!;
    return this.bytes.toString('utf8', ptr, ptr + len);
  }

  /** An I/O block field. */
  u32At(offset: number): number {
    this.views();
    return this.u32[(this.io + offset) >> 2]!;
  }

  f64At(offset: number): number {
    this.views();
    return this.f64[(this.io + offset) >> 3]!;
  }

  /** Throws the error for a result at or below ERROR_BASE, else returns it. */
  check(result: number): number {
    if (result > ERROR_BASE) return result;
    throw wasmError(result, this.out());
  }

  /**
   * What to throw for `err`: a trap becomes a HotPathError with the panic message.
   * TODO(robustness): the instance goes on after a trap, though a panic in the middle of an
   * update may have left its state half-changed; a fresh instance would need every router,
   * ring and CIDR set compiled again from their specs.
   */
  failure(err: unknown): unknown {
    if (err instanceof HotPathError) return err;
    if (err instanceof WebAssembly.RuntimeError) {
      let message = err.message;
      try {
        this.x.jw_panic_message();
        message = this.out() || message;
      } catch {
        // The instance is beyond asking; the trap's own message will do.
      }
      return new HotPathError(PANIC, `panic in the WASM hot path: ${message}`);
    }
    return err;
  }
}

/** Frees module-side objects whose JavaScript wrapper was collected. */
const finalizer = new FinalizationRegistry<() => void>((free) => free());

/** The WASM backend over the shared limiter table. */
export function createWasmHotPath(shared: HotPathShared): HotPath {
  const glue = new WasmGlue(new WebAssembly.Instance(wasmModule(), {}));
  return new WasmHotPath(glue, new LimiterTable(shared.limiterTable));
}

class WasmHotPath implements HotPath {
  readonly backend = 'wasm' as const;
  constructor(
    private readonly glue: WasmGlue,
    private readonly table: LimiterTable,
  ) {}

  normalizePath(rawPath: string, options: NormalizeOptions): string {
    const g = this.glue;
    try {
      g.begin(rawPath.length);
      const result = g.check(g.x.jw_normalize(g.put(rawPath), optionFlags(options)));
      return result === 0 ? rawPath : g.out();
    } catch (err) {
      throw g.failure(err);
    }
  }

  compileRouter(routes: readonly RouteSpec[], options: NormalizeOptions): Router {
    const g = this.glue;
    try {
      const len = g.writeBytes(encodeRoutes(routes));
      const handle = g.check(g.x.jw_router_new(len, optionFlags(options)));
      const count = g.x.jw_router_header_names(handle);
      const names = count === 0 ? [] : g.out().split('\0');
      const router = new WasmRouter(g, handle, Object.freeze(names));
      finalizer.register(router, () => g.x.jw_router_free(handle));
      return router;
    } catch (err) {
      throw g.failure(err);
    }
  }

  compileRing(
    algorithm: RingAlgorithm,
    upstreams: ReadonlyArray<{ name: string; weight: number }>,
  ): Ring {
    const g = this.glue;
    if (algorithm !== 'ketama' && algorithm !== 'maglev') {
      throw new HotPathError(BAD_ARGUMENT, `algorithm: "${String(algorithm)}" (ketama, maglev)`);
    }
    try {
      const len = g.writeBytes(encodeUpstreams(upstreams));
      const handle = g.check(g.x.jw_ring_new(algorithm === 'ketama' ? 0 : 1, len));
      const ring = new WasmRing(g, handle);
      finalizer.register(ring, () => g.x.jw_ring_free(handle));
      return ring;
    } catch (err) {
      throw g.failure(err);
    }
  }

  limiter(id: string, spec: LimiterSpec): Limiter {
    const g = this.glue;
    const q = quotaArgs(spec);
    g.check(g.x.jw_quota(q.rate, q.periodUs, q.burst));
    const interval = g.f64At(IO_INTERVAL);
    const tolerance = g.f64At(IO_TOLERANCE);
    const step = (tatUs: number, nowUs: number): GcraOutcome => {
      let tat: number;
      try {
        tat = g.x.jw_gcra_step(interval, tolerance, tatUs, nowUs);
      } catch (err) {
        throw g.failure(err);
      }
      return {
        tat,
        allowed: g.u32At(IO_ALLOWED) === 1,
        remaining: g.u32At(IO_REMAINING),
        retryAfterUs: g.f64At(IO_RETRY_AFTER),
        resetAfterUs: g.f64At(IO_RESET_AFTER),
      };
    };
    return this.table.limiter(id, spec, step);
  }

  compileCidrs(ranges: readonly string[]): CidrSet {
    const g = this.glue;
    try {
      const handle = g.check(g.x.jw_cidr_new(g.writeBytes(encodeStrings(ranges))));
      const set = new WasmCidrSet(g, handle);
      finalizer.register(set, () => g.x.jw_cidr_free(handle));
      return set;
    } catch (err) {
      throw g.failure(err);
    }
  }

  clientAddress(peer: string, xff: string, forwarded: string, trusted: CidrSet): string {
    if (!(trusted instanceof WasmCidrSet) || trusted.glue !== this.glue) {
      throw new HotPathError(BAD_ARGUMENT, 'trusted: not a CidrSet of this WASM hot path');
    }
    const g = this.glue;
    try {
      g.begin(peer.length + xff.length + forwarded.length);
      const x = g.x;
      const result = g.check(
        x.jw_client_address(trusted.handle, g.put(peer), g.put(xff), g.put(forwarded)),
      );
      return result === 0 ? peer : g.out();
    } catch (err) {
      throw g.failure(err);
    }
  }
}

class WasmRouter implements Router, ExtraText {
  constructor(
    private readonly glue: WasmGlue,
    private readonly handle: number,
    readonly headerNames: readonly string[],
  ) {}

  route(
    method: string,
    host: string,
    rawPath: string,
    headerValues: readonly string[],
  ): RouteResult {
    const g = this.glue;
    let code: number;
    try {
      const headers = joinHeaders(headerValues, this.headerNames.length);
      g.begin(method.length + host.length + rawPath.length + headers.length);
      // Arguments are evaluated left to right, so the strings land end to end in this order.
      const x = g.x;
      code = g.check(
        x.jw_router_route(this.handle, g.put(method), g.put(host), g.put(rawPath), g.put(headers)),
      );
    } catch (err) {
      throw g.failure(err);
    }
    return routeResult(code, rawPath, this);
  }

  takeExtra(): string {
    return this.glue.out();
  }
}

class WasmRing implements Ring {
  constructor(
    private readonly glue: WasmGlue,
    private readonly handle: number,
  ) {}

  pick(key: string, attempt: number): number {
    const g = this.glue;
    try {
      g.begin(key.length);
      return g.check(g.x.jw_ring_pick(this.handle, g.put(key), attempt >>> 0));
    } catch (err) {
      throw g.failure(err);
    }
  }
}

class WasmCidrSet implements CidrSet {
  constructor(
    readonly glue: WasmGlue,
    readonly handle: number,
  ) {}

  contains(ip: string): boolean {
    const g = this.glue;
    try {
      g.begin(ip.length);
      return g.check(g.x.jw_cidr_contains(this.handle, g.put(ip))) === 1;
    } catch (err) {
      throw g.failure(err);
    }
  }
}

/** Little-endian u32 counts and length-prefixed UTF-8 strings (wasm/src/decode.rs). */
class ByteWriter {
  private readonly parts: Buffer[] = [];

  u8(n: number): this {
    this.parts.push(Buffer.of(n));
    return this;
  }

  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    this.parts.push(b);
    return this;
  }

  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u32(b.length).push(b);
  }

  strs(list: readonly string[]): this {
    this.u32(list.length);
    for (const s of list) this.str(s);
    return this;
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }

  private push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
}

function encodeRoutes(routes: readonly RouteSpec[]): Uint8Array {
  const w = new ByteWriter().u32(routes.length);
  for (const r of routes) {
    if (r.host === undefined) w.u8(0);
    else w.u8(1).str(r.host);
    if ('exact' in r.path) w.u8(0).str(r.path.exact);
    else if ('prefix' in r.path) w.u8(1).str(r.path.prefix);
    else w.u8(2).str(r.path.template);
    w.strs(r.methods).u32(r.headers.length);
    for (const [name, value] of r.headers) w.str(name).str(value);
  }
  return w.bytes();
}

function encodeUpstreams(upstreams: ReadonlyArray<{ name: string; weight: number }>): Uint8Array {
  const w = new ByteWriter().u32(upstreams.length);
  for (const u of upstreams) w.str(u.name).u32(u.weight);
  return w.bytes();
}

function encodeStrings(list: readonly string[]): Uint8Array {
  return new ByteWriter().strs(list).bytes();
}
