import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTENDER_IMPLS } from '../../bench/contenders/index.js';
import {
  fastGateway,
  fastifyHttpProxy,
  httpProxy,
  missingPackage,
  nodeProxy,
  nodeProxySettings,
  nodeProxyUnsupported,
} from '../../bench/contenders/node-proxies/index.js';
import { checkSettings, roundRobin } from '../../bench/contenders/node-proxies/workers.js';
import { SCENARIOS } from '../../bench/scenarios.js';

const NODE_PROXIES = [httpProxy, fastGateway, fastifyHttpProxy];

describe('bench Node.js proxy contenders', () => {
  it('are known to the runner by their own names', () => {
    for (const c of NODE_PROXIES) assert.equal(CONTENDER_IMPLS[c.name], c);
  });

  it('say which package is missing and how to install it', () => {
    const absent = nodeProxy({
      name: 'http-proxy',
      library: 'http-proxy',
      packages: ['node:http', 'jetway-bench-no-such-package'],
      script: 'http-proxy.js',
    });
    assert.equal(
      absent.unavailable(),
      'jetway-bench-no-such-package is not installed: run npm install',
    );
  });

  it('report the first package that does not resolve', () => {
    const installed = new Set(['a', 'c']);
    const resolve = (name: string): string => {
      if (!installed.has(name)) throw new Error(`cannot find ${name}`);
      return `/node_modules/${name}`;
    };
    assert.equal(missingPackage(['a', 'b', 'c', 'd'], resolve), 'b');
    assert.equal(missingPackage(['a', 'c'], resolve), null);
  });

  it('run every pass-through scenario and skip quota and hashing ones, saying why', () => {
    for (const s of SCENARIOS.filter((s) => s.kind === 'load')) {
      const featured = s.route.rateLimit !== undefined || s.route.consistentHash !== undefined;
      for (const c of NODE_PROXIES) {
        const why = c.unsupported?.(s.route) ?? null;
        assert.equal(why !== null, featured, `${c.name} in ${s.name}: ${why}`);
      }
    }
    const quota = { rateLimit: { rate: 10, burst: 10 } };
    assert.equal(
      nodeProxyUnsupported('http-proxy', quota),
      'http-proxy has no per-client quota of its own',
    );
    const ring = { consistentHash: { header: 'x-user-id' } };
    assert.equal(
      nodeProxyUnsupported('@fastify/http-proxy', ring),
      '@fastify/http-proxy has no consistent-hash selection policy',
    );
  });

  it('leave nginx, HAProxy and Jetway serving every route shape', () => {
    for (const name of ['direct', 'jetway', 'nginx', 'haproxy'] as const) {
      assert.equal(CONTENDER_IMPLS[name].unsupported, undefined, name);
    }
  });

  it('write the harness input into their settings, upstreams and sizes unchanged', () => {
    const settings = nodeProxySettings({
      dir: '/tmp/x',
      port: 18080,
      upstreams: ['127.0.0.1:3001', '127.0.0.1:3002'],
      workers: 2,
      connections: 300,
      route: {},
      probePath: '/small',
    });
    const expected = {
      port: 18080,
      upstreams: ['127.0.0.1:3001', '127.0.0.1:3002'],
      workers: 2,
      connections: 300,
    };
    assert.deepEqual(settings, expected);
    assert.deepEqual(checkSettings(JSON.parse(JSON.stringify(settings)), 's.json'), expected);
  });
});

describe('bench Node.js proxy scripts', () => {
  const good = { port: 8080, upstreams: ['127.0.0.1:3001'], workers: 1, connections: 64 };

  it('refuse settings that name the key and the value they cannot use', () => {
    assert.throws(() => checkSettings({ ...good, port: 0 }, 's.json'), {
      code: 'BENCH_NODE_PROXY_SETTINGS',
      message: 's.json: port: not usable: 0',
    });
    assert.throws(
      () => checkSettings({ ...good, upstreams: [] }, 's.json'),
      /upstreams: not usable: \[\]/,
    );
    assert.throws(
      () => checkSettings({ ...good, upstreams: ['http://127.0.0.1:3001'] }, 's.json'),
      /upstreams: not usable/,
    );
    assert.throws(
      () => checkSettings({ ...good, workers: 1.5 }, 's.json'),
      /workers: not usable: 1.5/,
    );
    assert.throws(() => checkSettings(null, 's.json'), /\(top level\): not usable: null/);
  });

  it('hand out upstream origins in turn, from the first', () => {
    const next = roundRobin(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3']);
    const order = Array.from({ length: 7 }, () => next());
    assert.deepEqual(order, [
      'http://127.0.0.1:1',
      'http://127.0.0.1:2',
      'http://127.0.0.1:3',
      'http://127.0.0.1:1',
      'http://127.0.0.1:2',
      'http://127.0.0.1:3',
      'http://127.0.0.1:1',
    ]);
    const one = roundRobin(['127.0.0.1:9']);
    assert.deepEqual([one(), one()], ['http://127.0.0.1:9', 'http://127.0.0.1:9']);
  });
});
