// Loads uWebSockets.js's native binary directly. The republish we depend on
// falls back to a slow pure-Node imitation when its binary cannot load (on a
// Node version it was not built for, or with UWS_USE_FALLBACK set) and only
// prints a warning; Jetway refuses to run on that imitation.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as UWS from 'uWebSockets.js';

export type Uws = typeof UWS;

export class UwsLoadError extends Error {
  readonly code = 'JETWAY_UWS_UNAVAILABLE';
}

/** The native uWS module, or throws UwsLoadError saying why it cannot load. */
export function loadUws(env: NodeJS.ProcessEnv = process.env): Uws {
  if (env.UWS_USE_FALLBACK !== undefined && env.UWS_USE_FALLBACK !== '') {
    throw new UwsLoadError(
      'UWS_USE_FALLBACK is set: Jetway runs only on the native uWebSockets.js binary, ' +
        'never on its pure-Node imitation; unset it',
    );
  }
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('uWebSockets.js/package.json'));
  const { platform, arch } = process;
  const file = join(dir, 'binaries', `uws_${platform}_${arch}_${process.versions.modules}.node`);
  try {
    return require(file) as Uws;
  } catch (err) {
    throw new UwsLoadError(
      `uWebSockets.js has no native binary for Node ${process.version} on ${platform}/${arch} ` +
        `(${(err as Error).message.split('\n')[0]}); Jetway needs Node 20`,
    );
  }
}
