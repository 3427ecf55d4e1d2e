// Inputs the golden vectors do not cover but the bindings handle specially: text longer than
// the native stack buffer (256 bytes), and text that is not ASCII (the WASM glue's slow path,
// UTF-8 in both bindings). Every backend must give the same answer as the others.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createHotPath } from '../../ts/hotpath/load.js';
import { createHotPathShared } from '../../ts/hotpath/shared.js';
import type { Backend, HotPath, RouteSpec } from '../../ts/hotpath/types.js';

const shared = createHotPathShared();
const DEFAULTS = { allowEncodedSlash: false, allowBackslash: false, mergeSlashes: true };
const backends: HotPath[] = [];
for (const name of ['native', 'wasm', 'ts'] as Backend[]) {
  try {
    backends.push(createHotPath(name, shared));
  } catch {
    // hotpath-conformance.test.ts reports a backend that does not load.
  }
}

/** Asserts that `ask` gives the same answer (or error code) on every backend. */
function agree(what: string, ask: (hp: HotPath) => unknown): void {
  const answers = backends.map((hp) => {
    try {
      return ask(hp);
    } catch (err) {
      return { code: (err as { code?: string }).code };
    }
  });
  for (const [i, answer] of answers.entries()) {
    assert.deepEqual(
      answer,
      answers[0],
      `${what}: ${backends[i]!.backend} vs ${backends[0]!.backend}`,
    );
  }
}

const long = '/' + 'segment/'.repeat(60) + 'end';
const routes: RouteSpec[] = [
  { path: { template: '/u/:name/*rest' }, methods: [], headers: [] },
  { path: { prefix: '/' }, methods: [], headers: [] },
];

describe('backends agree', () => {
  it('has at least two backends to compare', () => assert.ok(backends.length >= 2));

  it('on paths longer than 256 bytes, canonical and not', () => {
    agree('long canonical', (hp) => hp.normalizePath(long, DEFAULTS));
    agree('long rewritten', (hp) => hp.normalizePath(long + '/./x/../y', DEFAULTS));
    agree('long route', (hp) => hp.compileRouter(routes, DEFAULTS).route('GET', 'h', long, []));
  });

  it('on text that is not ASCII', () => {
    agree('raw é in a path', (hp) => hp.normalizePath('/caf\u00e9', DEFAULTS));
    const path = '/u/%C3%A9t%C3%A9/%E6%97%A5/x';
    agree('decoded parameters', (hp) =>
      hp.compileRouter(routes, DEFAULTS).route('GET', 'h', path, []),
    );
    agree('host', (hp) =>
      hp.compileRouter(routes, DEFAULTS).route('GET', 'b\u00fccher.de', '/', []),
    );
  });

  it('on ring keys that are long or not ASCII', () => {
    const upstreams = [1, 2, 3, 4].map((i) => ({ name: `10.0.0.${i}:80`, weight: i }));
    const keys = ['\u00e9', '\u65e5\u672c', 'k'.repeat(1000), '\ud83d\ude00', 'lone \ud800'];
    for (const algorithm of ['ketama', 'maglev'] as const) {
      agree(algorithm, (hp) => {
        const ring = hp.compileRing(algorithm, upstreams);
        return keys.flatMap((key) => [0, 1, 2].map((attempt) => ring.pick(key, attempt)));
      });
    }
  });

  it('on forwarded chains longer than 256 bytes', () => {
    const xff = Array.from({ length: 40 }, (_, i) => `10.0.${i}.1`).join(', ');
    agree('long xff', (hp) =>
      hp.clientAddress('10.9.9.9', `203.0.113.5, ${xff}`, '', hp.compileCidrs(['10.0.0.0/8'])),
    );
  });
});
