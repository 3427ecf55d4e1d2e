// Picks the hot-path backend for this thread: native first, then WASM, unless
// JETWAY_HOTPATH (native | wasm | ts) forces one. A forced backend that cannot load is a
// thrown HotPathError (code JETWAY_HOTPATH_UNAVAILABLE) naming the reason, never a quiet
// fallback; an unforced fallback returns the reason for the caller to log.
//
// Rate-limit state is shared per backend: the addon keeps it inside the process-wide shared
// object, WASM and TypeScript in HotPathShared's table. Workers that ended on different
// backends would therefore count apart.
// TODO(correctness): let the control plane load once and force its backend on every worker.

import { BAD_BACKEND, UNAVAILABLE } from './codes.js';
import { createNativeHotPath } from './native.js';
import { createHotPathShared, type HotPathShared } from './shared.js';
import { createReferenceHotPath } from './reference/index.js';
import { HotPathError, type Backend, type HotPath } from './types.js';
import { createWasmHotPath } from './wasm.js';

export { createHotPathShared, type HotPathShared };

export interface LoadedHotPath {
  readonly hotpath: HotPath;
  /** Why the preferred backend (native) did not load, when the loader fell back. */
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

/** Loads the backend for this thread; see the file comment for the rules. */
export function loadHotPath(
  shared: HotPathShared,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LoadedHotPath {
  const forced = env[BACKEND_VARIABLE];
  if (forced !== undefined && forced !== '') return { hotpath: loadForced(forced, shared) };

  try {
    return { hotpath: createHotPath('native', shared) };
  } catch (err) {
    const fallback = `native hot path unavailable (${reason(err)}); using wasm`;
    return { hotpath: loadForced('wasm', shared), fallback };
  }
}

function loadForced(name: string, shared: HotPathShared): HotPath {
  if (name !== 'native' && name !== 'wasm' && name !== 'ts') {
    throw new HotPathError(BAD_BACKEND, `${BACKEND_VARIABLE}=${name} (native, wasm, ts)`);
  }
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
