// Panics never cross the boundary as panics: the napi addon catches them at every export and
// throws JETWAY_HOTPATH_PANIC; the WASM module traps, and the glue turns the trap into the
// same code with the panic's message. Either way the process, and the backend, go on.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PANIC } from '../../ts/hotpath/codes.js';
import { loadNativeAddon } from '../../ts/hotpath/native.js';
import { HotPathError } from '../../ts/hotpath/types.js';
import { WasmGlue, wasmModule } from '../../ts/hotpath/wasm.js';

describe('a panic in the core', () => {
  it('reaches JavaScript from the addon as an error with JETWAY_HOTPATH_PANIC', () => {
    const addon = loadNativeAddon() as ReturnType<typeof loadNativeAddon> & {
      probePanic(): void;
    };
    assert.throws(
      () => addon.probePanic(),
      (err: unknown) => {
        assert.equal((err as { code?: string }).code, PANIC);
        assert.match((err as Error).message, /deliberate panic from probePanic/);
        return true;
      },
    );
    assert.equal(addon.normalizePath('/a/./b', 4), '/a/b');
  });

  it('reaches JavaScript from WASM as a HotPathError with the panic message', () => {
    const glue = new WasmGlue(new WebAssembly.Instance(wasmModule(), {}));
    let thrown: unknown;
    try {
      glue.x.jw_probe_panic();
    } catch (err) {
      thrown = glue.failure(err);
    }
    assert.ok(thrown instanceof HotPathError);
    assert.equal(thrown.code, PANIC);
    assert.match(thrown.message, /deliberate panic from jw_probe_panic/);

    glue.begin(6);
    assert.equal(glue.x.jw_normalize(glue.put('/a/./b'), 4), 1);
    assert.equal(glue.out(), '/a/b');
  });
});
