// The plain TypeScript hot path against the golden vectors under test/vectors/ (the files the
// Rust core's tests read too), plus behaviour tests for the edge cases the vectors are there
// to pin: dot segments (C10), forwarded chains (C08), remapping on pool changes (C20) and the
// GCRA window (C21). Clocks are plain numbers passed in; nothing sleeps.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { createReferenceHotPath } from '../../ts/hotpath/reference/index.js';
import { createHotPathShared } from '../../ts/hotpath/shared.js';
import { MapLimiter, gcraStep, quota } from '../../ts/hotpath/reference/gcra.js';
import { crc32 } from '../../ts/hotpath/reference/ketama.js';
import {
  fmix64Value,
  hash64Value,
  MaglevRing,
  TABLE_SIZE,
} from '../../ts/hotpath/reference/maglev.js';
import type { NormalizeOptions, RouteResult, RouteSpec } from '../../ts/hotpath/types.js';

const hp = createReferenceHotPath();
const STRICT: NormalizeOptions = {
  allowEncodedSlash: false,
  allowBackslash: false,
  mergeSlashes: true,
};
const VECTORS = new URL('../../../test/vectors/', import.meta.url);

/** A vector file's parsed contents; a missing file fails the test that reads it. */
function vectors<T>(file: string): T {
  const url = new URL(file, VECTORS);
  assert.ok(existsSync(url), `test/vectors/${file} is missing`);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

interface SnakeOptions {
  allow_encoded_slash?: boolean;
  allow_backslash?: boolean;
  merge_slashes?: boolean;
}

function options(o: SnakeOptions | undefined): NormalizeOptions {
  return {
    allowEncodedSlash: o?.allow_encoded_slash ?? false,
    allowBackslash: o?.allow_backslash ?? false,
    mergeSlashes: o?.merge_slashes ?? true,
  };
}

/** The error code `fn` throws, or its result. */
function outcome<T>(fn: () => T): T | { code: string } {
  try {
    return fn();
  } catch (e) {
    return { code: (e as { code: string }).code };
  }
}

describe('reference hot path: golden vectors', () => {
  it('gives the answer of every case in normalize.json', () => {
    type Case = { input: string; options?: SnakeOptions; output?: string; error?: string };
    const cases = vectors<Case[]>('normalize.json');
    for (const c of cases) {
      const got = outcome(() => hp.normalizePath(c.input, options(c.options)));
      const want = c.error !== undefined ? { code: c.error } : c.output;
      assert.deepEqual(
        got,
        want,
        `normalize ${JSON.stringify(c.input)} ${JSON.stringify(c.options)}`,
      );
    }
  });

  it('gives the answer of every case in router.json', () => {
    type Request = {
      method: string;
      host: string;
      path: string;
      headers?: Record<string, string>;
      expect: RouteResult;
    };
    type Case = {
      name: string;
      routes: RouteSpec[];
      options?: SnakeOptions;
      requests?: Request[];
      error?: string;
    };
    const cases = vectors<Case[]>('router.json');
    for (const c of cases) {
      const router = outcome(() => hp.compileRouter(c.routes, options(c.options)));
      if (c.error !== undefined) {
        assert.deepEqual(router, { code: c.error }, c.name);
        continue;
      }
      assert.ok('route' in router, `${c.name}: compiles (${JSON.stringify(router)})`);
      for (const r of c.requests ?? []) {
        const values = router.headerNames.map((name) => r.headers?.[name] ?? '');
        const got = router.route(r.method, r.host, r.path, values);
        assert.deepEqual(got, r.expect, `${c.name}: ${r.method} ${r.host} ${r.path}`);
      }
    }
  });

  for (const algorithm of ['ketama', 'maglev'] as const) {
    it(`picks the upstream of every case in ${algorithm}.json`, () => {
      type Pick = { key: string; attempt?: number; upstream: number | null };
      type Set = {
        upstreams: Array<{ name: string; weight: number }>;
        picks: Pick[];
        /** Attempts > 0 (for ketama, nginx's next upstream after a 503). */
        fallbacks?: Pick[];
      };
      const file = vectors<{ sets: Set[] }>(`${algorithm}.json`);
      for (const [i, set] of file.sets.entries()) {
        const ring = hp.compileRing(algorithm, set.upstreams);
        for (const p of [...set.picks, ...(set.fallbacks ?? [])]) {
          const want = p.upstream ?? -1;
          assert.equal(ring.pick(p.key, p.attempt ?? 0), want, `set ${i}: ${JSON.stringify(p)}`);
        }
      }
    });
  }

  it('gives the answer of every case in gcra.json', () => {
    type Step = {
      key: string;
      now_us: number;
      allowed: boolean;
      remaining: number;
      retry_after_us: number;
      reset_after_us: number;
    };
    type Quota = { rate: number; period_us: number; burst: number };
    type Case = { name?: string; quota: Quota; steps?: Step[]; error?: string };
    const cases = vectors<Case[]>('gcra.json');
    for (const [i, c] of cases.entries()) {
      const made = outcome(() => quota(c.quota.rate, c.quota.period_us, c.quota.burst));
      if (c.error !== undefined) {
        assert.deepEqual(made, { code: c.error }, c.name ?? `case ${i}`);
        continue;
      }
      assert.ok('toleranceUs' in made, `${c.name ?? i}: ${JSON.stringify(made)}`);
      const limiter = new MapLimiter(made);
      for (const s of c.steps ?? []) {
        const o = limiter.step(s.key, s.now_us);
        const got = [o.allowed, o.remaining, o.retryAfterUs, o.resetAfterUs];
        const want = [s.allowed, s.remaining, s.retry_after_us, s.reset_after_us];
        assert.deepEqual(got, want, `case ${i}: ${s.key} at ${s.now_us}`);
      }
    }
  });

  it('gives the answer of every case in cidr.json', () => {
    type Case = {
      ranges: string[];
      checks?: Array<{ ip: string; contains: boolean }>;
      error?: string;
    };
    const cases = vectors<Case[]>('cidr.json');
    for (const c of cases) {
      const set = outcome(() => hp.compileCidrs(c.ranges));
      if (c.error !== undefined) {
        assert.deepEqual(set, { code: c.error }, JSON.stringify(c.ranges));
        continue;
      }
      assert.ok('contains' in set, `${JSON.stringify(c.ranges)} parses (${JSON.stringify(set)})`);
      for (const check of c.checks ?? []) {
        assert.equal(set.contains(check.ip), check.contains, `${c.ranges} ∋ ${check.ip}`);
      }
    }
  });

  it('gives the answer of every case in forwarded.json', () => {
    type Case = { trusted: string[]; peer: string; xff: string; forwarded: string; client: string };
    const cases = vectors<Case[]>('forwarded.json');
    for (const c of cases) {
      const trusted = hp.compileCidrs(c.trusted);
      const got = hp.clientAddress(c.peer, c.xff, c.forwarded, trusted);
      assert.equal(got, c.client, JSON.stringify(c));
    }
  });
});

describe('reference hot path: path normalisation (C10)', () => {
  const router = hp.compileRouter(
    [
      { path: { prefix: '/public' }, methods: [], headers: [] },
      { path: { prefix: '/private' }, methods: [], headers: [] },
    ],
    STRICT,
  );
  const forms = [
    '/public/../private/report',
    '/public/%2e%2e/private/report',
    '/public/%2E./private/report',
    '/public/.%2e/private/report',
    '/public/./../private/report',
  ];

  for (const form of forms) {
    it(`routes ${form} by the path it resolves to and forwards that path`, () => {
      assert.deepEqual(router.route('GET', 'example.test', form, []), {
        kind: 'match',
        route: 1,
        path: '/private/report',
        params: {},
      });
    });
  }

  for (const form of ['/public/..;/private/report', '/public/..;jsessionid=1/private/report']) {
    it(`rejects the dot-semicolon segment in ${form}`, () => {
      assert.deepEqual(router.route('GET', 'example.test', form, []), {
        kind: 'bad_path',
        code: 'JETWAY_PATH_DOT_SEMICOLON',
      });
    });
  }

  it('rejects every spelling of a dot-semicolon segment', () => {
    for (const p of ['/a/.;x', '/a/..;', '/a/%2e%2e;x', '/a/..%3bx', '/a/.%3B', '/a/%2E;/b']) {
      assert.deepEqual(
        outcome(() => hp.normalizePath(p, STRICT)),
        {
          code: 'JETWAY_PATH_DOT_SEMICOLON',
        },
        p,
      );
    }
  });

  it('prefers a dot-semicolon error to an above-root error wherever each is', () => {
    assert.deepEqual(
      outcome(() => hp.normalizePath('/../a/..;x', STRICT)),
      {
        code: 'JETWAY_PATH_DOT_SEMICOLON',
      },
    );
  });

  it('prefers the left-most byte error to any segment error', () => {
    const got = outcome(() => hp.normalizePath('/..;/%zz/\\', STRICT));
    assert.deepEqual(got, { code: 'JETWAY_PATH_BAD_PERCENT' });
  });

  it('keeps dot-like segments that are not dot segments', () => {
    for (const p of ['/...', '/.well-known/x', '/a/..b', '/a/.b;c', '/a/b.;']) {
      assert.equal(hp.normalizePath(p, STRICT), p);
    }
  });

  it('refuses to climb above the root in every spelling', () => {
    for (const p of ['/..', '/a/../..', '/%2e%2e/', '/a/./../../b', '/.%2E']) {
      assert.deepEqual(
        outcome(() => hp.normalizePath(p, STRICT)),
        {
          code: 'JETWAY_PATH_ABOVE_ROOT',
        },
        p,
      );
    }
  });

  it('removes dot segments as RFC 3986 5.2.4 does and keeps the trailing slash', () => {
    const cases: Array<[string, string]> = [
      ['/a/b/..', '/a/'],
      ['/a/b/.', '/a/b/'],
      ['/a/./b/../c/', '/a/c/'],
      ['/a/..', '/'],
      ['/.', '/'],
      ['/a/b/', '/a/b/'],
      ['/a//b//', '/a/b/'],
      ['//', '/'],
    ];
    for (const [input, want] of cases) assert.equal(hp.normalizePath(input, STRICT), want, input);
  });

  it('keeps empty segments, and lets .. remove one, when merging is off', () => {
    const keep = { ...STRICT, mergeSlashes: false };
    assert.equal(hp.normalizePath('/a//b', keep), '/a//b');
    assert.equal(hp.normalizePath('/a//../b', keep), '/a/b');
    assert.equal(hp.normalizePath('/a//../b', STRICT), '/b');
  });

  it('decodes unreserved escapes and upper-cases the others', () => {
    assert.equal(
      hp.normalizePath('/%7euser/%41%2d%5F/%3f%c3%a9%20', STRICT),
      '/~user/A-_/%3F%C3%A9%20',
    );
  });

  it('rejects or keeps an encoded slash as the option says', () => {
    assert.deepEqual(
      outcome(() => hp.normalizePath('/a%2fb', STRICT)),
      {
        code: 'JETWAY_PATH_ENCODED_SLASH',
      },
    );
    assert.equal(
      hp.normalizePath('/a%2fb/..%2F', { ...STRICT, allowEncodedSlash: true }),
      '/a%2Fb/..%2F',
    );
  });

  it('rejects or keeps a backslash as the option says', () => {
    for (const p of ['/a\\b', '/a%5cb', '/a%5C..']) {
      assert.deepEqual(
        outcome(() => hp.normalizePath(p, STRICT)),
        { code: 'JETWAY_PATH_BACKSLASH' },
      );
    }
    const lenient = { ...STRICT, allowBackslash: true };
    assert.equal(hp.normalizePath('/a\\..\\b/%5c', lenient), '/a\\..\\b/%5C');
  });

  it('rejects NUL, bad escapes, raw controls, spaces and non-ASCII by code', () => {
    const cases: Array<[string, string]> = [
      ['', 'JETWAY_PATH_NOT_ABSOLUTE'],
      ['a/b', 'JETWAY_PATH_NOT_ABSOLUTE'],
      ['/a%00', 'JETWAY_PATH_NUL'],
      ['/a\u0000', 'JETWAY_PATH_NUL'],
      ['/a%zz', 'JETWAY_PATH_BAD_PERCENT'],
      ['/a%4', 'JETWAY_PATH_BAD_PERCENT'],
      ['/a%', 'JETWAY_PATH_BAD_PERCENT'],
      ['/a b', 'JETWAY_PATH_BAD_BYTE'],
      ['/a\tb', 'JETWAY_PATH_BAD_BYTE'],
      ['/a\u007f', 'JETWAY_PATH_BAD_BYTE'],
      ['/caf\u00e9', 'JETWAY_PATH_BAD_BYTE'],
    ];
    for (const [input, code] of cases) {
      assert.deepEqual(
        outcome(() => hp.normalizePath(input, STRICT)),
        { code },
        JSON.stringify(input),
      );
    }
  });

  it('gives paths in normal form back unchanged, for random paths', () => {
    const alphabet = [
      'a',
      'b',
      '/',
      '/',
      '.',
      '..',
      '%2e',
      '%2F',
      '%41',
      '%7e',
      ';',
      '%3b',
      '~',
      '%20',
    ];
    let seed = 7;
    for (let n = 0; n < 3000; n++) {
      let p = '/';
      for (let k = (n % 12) + 1; k > 0; k--) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        p += alphabet[seed % alphabet.length];
      }
      for (const opts of [
        STRICT,
        { allowEncodedSlash: true, allowBackslash: true, mergeSlashes: false },
      ]) {
        const once = outcome(() => hp.normalizePath(p, opts));
        if (typeof once !== 'string') continue;
        assert.equal(hp.normalizePath(once, opts), once, `${p} -> ${once}`);
        assert.ok(once.length <= p.length, p);
      }
    }
  });
});

describe('reference hot path: router', () => {
  const any = { methods: [], headers: [] as Array<[string, string]> };

  it('prefers an exact path to a template, and a template to a prefix', () => {
    const router = hp.compileRouter(
      [
        { path: { prefix: '/users' }, ...any },
        { path: { template: '/users/:id' }, ...any },
        { path: { exact: '/users/me' }, ...any },
      ],
      STRICT,
    );
    assert.equal(routeOf(router.route('GET', 'h', '/users/me', [])), 2);
    assert.deepEqual(router.route('GET', 'h', '/users/a%20b', []), {
      kind: 'match',
      route: 1,
      path: '/users/a%20b',
      params: { id: 'a b' },
    });
    assert.equal(routeOf(router.route('GET', 'h', '/users/a/b', [])), 0);
    assert.equal(routeOf(router.route('GET', 'h', '/users', [])), 0);
    assert.deepEqual(router.route('GET', 'h', '/usersx', []), { kind: 'not_found' });
  });

  it('ranks templates by literal segments, then by fewer variables, then by order', () => {
    const router = hp.compileRouter(
      [
        { path: { template: '/:a/:b' }, ...any },
        { path: { template: '/files/:name' }, ...any },
        { path: { template: '/files/*rest' }, ...any },
        { path: { template: '/files/:other' }, ...any },
        { path: { template: '/files/x' }, ...any },
      ],
      STRICT,
    );
    assert.equal(routeOf(router.route('GET', 'h', '/files/x', [])), 4);
    assert.deepEqual(router.route('GET', 'h', '/files/y', []), {
      kind: 'match',
      route: 1,
      path: '/files/y',
      params: { name: 'y' },
    });
    assert.deepEqual(router.route('GET', 'h', '/files/x/y%2541', []), {
      kind: 'match',
      route: 2,
      path: '/files/x/y%2541',
      params: { rest: 'x/y%41' },
    });
    assert.deepEqual(router.route('GET', 'h', '/files', []), {
      kind: 'match',
      route: 2,
      path: '/files',
      params: { rest: '' },
    });
    assert.equal(routeOf(router.route('GET', 'h', '/other/x', [])), 0);
    assert.equal(routeOf(router.route('GET', 'h', '/other/', [])), 'not_found');
  });

  it('matches a prefix only at segment boundaries, longest first', () => {
    const router = hp.compileRouter(
      [
        { path: { prefix: '/' }, ...any },
        { path: { prefix: '/api' }, ...any },
        { path: { prefix: '/api/v2/' }, ...any },
      ],
      STRICT,
    );
    const routes = ['/api', '/api/', '/api/x', '/apix', '/api/v2', '/api/v2/x', '/'].map((p) =>
      routeOf(router.route('GET', 'h', p, [])),
    );
    assert.deepEqual(routes, [1, 1, 1, 0, 1, 2, 0]);
  });

  it('answers method_not_allowed with the methods of every route on the path', () => {
    const router = hp.compileRouter(
      [
        { path: { exact: '/orders' }, methods: ['POST'], headers: [] },
        { path: { prefix: '/orders' }, methods: ['GET', 'PUT'], headers: [] },
        { path: { prefix: '/' }, methods: ['GET'], headers: [['x-v', '2']] },
      ],
      STRICT,
    );
    assert.deepEqual(router.route('DELETE', 'h', '/orders', ['']), {
      kind: 'method_not_allowed',
      allow: ['GET', 'POST', 'PUT'],
    });
    assert.equal(routeOf(router.route('GET', 'h', '/orders', [''])), 1);
    assert.equal(routeOf(router.route('GET', 'h', '/x', ['2'])), 2);
    assert.deepEqual(router.route('GET', 'h', '/x', ['']), { kind: 'not_found' });
  });

  it('picks exact host, then the longest wildcard, then any host, ignoring case and port', () => {
    const router = hp.compileRouter(
      [
        { path: { prefix: '/' }, ...any },
        { host: '*.example.test', path: { prefix: '/' }, ...any },
        { host: '*.api.example.test', path: { prefix: '/' }, ...any },
        { host: 'API.example.test', path: { prefix: '/' }, ...any },
      ],
      STRICT,
    );
    const hosts = [
      'api.example.test:8443',
      'v1.api.example.test',
      'www.Example.TEST',
      'example.test',
    ];
    assert.deepEqual(
      hosts.map((h) => routeOf(router.route('GET', h, '/', []))),
      [3, 2, 1, 0],
    );
  });

  it('returns a param named __proto__ as a plain own property', () => {
    const router = hp.compileRouter(
      [{ path: { template: '/:__proto__/*constructor' }, ...any }],
      STRICT,
    );
    const result = router.route('GET', 'h', '/x/y', []);
    assert.ok(result.kind === 'match');
    assert.deepEqual(Object.entries(result.params), [
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
    assert.equal(Object.getPrototypeOf(result.params), Object.prototype);
  });

  it('lists header names once, lower-case, and reads values in that order', () => {
    const router = hp.compileRouter(
      [
        {
          path: { prefix: '/' },
          methods: [],
          headers: [
            ['X-B', '1'],
            ['x-a', '1'],
          ],
        },
        { path: { prefix: '/' }, methods: [], headers: [['x-b', '2']] },
      ],
      STRICT,
    );
    assert.deepEqual(router.headerNames, ['x-b', 'x-a']);
    assert.equal(routeOf(router.route('GET', 'h', '/', ['2', ''])), 1);
    assert.equal(routeOf(router.route('GET', 'h', '/', ['1', '1'])), 0);
  });

  it('rejects a template with a catch-all before its end, and a bad host, by code', () => {
    for (const spec of [
      { path: { template: '/a/*x/b' }, ...any },
      { path: { template: '/a/:x/:x' }, ...any },
      { host: 'a.*.test', path: { prefix: '/' }, ...any },
      { path: { exact: 'relative' }, ...any },
      { path: { prefix: '/a/../b' }, ...any },
      { host: '', path: { prefix: '/' }, ...any },
      { host: 'example.test:8080', path: { prefix: '/' }, ...any },
    ]) {
      assert.deepEqual(
        outcome(() => hp.compileRouter([spec], STRICT)),
        {
          code: 'JETWAY_ROUTE_INVALID',
        },
      );
    }
  });
});

function routeOf(result: RouteResult): number | string {
  return result.kind === 'match' ? result.route : result.kind;
}

describe('reference hot path: rings (C20)', () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `user-${i * 7919}`);
  const pool = (names: string[]) => names.map((name) => ({ name, weight: 1 }));
  const five = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80', '10.0.0.5:80'];

  for (const algorithm of ['ketama', 'maglev'] as const) {
    /** The upstream name each id goes to. */
    const names = (list: string[]) => {
      const ring = hp.compileRing(algorithm, pool(list));
      return ids.map((id) => list[ring.pick(id, 0)]!);
    };

    it(`${algorithm} moves only the keys of a removed upstream`, () => {
      const before = names(five);
      const after = names(five.filter((_, i) => i !== 2));
      const stayed = before.filter((n, i) => n !== five[2] && after[i] === n).length;
      const kept = before.filter((n) => n !== five[2]).length;
      assert.ok(stayed >= kept * 0.99, `${stayed} of ${kept} stayed`);
      assert.ok(before.some((n) => n === five[2]));
    });

    it(`${algorithm} moves no key when the list is only reordered`, () => {
      assert.deepEqual(names([...five].reverse()), names(five));
    });

    it(`${algorithm} moves about a sixth of the keys to an added upstream`, () => {
      const before = names(five);
      const after = names([...five, '10.0.0.6:80']);
      const moved = ids.filter((_, i) => before[i] !== after[i]);
      const toNew = ids.filter((_, i) => before[i] !== after[i] && after[i] === '10.0.0.6:80');
      assert.ok(moved.length >= 120 && moved.length <= 220, `${moved.length} moved`);
      assert.equal(toNew.length, moved.length);
    });

    it(`${algorithm} keeps every share within 25% of even`, () => {
      const counts = new Map<string, number>();
      for (const n of names(five)) counts.set(n, (counts.get(n) ?? 0) + 1);
      for (const [name, count] of counts)
        assert.ok(count >= 150 && count <= 250, `${name}: ${count}`);
    });

    it(`${algorithm} gives distinct fallbacks, then -1 past the last upstream`, () => {
      const ring = hp.compileRing(algorithm, pool(five));
      for (const key of ids.slice(0, 50)) {
        const picks = [0, 1, 2, 3, 4].map((a) => ring.pick(key, a));
        assert.equal(new Set(picks).size, 5, `${key}: ${picks}`);
        assert.equal(ring.pick(key, 5), -1);
      }
    });

    it(`${algorithm} reads attempt as a 32-bit integer, as the bindings do`, () => {
      const ring = hp.compileRing(algorithm, pool(five));
      assert.equal(ring.pick('k', 1.5), ring.pick('k', 1));
      assert.equal(ring.pick('k', Number.NaN), ring.pick('k', 0));
      assert.equal(ring.pick('k', -1), -1);
    });

    it(`${algorithm} never picks an upstream of weight 0`, () => {
      const ring = hp.compileRing(algorithm, [
        { name: 'a:1', weight: 0 },
        { name: 'b:1', weight: 1 },
      ]);
      assert.deepEqual([ring.pick('k', 0), ring.pick('k', 1)], [1, -1]);
      assert.equal(hp.compileRing(algorithm, []).pick('k', 0), -1);
    });
  }

  it('ketama hashes keys with CRC-32 over UTF-8', () => {
    assert.equal(crc32('123456789'), 0xcbf43926);
    assert.equal(crc32(''), 0);
    assert.equal(crc32('\u00e9'), 0x0e048d3e);
    assert.equal(crc32('\u{1f600}'), 0x054db544);
  });

  it('maglev gives weighted upstreams their share of the table within 1%', () => {
    const ring = new MaglevRing([
      { name: 'a:80', weight: 1 },
      { name: 'b:80', weight: 3 },
      { name: 'c:80', weight: 6 },
    ]);
    const shares = ring.shares();
    assert.equal(
      shares.reduce((s, n) => s + n, 0),
      TABLE_SIZE,
    );
    [0.1, 0.3, 0.6].forEach((w, i) => assert.ok(Math.abs(shares[i]! / TABLE_SIZE - w) < 0.01));
  });

  it('maglev computes fmix64 and hash64 as 64-bit BigInt arithmetic does', () => {
    for (const s of ['', 'a', 'user-42', '\u00e9\u{1f600}', '\ud800x', 'x'.repeat(300)]) {
      assert.equal(hash64Value(s), bigHash64(s), JSON.stringify(s));
    }
    let x = 0x0123456789abcdefn;
    for (let i = 0; i < 200; i++) {
      assert.equal(fmix64Value(x), bigFmix64(x), x.toString(16));
      x = (x * 0x9e3779b97f4a7c15n + 1n) & M64;
    }
  });
});

/** The definitions, in BigInt arithmetic. */
const M64 = (1n << 64n) - 1n;
function bigFmix64(x: bigint): bigint {
  x ^= x >> 33n;
  x = (x * 0xff51afd7ed558ccdn) & M64;
  x ^= x >> 33n;
  x = (x * 0xc4ceb9fe1a85ec53n) & M64;
  return x ^ (x >> 33n);
}
function bigHash64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s, 'utf8')) h = ((h ^ BigInt(b)) * 0x100000001b3n) & M64;
  return bigFmix64(h);
}

describe('reference hot path: GCRA quotas (C21)', () => {
  const minute = 60_000_000;

  it('lets no more than the quota through across a minute boundary', () => {
    const limiter = new MapLimiter(quota(5, minute, 5));
    const at = (s: number) => Math.round(s * 1_000_000);
    const first = [1, 2, 3, 4, 5].map(() => limiter.step('key', at(59.5)).allowed);
    const second = [1, 2, 3, 4, 5].map(() => limiter.step('key', at(60.5)));
    assert.deepEqual(first, [true, true, true, true, true]);
    assert.deepEqual(
      second.map((d) => d.allowed),
      [false, false, false, false, false],
    );
    // 5 requests at 59.5 s used the burst; the next slot opens one T (12 s) after 59.5 s.
    assert.equal(second[0]!.retryAfterUs, at(71.5) - at(60.5));
  });

  it('allows a request exactly when retry_after says, not a microsecond earlier', () => {
    const limiter = new MapLimiter(quota(5, minute, 5));
    for (let i = 0; i < 5; i++) limiter.step('k', 0);
    const denied = limiter.step('k', 1000);
    assert.equal(denied.allowed, false);
    assert.equal(limiter.step('k', 1000 + denied.retryAfterUs - 1).allowed, false);
    assert.equal(limiter.step('k', 1000 + denied.retryAfterUs).allowed, true);
  });

  it('counts remaining as the requests that would still pass now', () => {
    const q = quota(5, minute, 5);
    const limiter = new MapLimiter(q);
    const remaining = [0, 1, 2, 3, 4, 5].map(() => limiter.step('k', 0).remaining);
    assert.deepEqual(remaining, [4, 3, 2, 1, 0, 0]);
    assert.deepEqual(gcraStep(q, 0, 0), {
      tat: 12_000_000,
      allowed: true,
      remaining: 4,
      retryAfterUs: 0,
      resetAfterUs: 12_000_000,
    });
  });

  it('sustains one request per emission interval once the burst is spent', () => {
    const limiter = new MapLimiter(quota(10, 1_000_000, 1));
    const passed = Array.from({ length: 100 }, (_, i) => limiter.step('k', i * 50_000).allowed);
    assert.equal(passed.filter(Boolean).length, 50);
  });

  it('reports times in whole milliseconds, rounded up, through the Limiter interface', () => {
    const limiter = hp.limiter('ms', { rate: 3, periodMs: 1000, burst: 1 });
    assert.deepEqual(limiter.check('k', 0), {
      allowed: true,
      remaining: 0,
      retryAfterMs: 0,
      resetMs: 334,
    });
    assert.deepEqual(limiter.check('k', 1), {
      allowed: false,
      remaining: 0,
      retryAfterMs: 334,
      resetMs: 334,
    });
  });

  it('shares buckets per limiter id and starts afresh on a new spec', () => {
    const spec = { rate: 1, periodMs: 1000, burst: 1 };
    assert.equal(hp.limiter('id', spec).check('k', 0).allowed, true);
    assert.equal(hp.limiter('id', spec).check('k', 0).allowed, false);
    assert.equal(hp.limiter('id', { ...spec, burst: 2 }).check('k', 0).allowed, true);
  });

  it('counts in the shared table when given one, so two views share one quota', () => {
    const shared = createHotPathShared({ limiterSlots: 64 });
    const spec = { rate: 5, periodMs: 60_000, burst: 5 };
    const views = [createReferenceHotPath(shared), createReferenceHotPath(shared)];
    const limiters = views.map((view) => view.limiter('shared', spec));
    const passed = Array.from({ length: 10 }, (_, i) => limiters[i % 2]!.check('k', 0).allowed);
    assert.equal(passed.filter(Boolean).length, 5);
    const other = createReferenceHotPath(createHotPathShared({ limiterSlots: 64 }));
    assert.equal(other.limiter('shared', spec).check('k', 0).allowed, true);
  });

  it('forgets keys whose bucket is full again', () => {
    const limiter = new MapLimiter(quota(1, 1_000_000, 1));
    for (let i = 0; i < 5000; i++) limiter.step(`k${i}`, i * 1_000_000);
    assert.ok(limiter.size < 5000, `${limiter.size} keys held`);
    limiter.sweep(5000 * 1_000_000);
    assert.equal(limiter.size, 0);
  });

  it('refuses a quota of zero or of more than one request per microsecond', () => {
    for (const [rate, period, burst] of [
      [0, 1, 1],
      [1, 0, 1],
      [1, 1, 0],
      [2, 1, 1],
      [1.5, 10, 1],
    ]) {
      assert.deepEqual(
        outcome(() => quota(rate!, period!, burst!)),
        { code: 'JETWAY_QUOTA_INVALID' },
      );
    }
  });
});

describe('reference hot path: CIDR sets and forwarded chains (C08)', () => {
  it('parses addresses as Rust std::net does', () => {
    const set = hp.compileCidrs(['0.0.0.0/0', '::/0']);
    const yes = [
      '1.2.3.4',
      '255.255.255.255',
      '::',
      '::1',
      '1::',
      'a:b:c:d:e:f:0:1',
      '::ffff:1.2.3.4',
    ];
    const no = [
      '01.2.3.4',
      '1.2.3',
      '256.1.1.1',
      '1.2.3.4 ',
      '[::1]',
      '::1%eth0',
      '1:2:3:4:5:6:7:8:9',
    ];
    const more = ['1.2.3.4:80', ':::', '1::2::3', '12345::', '::1.2.3.4:5', 'g::', '1.2.3.4::'];
    for (const ip of yes) assert.equal(set.contains(ip), true, ip);
    for (const ip of [...no, ...more]) assert.equal(set.contains(ip), false, ip);
  });

  it('matches IPv4, IPv4-mapped IPv6 and IPv6 against their ranges', () => {
    const set = hp.compileCidrs(['10.0.0.0/8', '192.0.2.10', '2001:db8::/32', '::1/128']);
    const cases: Array<[string, boolean]> = [
      ['10.255.0.1', true],
      ['11.0.0.0', false],
      ['::ffff:10.1.2.3', true],
      ['192.0.2.10', true],
      ['192.0.2.11', false],
      ['2001:db8:ffff::1', true],
      ['2001:db9::', false],
      ['::1', true],
      ['::2', false],
    ];
    for (const [ip, want] of cases) assert.equal(set.contains(ip), want, ip);
  });

  it('rejects a range that is not one, by code', () => {
    for (const range of ['10.0.0.0/33', '::/129', 'example.test', '10.0.0.0/', '1.2.3.4/-1']) {
      assert.deepEqual(
        outcome(() => hp.compileCidrs([range])),
        { code: 'JETWAY_CIDR_INVALID' },
        range,
      );
    }
  });

  const trusted = hp.compileCidrs(['192.0.2.10']);

  it('uses the peer and ignores every forwarding header from an untrusted peer', () => {
    const got = hp.clientAddress('198.51.100.20', '127.0.0.1,10.0.0.5', 'for=127.0.0.1', trusted);
    assert.equal(got, '198.51.100.20');
  });

  it('takes the right-most untrusted address behind a trusted proxy', () => {
    const xff = '203.0.113.7, 198.51.100.9';
    assert.equal(hp.clientAddress('192.0.2.10', xff, '', trusted), '198.51.100.9');
  });

  it('skips trusted hops and falls back to the left-most when all are trusted', () => {
    const set = hp.compileCidrs(['192.0.2.0/24']);
    assert.equal(
      hp.clientAddress('192.0.2.10', '198.51.100.9, 192.0.2.1,192.0.2.2', '', set),
      '198.51.100.9',
    );
    assert.equal(hp.clientAddress('192.0.2.10', '192.0.2.3, 192.0.2.1', '', set), '192.0.2.3');
  });

  it('stops at a malformed entry and returns the last good address', () => {
    const set = hp.compileCidrs(['192.0.2.0/24']);
    const got = (xff: string) => hp.clientAddress('192.0.2.10', xff, '', set);
    assert.equal(got('198.51.100.9, garbage, 192.0.2.1'), '192.0.2.1');
    assert.equal(got('198.51.100.9, 192.0.2.1, unknown'), '192.0.2.10');
  });

  it('skips empty list elements and treats a blank X-Forwarded-For as absent', () => {
    const got = (xff: string, fwd = '') => hp.clientAddress('192.0.2.10', xff, fwd, trusted);
    assert.equal(got(',198.51.100.9 ,, \t'), '198.51.100.9');
    assert.equal(got(' \t', 'for=198.51.100.7'), '198.51.100.7');
  });

  it('strips ports from IPv4 and bracketed IPv6 entries', () => {
    assert.equal(hp.clientAddress('192.0.2.10', '203.0.113.7:4711', '', trusted), '203.0.113.7');
    assert.equal(hp.clientAddress('192.0.2.10', '[2001:db8::7]:4711', '', trusted), '2001:db8::7');
    assert.equal(hp.clientAddress('192.0.2.10', '2001:db8::8', '', trusted), '2001:db8::8');
  });

  it('reads Forwarded for= nodes only when X-Forwarded-For is absent', () => {
    const fwd = 'for=203.0.113.7;proto=https, For="[2001:db8:cafe::17]:4711"';
    assert.equal(hp.clientAddress('192.0.2.10', '', fwd, trusted), '2001:db8:cafe::17');
    assert.equal(hp.clientAddress('192.0.2.10', '198.51.100.9', fwd, trusted), '198.51.100.9');
  });

  it('ends a Forwarded walk at an obfuscated or unknown node', () => {
    const set = hp.compileCidrs(['192.0.2.0/24']);
    const got = (fwd: string) => hp.clientAddress('192.0.2.10', '', fwd, set);
    assert.equal(got('for=203.0.113.7, for=_hidden, for=192.0.2.1'), '192.0.2.1');
    assert.equal(got('for=203.0.113.7, for=unknown'), '192.0.2.10');
    assert.equal(got('for="203.0.113.7:80";by=x, for=192.0.2.1'), '203.0.113.7');
  });
});
