// Where the harness finds the repository it ships with, from its own compiled location
// (dist/bench/paths.js), so it runs the same from any working directory.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Default home of the JSON and HTML reports (gitignored). */
export const RESULTS_DIR = resolve(REPO_ROOT, 'bench', 'results');
