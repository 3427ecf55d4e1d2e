// One conformance suite for every hot-path backend: each golden vector file under
// test/vectors/ runs against native, WASM and the TypeScript reference, whichever load here.
// JETWAY_REQUIRE_BACKENDS=native,wasm turns a backend that does not load into a failure
// instead of a skip (CI sets it, so a missing build cannot pass unnoticed).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { projectRoot } from '../../ts/hotpath/files.js';
import { createHotPath } from '../../ts/hotpath/load.js';
import { createHotPathShared } from '../../ts/hotpath/shared.js';
import {
  HotPathError,
  type Backend,
  type HotPath,
  type NormalizeOptions,
  type RouteResult,
  type RouteSpec,
} from '../../ts/hotpath/types.js';

const BACKENDS: readonly Backend[] = ['native', 'wasm', 'ts'];
const required = new Set((process.env.JETWAY_REQUIRE_BACKENDS ?? '').split(',').filter(Boolean));
const shared = createHotPathShared();
/** Limiter ids are process-wide (native) or table-wide (WASM): each case gets its own. */
const runId = `${process.pid}-${Date.now()}`;

function vectors<T>(file: string): T | undefined {
  const path = join(projectRoot(), 'test', 'vectors', file);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

interface RawOptions {
  allow_encoded_slash?: boolean;
  allow_backslash?: boolean;
  merge_slashes?: boolean;
}

function options(raw: RawOptions | undefined): NormalizeOptions {
  return {
    allowEncodedSlash: raw?.allow_encoded_slash ?? false,
    allowBackslash: raw?.allow_backslash ?? false,
    mergeSlashes: raw?.merge_slashes ?? true,
  };
}

/** Asserts that `run` throws a HotPathError with `code`. */
function assertCode(run: () => unknown, code: string): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof HotPathError, `expected a HotPathError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

type Suite = (hp: HotPath, backend: Backend) => void;

const suites: Array<[file: string, suite: Suite]> = [
  ['normalize.json', normalizeSuite],
  ['router.json', routerSuite],
  ['ketama.json', (hp) => ringSuite(hp, 'ketama')],
  ['maglev.json', (hp) => ringSuite(hp, 'maglev')],
  ['gcra.json', gcraSuite],
  ['cidr.json', cidrSuite],
  ['forwarded.json', forwardedSuite],
];

for (const backend of BACKENDS) {
  let hp: HotPath | undefined;
  let why = '';
  try {
    hp = createHotPath(backend, shared);
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
  }

  describe(`${backend} hot path`, () => {
    if (hp === undefined) {
      if (required.has(backend)) it('loads', () => assert.fail(`${backend}: ${why}`));
      else it.skip(`does not load here: ${why}`);
      return;
    }
    const loaded = hp;
    it('reports its backend name', () => assert.equal(loaded.backend, backend));
    for (const [file, suite] of suites) {
      if (!existsSync(join(projectRoot(), 'test', 'vectors', file))) continue;
      describe(file, () => suite(loaded, backend));
    }
    describe('errors', () => errorSuite(loaded));
  });
}

function normalizeSuite(hp: HotPath): void {
  type Case = { input: string; options?: RawOptions; output?: string; error?: string };
  for (const c of vectors<Case[]>('normalize.json') ?? []) {
    it(`normalises ${JSON.stringify(c.input)}`, () => {
      const run = () => hp.normalizePath(c.input, options(c.options));
      if (c.error !== undefined) assertCode(run, c.error);
      else assert.equal(run(), c.output);
    });
  }
}

function routerSuite(hp: HotPath): void {
  type RawRoute = Omit<RouteSpec, 'headers'> & { headers?: Array<[string, string]> };
  type Request = {
    method: string;
    host: string;
    path: string;
    headers?: Record<string, string>;
    expect: RouteResult;
  };
  type Case = { name: string; routes: RawRoute[]; options?: RawOptions; requests: Request[] };
  for (const c of vectors<Case[]>('router.json') ?? []) {
    it(`routes: ${c.name}`, () => {
      const routes = c.routes.map((r) => ({
        ...r,
        methods: r.methods ?? [],
        headers: r.headers ?? [],
      }));
      const router = hp.compileRouter(routes, options(c.options));
      for (const r of c.requests) {
        const values = router.headerNames.map((name) => r.headers?.[name] ?? '');
        const got = router.route(r.method, r.host, r.path, values);
        assert.deepEqual(got, r.expect, `${r.method} ${r.host} ${r.path}`);
      }
    });
  }
}

function ringSuite(hp: HotPath, algorithm: 'ketama' | 'maglev'): void {
  type Pick = { key: string; attempt?: number; upstream: number };
  type Set = {
    upstreams: Array<{ name: string; weight: number }>;
    picks: Pick[];
    fallbacks?: Pick[];
  };
  const file = vectors<{ sets: Set[] }>(`${algorithm}.json`);
  for (const [i, set] of (file?.sets ?? []).entries()) {
    it(`picks as recorded for set ${i} (${set.upstreams.length} upstreams)`, () => {
      const ring = hp.compileRing(algorithm, set.upstreams);
      for (const p of [...set.picks, ...(set.fallbacks ?? [])]) {
        const attempt = p.attempt ?? 0;
        assert.equal(ring.pick(p.key, attempt), p.upstream, `key ${p.key} attempt ${attempt}`);
      }
    });
  }
}

function gcraSuite(hp: HotPath, backend: Backend): void {
  type Step = {
    key: string;
    now_us: number;
    allowed: boolean;
    remaining: number;
    retry_after_us: number;
    reset_after_us: number;
  };
  type Case = {
    name: string;
    quota: { rate: number; period_us: number; burst: number };
    steps?: Step[];
    error?: string;
  };
  for (const [i, c] of (vectors<Case[]>('gcra.json') ?? []).entries()) {
    const q = c.quota;
    it(`limits: ${c.name}`, () => {
      const spec = { rate: q.rate, periodMs: q.period_us / 1000, burst: q.burst };
      const open = () => hp.limiter(`conformance-${runId}-${backend}-${i}`, spec);
      if (c.error !== undefined) return assertCode(open, c.error);
      const limiter = open();
      for (const s of c.steps ?? []) {
        const expected = {
          allowed: s.allowed,
          remaining: s.remaining,
          retryAfterMs: Math.ceil(s.retry_after_us / 1000),
          resetMs: Math.ceil(s.reset_after_us / 1000),
        };
        assert.deepEqual(limiter.check(s.key, s.now_us), expected, `${s.key} at ${s.now_us}`);
      }
    });
  }
}

function cidrSuite(hp: HotPath): void {
  type Case = {
    name: string;
    ranges: string[];
    checks?: Array<{ ip: string; contains: boolean }>;
    error?: string;
  };
  for (const c of vectors<Case[]>('cidr.json') ?? []) {
    it(`cidr: ${c.name}`, () => {
      if (c.error !== undefined) return assertCode(() => hp.compileCidrs(c.ranges), c.error);
      const set = hp.compileCidrs(c.ranges);
      for (const check of c.checks ?? []) {
        assert.equal(set.contains(check.ip), check.contains, check.ip);
      }
    });
  }
}

function forwardedSuite(hp: HotPath): void {
  type Case = {
    name: string;
    trusted: string[];
    peer: string;
    xff: string;
    forwarded: string;
    client: string;
  };
  for (const c of vectors<Case[]>('forwarded.json') ?? []) {
    it(`client address: ${c.name}`, () => {
      const trusted = hp.compileCidrs(c.trusted);
      assert.equal(hp.clientAddress(c.peer, c.xff, c.forwarded, trusted), c.client);
    });
  }
}

function errorSuite(hp: HotPath): void {
  const defaults = options(undefined);

  it('throws a path error with its stable code', () => {
    assertCode(() => hp.normalizePath('/a/../../b', defaults), 'JETWAY_PATH_ABOVE_ROOT');
    assertCode(() => hp.normalizePath('a', defaults), 'JETWAY_PATH_NOT_ABSOLUTE');
  });

  it('rejects a bad route template with JETWAY_ROUTE_INVALID', () => {
    const route: RouteSpec = { path: { template: '/a/*rest/b' }, methods: [], headers: [] };
    assertCode(() => hp.compileRouter([route], defaults), 'JETWAY_ROUTE_INVALID');
  });

  it('rejects a range with host bits with JETWAY_CIDR_INVALID', () => {
    assertCode(() => hp.compileCidrs(['10.1.0.0/8']), 'JETWAY_CIDR_INVALID');
  });

  it('rejects a quota of zero requests with JETWAY_QUOTA_INVALID', () => {
    const spec = { rate: 0, periodMs: 1000, burst: 1 };
    assertCode(() => hp.limiter(`bad-${runId}`, spec), 'JETWAY_QUOTA_INVALID');
  });

  it('answers a bad path in a route lookup as a value, not an error', () => {
    const route: RouteSpec = { path: { prefix: '/' }, methods: [], headers: [] };
    const router = hp.compileRouter([route], defaults);
    const got = router.route('GET', 'example.com', '/%zz', []);
    assert.deepEqual(got, { kind: 'bad_path', code: 'JETWAY_PATH_BAD_PERCENT' });
  });

  it('returns the normalised path and decoded parameters of a template match', () => {
    const route: RouteSpec = { path: { template: '/users/:id/*rest' }, methods: [], headers: [] };
    const router = hp.compileRouter([route], defaults);
    const got = router.route('GET', 'example.com', '/users/./%61b//x/y', []);
    const params = { id: 'ab', rest: 'x/y' };
    assert.deepEqual(got, { kind: 'match', route: 0, path: '/users/ab/x/y', params });
  });

  it('keeps header values apart even when one holds a NUL', () => {
    const route: RouteSpec = {
      path: { prefix: '/' },
      methods: [],
      headers: [
        ['x-a', '1'],
        ['x-b', '2'],
      ],
    };
    const router = hp.compileRouter([route], defaults);
    const values = router.headerNames.map((n) => (n === 'x-a' ? '1\u00002' : '2'));
    assert.deepEqual(router.route('GET', 'h', '/', values), { kind: 'not_found' });
  });
}
