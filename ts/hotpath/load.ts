// Picks the hot-path backend. JETWAY_HOTPATH=native | wasm | ts forces every function onto
// one backend; a forced backend that cannot load is a thrown HotPathError (code
// JETWAY_HOTPATH_UNAVAILABLE) naming the reason, never a quiet fallback.
//
// Unset (or `auto`), each function runs where it measured fastest (README, "Hot path"):
// normalisation, routing, rings, CIDR and forwarded chains in the TypeScript reference,
// because crossing into napi or WASM costs more per call (about 150 ns with one string) than
// the Rust saves; rate limits in the native addon, whose buckets are process-wide and grow
// with the number of keys, falling back to WASM over the shared table, with the reason
// returned for the caller to log.
//
// Rate-limit state lives per backend (the addon's process-wide registry, or HotPathShared's
// table), so every worker must use the same one: the control plane resolves the choice once
// (`resolveHotPath`) and each worker loads exactly that choice (`loadChosenHotPath`).

import { BAD_BACKEND, UNAVAILABLE } from './codes.js';
import { createNativeHotPath } from './native.js';
import { createHotPathShared, type HotPathShared } from './shared.js';
import { createReferenceHotPath } from './reference/index.js';
import { HotPathError, type Backend, type HotPath } from './types.js';
import { createWasmHotPath } from './wasm.js';

export { createHotPathShared, type HotPathShared };

/** Which backend serves the request-path functions, and which keeps rate-limit buckets. */
export interface HotPathChoice {
  /** A forced backend, or 'auto' for the per-function default. */
  readonly backend: Backend | 'auto';
  /** Where limiters live: the forced backend, or with 'auto' native (else wasm). */
  readonly limits: Backend;
}

export interface LoadedHotPath {
  readonly hotpath: HotPath;
  readonly choice: HotPathChoice;
  /** Why the preferred limiter backend (native) did not load, when the loader fell back. */
  readonly fallback?: string;
}

/** The environment variable that forces a backend. */
export const BACKEND_VARIABLE = 'JETWAY_HOTPATH';

/** Loads one backend by name; throws when it cannot. */
export function createHotPath(backend: Backend, shared: HotPathShared): HotPath {
  switch (backend) {
    case 'native':
      return createNativeHotPath();
    case 'wasm':
      return createWasmHotPath(shared);
    case 'ts':
      return createReferenceHotPath(shared);
  }
}

/** Loads the hot path as the environment asks; see the file comment for the rules. */
export function loadHotPath(
  shared: HotPathShared,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LoadedHotPath {
  const forced = env[BACKEND_VARIABLE];
  if (forced !== undefined && forced !== '' && forced !== 'auto') {
    const backend = checkName(forced);
    return { hotpath: loadForced(backend, shared), choice: { backend, limits: backend } };
  }
  try {
    const limits = createHotPath('native', shared);
    return { hotpath: composeAuto(shared, limits), choice: { backend: 'auto', limits: 'native' } };
  } catch (err) {
    const fallback = `native hot path unavailable (${reason(err)}); rate limits use wasm`;
    const limits = loadForced('wasm', shared);
    return {
      hotpath: composeAuto(shared, limits),
      choice: { backend: 'auto', limits: 'wasm' },
      fallback,
    };
  }
}

/** Loads exactly `choice` (as resolved by another thread); throws when it cannot. */
export function loadChosenHotPath(choice: HotPathChoice, shared: HotPathShared): HotPath {
  if (choice.backend !== 'auto') return loadForced(choice.backend, shared);
  return composeAuto(shared, loadForced(choice.limits, shared));
}

/** The per-function default: the TypeScript reference, with limiters from `limits`. */
function composeAuto(shared: HotPathShared, limits: HotPath): HotPath {
  const ts = createReferenceHotPath(shared);
  return {
    backend: 'auto',
    normalizePath: (path, options) => ts.normalizePath(path, options),
    compileRouter: (routes, options) => ts.compileRouter(routes, options),
    compileRing: (algorithm, upstreams) => ts.compileRing(algorithm, upstreams),
    compileCidrs: (ranges) => ts.compileCidrs(ranges),
    clientAddress: (peer, xff, forwarded, trusted) =>
      ts.clientAddress(peer, xff, forwarded, trusted),
    limiter: (id, spec) => limits.limiter(id, spec),
  };
}

function checkName(name: string): Backend {
  if (name === 'native' || name === 'wasm' || name === 'ts') return name;
  throw new HotPathError(
    BAD_BACKEND,
    `unknown backend ${BACKEND_VARIABLE}=${name} (accepted: auto, native, wasm, ts)`,
  );
}

function loadForced(name: Backend, shared: HotPathShared): HotPath {
  try {
    return createHotPath(name, shared);
  } catch (err) {
    throw new HotPathError(UNAVAILABLE, `${name} hot path cannot load: ${reason(err)}`);
  }
}

/** The first line of an error's message: napi-rs's loader lists every path it tried. */
function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0]!;
}
