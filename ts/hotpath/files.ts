// Where the built artifacts live, found from this module's own location so that the same
// code works from ts/ (sources) and dist/ts/ (compiled).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest folder above this module that holds Cargo.toml. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'Cargo.toml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('jetway: cannot find the project root above ' + dir);
    dir = up;
  }
  return dir;
}
