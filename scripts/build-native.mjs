// Builds the napi-rs addon (native/napi) in release mode with @napi-rs/cli. The CLI writes,
// beside the crate: jetway.<platform>.node (the addon), index.js (its loader) and index.d.ts
// (its types, compared with test/snapshots/napi.d.ts by test/unit/napi-dts.test.ts).
// Extra arguments are passed on to `napi build` (for example `--target`).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js');
const args = [cli, 'build', '--platform', '--release', '--cwd', join(root, 'native', 'napi')];

const run = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
if (run.status !== 0) {
  console.error(`build-native: napi build failed (exit ${run.status ?? run.signal})`);
  process.exit(run.status ?? 1);
}
