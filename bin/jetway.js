#!/usr/bin/env node
// Entry point of the `jetway` command; the code lives in dist/ (npm run build).
import('../dist/ts/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('jetway: not built yet; run `npm run build` first');
    process.exit(1);
  }
  throw err;
});
