// Micro-benchmarks of the hot path: each function on each backend (native addon, WASM, plain
// TypeScript), plus what one crossing into native or WASM costs with each kind of argument
// and result, the numbers the bindings' API shape was chosen from.
//
//   node dist/bench/micro.js            a table on stdout
//   node dist/bench/micro.js --json     the rows as JSON
//
// Each sample times BATCH calls, since one call (~50-500 ns) is close to the timer's own cost.

import { pathToFileURL } from 'node:url';

import { Bench } from 'tinybench';

import { createHotPath } from '../ts/hotpath/load.js';
import { loadNativeAddon } from '../ts/hotpath/native.js';
import { createHotPathShared } from '../ts/hotpath/shared.js';
import type { Backend, HotPath, RouteSpec } from '../ts/hotpath/types.js';
import { WasmGlue, wasmModule } from '../ts/hotpath/wasm.js';

export interface MicroResult {
  /** What was measured: a hot-path function and its case, or `crossing: ...`. */
  fn: string;
  /** native, wasm or ts. */
  backend: string;
  opsPerSec: number;
  nsPerOp: number;
}

export interface MicroOptions {
  /** Measuring time per row in milliseconds (300); there are about 60 rows. */
  durationMs?: number;
  /** Told one line for each backend left out, with the reason (the WASM module not built). */
  note?: (line: string) => void;
}

const BATCH = 100;
const DEFAULTS = { allowEncodedSlash: false, allowBackslash: false, mergeSlashes: true };
/** Keeps results alive so that no call is optimised away. */
let sink = 0;

type Case = [fn: string, backend: string, run: () => unknown];

/** Runs every benchmark and returns one row per function and backend. */
export async function runMicro(options: MicroOptions = {}): Promise<MicroResult[]> {
  const shared = createHotPathShared();
  const cases: Case[] = [];
  const note = options.note ?? ((line: string) => console.log(line));
  for (const backend of ['native', 'wasm', 'ts'] as const) {
    const hp = tryLoad(backend, shared, note);
    if (hp !== undefined) cases.push(...hotPathCases(hp, backend));
  }
  cases.push(...nativeCrossings(), ...wasmCrossings());
  return measure(cases, options.durationMs ?? 300);
}

function tryLoad(
  backend: Backend,
  shared: ReturnType<typeof createHotPathShared>,
  note: (line: string) => void,
) {
  try {
    return createHotPath(backend, shared);
  } catch (err) {
    const why = (err as Error)?.message ?? String(err);
    note(`skipped: the ${backend} backend, which did not load: ${why.split('\n')[0]}`);
    return undefined;
  }
}

async function measure(cases: Case[], timeMs: number): Promise<MicroResult[]> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(100, timeMs), iterations: 16 });
  for (const [fn, backend, run] of cases) {
    bench.add(`${fn}\u0000${backend}`, () => {
      for (let i = 0; i < BATCH; i++) run();
    });
  }
  await bench.run();

  return bench.tasks.map((task) => {
    const [fn, backend] = task.name.split('\u0000') as [string, string];
    const result = task.result;
    // The median, not the mean: on a shared machine a few preempted samples skew a mean.
    const msPerBatch = result.state === 'completed' ? result.latency.p50 : NaN;
    const nsPerOp = (msPerBatch * 1e6) / BATCH;
    return { fn, backend, nsPerOp, opsPerSec: 1e9 / nsPerOp };
  });
}

/** A route table of the size a gateway config has: hosts, prefixes, templates. */
function routes(): RouteSpec[] {
  const table: RouteSpec[] = [];
  for (const svc of ['users', 'orders', 'billing', 'search', 'catalog']) {
    table.push({ path: { exact: `/${svc}/health` }, methods: ['GET'], headers: [] });
    table.push({ path: { template: `/api/v1/${svc}/:id` }, methods: [], headers: [] });
    table.push({ path: { template: `/api/v1/${svc}/:id/*rest` }, methods: [], headers: [] });
    table.push({ host: `${svc}.example.com`, path: { prefix: '/' }, methods: [], headers: [] });
  }
  table.push({ path: { prefix: '/static' }, methods: ['GET', 'HEAD'], headers: [] });
  table.push({ path: { prefix: '/' }, methods: [], headers: [] });
  return table;
}

function hotPathCases(hp: HotPath, backend: Backend): Case[] {
  const router = hp.compileRouter(routes(), DEFAULTS);
  const upstreams = Array.from({ length: 10 }, (_, i) => ({ name: `10.0.0.${i}:8080`, weight: 1 }));
  const ketama = hp.compileRing('ketama', upstreams);
  const maglev = hp.compileRing('maglev', upstreams);
  const limiter = hp.limiter(`micro-${backend}-${process.pid}`, {
    rate: 1_000_000,
    periodMs: 1000,
    burst: 1000,
  });
  const trusted = hp.compileCidrs(['10.0.0.0/8', '192.168.0.0/16']);
  const keys = Array.from({ length: 64 }, (_, i) => `client-${i}`);
  let n = 0;
  let now = 1_700_000_000_000_000;

  return [
    ['normalize: canonical', backend, () => hp.normalizePath('/api/v1/users/123/orders', DEFAULTS)],
    ['normalize: rewritten', backend, () => hp.normalizePath('/api/v1/../v1/%7Eu/./o', DEFAULTS)],
    ['route: prefix, path as is', backend, () => router.route('GET', 'h', '/static/app.js', [])],
    [
      'route: template + 2 params',
      backend,
      () => router.route('GET', 'h', '/api/v1/orders/42/items/7', []),
    ],
    ['ring pick: ketama', backend, () => ketama.pick(keys[n++ & 63]!, 0)],
    ['ring pick: maglev', backend, () => maglev.pick(keys[n++ & 63]!, 0)],
    ['limiter check', backend, () => limiter.check(keys[n++ & 63]!, (now += 10))],
    ['cidr contains', backend, () => trusted.contains('192.168.10.20')],
    [
      'client_address: trusted chain',
      backend,
      () => hp.clientAddress('10.0.0.1', '203.0.113.7, 10.1.1.1', '', trusted),
    ],
    [
      'client_address: untrusted peer',
      backend,
      () => hp.clientAddress('198.51.100.4', '203.0.113.7', '', trusted),
    ],
    ['crossing: empty call', backend, emptyCall(backend)],
  ];
}

/** The cost of crossing with nothing to do: an empty export, or an empty JS function. */
function emptyCall(backend: Backend): () => unknown {
  if (backend === 'native') {
    const addon = loadNativeAddon();
    return () => addon.probeEmpty();
  }
  if (backend === 'wasm') {
    const glue = new WasmGlue(new WebAssembly.Instance(wasmModule(), {}));
    return () => glue.x.jw_empty();
  }
  const empty = new Function() as () => void;
  return () => empty();
}

/** The addon's probe exports (native/napi/src/probe.rs). */
interface Probes {
  probeEmpty(): void;
  probeGuarded(): void;
  probeNumber(x: number): number;
  probeInt(x: number): number;
  probeStringIn(s: string): number;
  probeStrIn(s: string): number;
  probeStr4In(a: string, b: string, c: string, d: string): number;
  probeStringArrayIn(values: string[]): number;
  probeStringOut(s: string): string;
  probeObjectOut(): { remaining: number };
  probeTypedOut(out: Float64Array): boolean;
  probeExternalNew(): object;
  probeExternalTouch(state: object): number;
  ProbeHandle: new () => { touch(): void };
}

function nativeCrossings(): Case[] {
  let p: Probes;
  try {
    p = loadNativeAddon() as unknown as Probes;
  } catch {
    return [];
  }
  const path = '/api/v1/users/12345/orders';
  const out = new Float64Array(4);
  const ext = p.probeExternalNew();
  const handle = new p.ProbeHandle();
  const c = (fn: string, run: () => unknown): Case => [`crossing: ${fn}`, 'native', run];
  return [
    c('empty call inside the panic guard', () => p.probeGuarded()),
    c('number in, number out', () => (sink += p.probeNumber(1))),
    c('small int in, out', () => (sink += p.probeInt(1))),
    c('string in (napi-rs String)', () => (sink += p.probeStringIn(path))),
    c('string in (stack copy)', () => (sink += p.probeStrIn(path))),
    c('4 strings in (stack copy)', () => (sink += p.probeStr4In('GET', 'example.com', path, ''))),
    c('string[2] in', () => (sink += p.probeStringArrayIn(['a', 'b']))),
    c('string in, string out', () => (sink += p.probeStringOut(path).length)),
    c('object with 4 fields out', () => (sink += p.probeObjectOut().remaining)),
    c('4 numbers out via Float64Array arg', () => (sink += p.probeTypedOut(out) ? out[1]! : 0)),
    c('External handle in', () => (sink += p.probeExternalTouch(ext))),
    c('method on a napi class', () => handle.touch()),
  ];
}

function wasmCrossings(): Case[] {
  let glue: WasmGlue;
  try {
    glue = new WasmGlue(new WebAssembly.Instance(wasmModule(), {}));
  } catch {
    return [];
  }
  const path = '/api/v1/users/12345/orders';
  const at = glue.reserve(4096);
  // Views made once: nothing below grows memory.
  const bytes = Buffer.from(glue.x.memory.buffer);
  const u8 = new Uint8Array(glue.x.memory.buffer);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  writeAscii(u8, path, at);
  const c = (fn: string, run: () => unknown): Case => [`crossing: ${fn}`, 'wasm', run];
  return [
    c('string write (Buffer.write)', () => (sink += bytes.write(path, at, 'utf8'))),
    c('string write (encodeInto)', () => {
      sink += encoder.encodeInto(path, u8.subarray(at)).written;
    }),
    c('string write (charCode loop)', () => (sink += writeAscii(u8, path, at))),
    c('string write (glue: begin + put)', () => {
      glue.begin(path.length);
      sink += glue.put(path);
    }),
    c('string read (Buffer.toString)', () => (sink += bytes.toString('utf8', at, at + 26).length)),
    c('string read (TextDecoder)', () => (sink += decoder.decode(u8.subarray(at, at + 26)).length)),
    c('string read (fromCharCode)', () => {
      sink += String.fromCharCode.apply(
        null,
        u8.subarray(at, at + 26) as unknown as number[],
      ).length;
    }),
  ];
}

/** ASCII-only writer, to compare with the native encoders (a real one needs a UTF-8 path). */
function writeAscii(u8: Uint8Array, text: string, at: number): number {
  for (let i = 0; i < text.length; i++) u8[at + i] = text.charCodeAt(i);
  return text.length;
}

function printTable(rows: MicroResult[]): void {
  const width = Math.max(...rows.map((r) => r.fn.length));
  console.log(
    `${'function'.padEnd(width)}  backend  ${'ns/op'.padStart(8)}  ${'ops/s'.padStart(12)}`,
  );
  for (const r of rows) {
    const ns = r.nsPerOp.toFixed(1).padStart(8);
    const ops = Math.round(r.opsPerSec).toLocaleString('en-US').padStart(12);
    console.log(`${r.fn.padEnd(width)}  ${r.backend.padEnd(7)}  ${ns}  ${ops}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await runMicro();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else
    printTable(rows.sort((a, b) => a.fn.localeCompare(b.fn) || a.backend.localeCompare(b.backend)));
  if (sink === Number.MIN_VALUE) console.log(sink);
}
