// The loader: by default each function where it measured fastest (TypeScript for parsing
// and matching, native limiters with WASM as the fallback and the reason returned), and a
// forced backend (JETWAY_HOTPATH) that fails loudly. Cases where the addon must not load run in a
// child process, since a thread keeps the addon it loaded once.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { BAD_BACKEND, UNAVAILABLE } from '../../ts/hotpath/codes.js';
import { loadChosenHotPath, loadHotPath } from '../../ts/hotpath/load.js';
import { createHotPathShared } from '../../ts/hotpath/shared.js';
import { HotPathError } from '../../ts/hotpath/types.js';

const loader = new URL('../../ts/hotpath/load.js', import.meta.url).href;

/** Runs loadHotPath in a fresh process whose addon path points nowhere; returns its report. */
function loadWithoutAddon(forced: string): Record<string, string | undefined> {
  const script = `
    const { createHotPathShared, loadHotPath } = await import(${JSON.stringify(loader)});
    try {
      const { hotpath, choice, fallback } = loadHotPath(createHotPathShared());
      console.log(JSON.stringify({ backend: hotpath.backend, limits: choice.limits, fallback }));
    } catch (err) {
      console.log(JSON.stringify({ code: err.code, message: err.message }));
    }`;
  const env = {
    ...process.env,
    JETWAY_HOTPATH: forced,
    NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/jetway-test.node',
  };
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, string | undefined>;
}

describe('hot-path loader', () => {
  it('defaults to TypeScript matching with native limiters when the addon is built', () => {
    const loaded = loadHotPath(createHotPathShared(), {});
    assert.equal(loaded.hotpath.backend, 'auto');
    assert.deepEqual(loaded.choice, { backend: 'auto', limits: 'native' });
    assert.equal(loaded.fallback, undefined);
  });

  it('keeps limiters in WASM and returns why the native backend did not load', () => {
    const report = loadWithoutAddon('');
    assert.equal(report.backend, 'auto');
    assert.equal(report.limits, 'wasm');
    assert.match(report.fallback ?? '', /native hot path unavailable/);
    assert.match(report.fallback ?? '', /\/nonexistent\/jetway-test\.node/);
  });

  it('throws JETWAY_HOTPATH_UNAVAILABLE and why when forced native cannot load', () => {
    const report = loadWithoutAddon('native');
    assert.equal(report.code, UNAVAILABLE);
    assert.match(report.message ?? '', /native hot path cannot load: .*jetway-test\.node/);
  });

  it('loads WASM when forced, even where native would load', () => {
    const loaded = loadHotPath(createHotPathShared(), { JETWAY_HOTPATH: 'wasm' });
    assert.equal(loaded.hotpath.backend, 'wasm');
    assert.deepEqual(loaded.choice, { backend: 'wasm', limits: 'wasm' });
    assert.equal(loaded.fallback, undefined);
  });

  it('loads exactly the choice another thread resolved', () => {
    const shared = createHotPathShared();
    const auto = loadChosenHotPath({ backend: 'auto', limits: 'wasm' }, shared);
    assert.equal(auto.backend, 'auto');
    assert.equal(loadChosenHotPath({ backend: 'ts', limits: 'ts' }, shared).backend, 'ts');
  });

  it('shares one limiter between the auto default and its limiter backend', () => {
    const shared = createHotPathShared();
    const spec = { rate: 1, periodMs: 60_000, burst: 1 };
    const auto = loadChosenHotPath({ backend: 'auto', limits: 'wasm' }, shared);
    const wasm = loadChosenHotPath({ backend: 'wasm', limits: 'wasm' }, shared);
    assert.equal(auto.limiter('shared-check', spec).check('k', 1_000_000).allowed, true);
    assert.equal(wasm.limiter('shared-check', spec).check('k', 1_000_001).allowed, false);
  });

  it('throws JETWAY_HOTPATH_BAD_BACKEND for a backend name it does not know', () => {
    const run = () => loadHotPath(createHotPathShared(), { JETWAY_HOTPATH: 'fast' });
    assert.throws(run, (err: unknown) => err instanceof HotPathError && err.code === BAD_BACKEND);
  });
});
