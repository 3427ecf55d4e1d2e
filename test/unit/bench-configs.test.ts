import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { haproxyConfig } from '../../bench/contenders/haproxy.js';
import { BENCH_PIPELINING, jetwayConfig } from '../../bench/contenders/jetway.js';
import { nginxHeaderVariable, nginxProxyConfig } from '../../bench/contenders/nginx.js';
import type { ContenderInput } from '../../bench/contenders/types.js';
import { commandLine } from '../../bench/process.js';
import { findBinary } from '../../bench/tools.js';
import { upstreamConfig } from '../../bench/upstream/nginx-upstream.js';
import { parseConfig } from '../../ts/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-configs-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function input(
  route: ContenderInput['route'] = {},
  upstreams = ['127.0.0.1:3001'],
): ContenderInput {
  return { dir, port: 18080, upstreams, workers: 2, connections: 300, route, probePath: '/small' };
}

const hashed = input({ consistentHash: { header: 'x-user-id' } }, [
  '127.0.0.1:3001',
  '127.0.0.1:3002',
]);
const limited = input({ rateLimit: { rate: 1000, burst: 50 } });

const nginxBin = findBinary('nginx');
const haproxyBin = findBinary('haproxy');

/** Runs nginx's own config test on `text`; returns its exit status and output. */
function nginxTest(text: string, name: string): { status: number | null; out: string } {
  const conf = join(dir, name);
  writeFileSync(conf, text);
  const args = ['-t', '-p', dir, '-c', conf, '-e', join(dir, 'error.log'), '-g', 'daemon off;'];
  const r = spawnSync(nginxBin as string, args, { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('nginx contender config', () => {
  it('keeps upstream connections alive: HTTP/1.1, an empty Connection header, keepalive', () => {
    const text = nginxProxyConfig(input());
    assert.match(text, /proxy_http_version 1\.1;/);
    assert.match(text, /proxy_set_header Connection "";/);
    assert.match(text, /upstream bench \{[^}]*keepalive 300;/s);
  });

  it('raises keepalive_requests both ways so no client reconnects mid-run', () => {
    const text = nginxProxyConfig(input());
    assert.equal(text.match(/keepalive_requests 100000000;/g)?.length, 2);
  });

  it('runs the same worker count as the other contenders', () => {
    assert.match(nginxProxyConfig(input()), /^worker_processes 2;$/m);
  });

  it('hashes the scenario header on a consistent ring and limits by client address', () => {
    assert.equal(nginxHeaderVariable('X-User-Id'), '$http_x_user_id');
    assert.match(nginxProxyConfig(hashed), /hash \$http_x_user_id consistent;/);
    assert.match(
      nginxProxyConfig(limited),
      /limit_req_zone \$binary_remote_addr zone=bench:1m rate=1000r\/s;/,
    );
    assert.match(nginxProxyConfig(limited), /limit_req zone=bench burst=50 nodelay;/);
  });

  it('runs as one process, without a master, under a launcher that follows no fork', () => {
    const launched = { ...input(), launcher: { prefix: ['valgrind'], readyTimeoutMs: 1 } };
    const text = nginxProxyConfig(launched);
    assert.match(text, /^master_process off;$/m);
    assert.doesNotMatch(text, /worker_processes/);
    assert.doesNotMatch(nginxProxyConfig(input()), /master_process/);
  });

  it(
    'passes nginx -t for every route shape',
    { skip: nginxBin === null && 'nginx not installed' },
    () => {
      const launched = { ...input(), launcher: { prefix: ['valgrind'], readyTimeoutMs: 1 } };
      for (const [i, shape] of [input(), hashed, limited, launched].entries()) {
        const r = nginxTest(nginxProxyConfig(shape), `proxy-${i}.conf`);
        assert.equal(r.status, 0, r.out);
      }
    },
  );
});

describe('contender command lines', () => {
  it('runs a command as it is when neither pinned nor launched', () => {
    assert.deepEqual(commandLine('nginx', ['-c', 'x'], {}), ['nginx', '-c', 'x']);
  });

  it('puts taskset first, which execs the launcher, which runs the command in its process', () => {
    const opts = { cpus: '0', prefix: ['valgrind', '--tool=callgrind'] };
    assert.deepEqual(commandLine('haproxy', ['-db'], opts), [
      ...['taskset', '-c', '0', 'valgrind', '--tool=callgrind'],
      ...['haproxy', '-db'],
    ]);
  });
});

describe('upstream config', () => {
  it(
    'passes nginx -t with several listeners',
    { skip: nginxBin === null && 'nginx not installed' },
    () => {
      const r = nginxTest(
        upstreamConfig({ prefix: dir, ports: [18101, 18102], workers: 1 }),
        'up.conf',
      );
      assert.equal(r.status, 0, r.out);
    },
  );

  it('answers /small from memory with the 14-byte body', () => {
    const text = upstreamConfig({ prefix: dir, ports: [18101], workers: 1 });
    assert.match(text, /location = \/small \{ return 200 "hello, jetway\\n"; \}/);
  });
});

describe('HAProxy contender config', () => {
  it('runs as many threads as the other contenders have workers', () => {
    assert.match(haproxyConfig(input()), /^ {2}nbthread 2$/m);
  });

  it('balances on the scenario header with a consistent hash', () => {
    const text = haproxyConfig(hashed);
    assert.match(text, /balance hdr\(x-user-id\)\n {2}hash-type consistent/);
    assert.match(text, /server u1 127\.0\.0\.1:3002/);
  });

  it('tracks the request rate per client address only when the route has a quota', () => {
    assert.doesNotMatch(haproxyConfig(input()), /track-sc0/);
    assert.match(haproxyConfig(limited), /track-sc0 src table bench_quota/);
    assert.match(haproxyConfig(limited), /deny_status 429 if \{ sc_http_req_rate\(0\) gt 50 \}/);
  });

  it(
    'passes haproxy -c for every route shape',
    { skip: haproxyBin === null && 'haproxy not installed' },
    () => {
      for (const [i, shape] of [input(), hashed, limited].entries()) {
        const conf = join(dir, `haproxy-${i}.cfg`);
        writeFileSync(conf, haproxyConfig(shape));
        const r = spawnSync(haproxyBin as string, ['-c', '-f', conf], {
          encoding: 'utf8',
          timeout: 10_000,
        });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      }
    },
  );
});

describe('Jetway contender config', () => {
  it('is accepted by the Jetway config schema for every route shape', () => {
    for (const shape of [input(), hashed, limited]) {
      const cfg = parseConfig(jetwayConfig(shape, 19901), 'bench.yaml');
      assert.equal(cfg.workers, 2);
      assert.equal(cfg.admin.port, 19901);
      assert.equal(cfg.log.access, false);
    }
  });

  it('sizes the upstream pool to the downstream connections', () => {
    const cfg = parseConfig(jetwayConfig(input(), 19901));
    assert.equal(cfg.clusters[0].pool.connections, 300);
  });

  it('pipelines only for jetway-pipelined, and names the client for jetway-undici', () => {
    const plain = parseConfig(jetwayConfig(input(), 19901)).clusters[0].pool;
    assert.deepEqual([plain.client, plain.pipelining], ['jetway', 1]);
    const own = { client: 'jetway' as const, pipelining: BENCH_PIPELINING };
    const piped = parseConfig(jetwayConfig(input(), 19901, own)).clusters[0].pool;
    assert.deepEqual([piped.client, piped.pipelining], ['jetway', BENCH_PIPELINING]);
    const undici = { client: 'undici' as const, pipelining: 1 };
    assert.equal(
      parseConfig(jetwayConfig(input(), 19901, undici)).clusters[0].pool.client,
      'undici',
    );
  });

  it('uses a ketama ring on the scenario header and a client-IP quota when asked', () => {
    const ring = parseConfig(jetwayConfig(hashed, 19901)).clusters[0];
    assert.equal(ring.policy, 'consistent_hash');
    assert.deepEqual(ring.hash, { key: 'header:x-user-id', algorithm: 'ketama' });
    assert.equal(ring.upstreams.length, 2);
    const quota = parseConfig(jetwayConfig(limited, 19901)).routes[0].rate_limit;
    assert.deepEqual(quota, { rate: 1000, period: 1000, burst: 50, key: 'client_ip' });
  });
});
