// The few WebAssembly globals the WASM backend uses. Node 20 has them at run time, but
// neither lib ES2023 nor @types/node 20 declares them (they come with lib "dom").

declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
  class RuntimeError extends Error {}
}
