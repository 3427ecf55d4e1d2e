// wrk as the load generator: a C event loop that costs less CPU per request than any
// JavaScript client, which matters when it shares two cores with the proxy and the upstream.
// It runs a closed loop only; its Lua `done` hook prints the numbers as one JSON line.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeScratch, runToEnd, scratchDir } from '../process.js';
import type { RequestShape } from '../scenarios.js';
import { CURVE_PERCENTILES, type Curve } from '../stats.js';
import { tools } from '../tools.js';
import { GeneratorError, type LoadGenerator, type LoadRun, type LoadSpec } from './types.js';

const MARKER = 'JETWAY_BENCH_WRK ';

/** The Lua script that shapes wrk's requests and reports its histogram. */
export function wrkScript(request: RequestShape): string {
  const lines = ['-- Written by the Jetway bench harness.', `wrk.method = "${request.method}"`];
  if (request.bodyBytes > 0) {
    lines.push(`wrk.body = string.rep("x", ${request.bodyBytes})`);
    lines.push('wrk.headers["Content-Type"] = "application/octet-stream"');
  }
  if (request.keyHeader) {
    // A request() hook makes wrk format every request anew; it only pays that where a header
    // has to change per request.
    const { name, keys } = request.keyHeader;
    lines.push('local n = 0', 'request = function()', '  n = n + 1');
    lines.push(`  wrk.headers["${name}"] = tostring(n % ${keys})`, '  return wrk.format()', 'end');
  }
  const points = CURVE_PERCENTILES.filter((p) => p > 0 && p < 100);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('${MARKER}{"requests":%d,"duration_us":%d,"bytes":%d,' ..`,
    `    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"min":%d,"max":%d,"p":[',`,
    '    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,',
    '    e.status, e.timeout, latency.min, latency.max))',
    `  local points = {${points.join(', ')}}`,
    '  for i, p in ipairs(points) do',
    "    if i > 1 then io.write(',') end",
    "    io.write(string.format('[%g,%d]', p, latency:percentile(p)))",
    '  end',
    "  io.write(']}\\n')",
    'end',
  );
  return `${lines.join('\n')}\n`;
}

interface WrkReport {
  requests: number;
  duration_us: number;
  bytes: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  min: number;
  max: number;
  p: Array<[number, number]>;
}

/** Reads the line the script's `done` hook printed out of wrk's stdout. */
export function parseWrkOutput(stdout: string): LoadRun {
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (!line) throw new GeneratorError('BENCH_GENERATOR_FAILED', 'wrk printed no report');
  const r = JSON.parse(line.slice(MARKER.length)) as WrkReport;
  const curve: Curve = [[0, r.min], ...r.p, [100, r.max]];
  return {
    generator: 'wrk',
    requests: r.requests,
    // wrk counts a status of 400 or more under errors.status; the rest are socket errors.
    errors: r.connect + r.read + r.write + r.timeout,
    errorKinds: nonZero({ connect: r.connect, read: r.read, write: r.write, timeout: r.timeout }),
    badStatus: r.status,
    bytes: r.bytes,
    durationMs: r.duration_us / 1000,
    curve,
  };
}

function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

/**
 * wrk's -d takes whole seconds; a shorter run is rounded up.
 * TODO(bench): wrk's warm-up is a run of its own, so the measured run opens its connections
 * again inside the window (2000 of them in many-connections); keeping one wrk for warm-up and
 * measurement needs wrk to report from a given moment, which its Lua hooks cannot.
 */
export function wrkSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Runs wrk for `ms` (whole seconds) and returns what it printed. */
async function runWrk(spec: LoadSpec, dir: string, ms: number): Promise<string> {
  const wrk = tools().wrk?.path as string;
  const threads = Math.min(spec.threads, spec.connections);
  const args = [
    ...['-t', String(threads), '-c', String(spec.connections), '-d', `${wrkSeconds(ms)}s`],
    ...['--timeout', `${Math.ceil(spec.timeoutMs / 1000)}s`, '-s', join(dir, 'bench.lua')],
    `${spec.origin}${spec.request.path}`,
  ];
  const out = join(dir, 'wrk.out');
  rmSync(out, { force: true });
  // Bounded: wrk stops itself after -d; the limit only catches a wrk that hangs.
  const limitMs = wrkSeconds(ms) * 1000 + spec.timeoutMs + 10_000;
  const code = await runToEnd('wrk', wrk, args, out, limitMs, { cpus: spec.cpus });
  const text = readFileSync(out, 'utf8');
  if (code !== 0) throw new GeneratorError('BENCH_GENERATOR_FAILED', `wrk exited ${code}: ${text}`);
  return text;
}

export const wrkGenerator: LoadGenerator = {
  name: 'wrk',
  async run(spec, hooks) {
    if (spec.rate !== undefined) {
      throw new GeneratorError('BENCH_GENERATOR_UNSUPPORTED', 'wrk runs no open loop');
    }
    const dir = scratchDir('wrk');
    try {
      writeFileSync(join(dir, 'bench.lua'), wrkScript(spec.request));
      if (spec.warmupMs > 0) await runWrk(spec, dir, spec.warmupMs);
      hooks.measureStart();
      const stdout = await runWrk(spec, dir, spec.durationMs);
      hooks.measureEnd();
      return parseWrkOutput(stdout);
    } finally {
      removeScratch(dir);
    }
  },
};
