import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, keyPath, loadConfig, parseConfig } from '../../ts/config/load.js';

const MINIMAL = `
listeners: [{ port: 8080 }]
clusters:
  - name: orders
    upstreams: [{ address: "127.0.0.1:3001" }]
  - name: payments
    upstreams: [{ address: "127.0.0.1:3002" }]
routes:
  - match: { prefix: /orders }
    cluster: orders
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, 'jetway.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'JETWAY_CONFIG_INVALID');
    assert.match(err.message, /^jetway\.yaml: invalid config/);
    return err.problems;
  }
  assert.fail('config was accepted');
}

describe('config', () => {
  it('fills every default of a minimal file', () => {
    const c = parseConfig(MINIMAL);
    assert.equal(c.workers, 0);
    assert.deepEqual(c.admin, { address: '127.0.0.1', port: 9901 });
    assert.equal(c.listeners[0].address, '127.0.0.1');
    assert.equal(c.forwarded_for, 'replace');
    assert.deepEqual(c.path, {
      allow_encoded_slash: false,
      allow_backslash: false,
      merge_slashes: true,
    });
    const cluster = c.clusters[0];
    assert.equal(cluster.policy, 'round_robin');
    assert.deepEqual(cluster.hash, { key: 'client_ip', algorithm: 'ketama' });
    assert.equal(cluster.upstreams[0].weight, 1);
    assert.deepEqual(cluster.timeouts, { connect: 5000, header: 30_000, idle: 30_000, total: 0 });
    assert.deepEqual(cluster.health.passive, {
      max_failures: 5,
      count_5xx: true,
      eject_time: 30_000,
    });
    assert.equal(cluster.health.active, undefined);
    assert.equal(cluster.retries, 1);
    assert.equal(c.shutdown_timeout, 10_000);
  });

  it('reads durations as milliseconds or with a unit', () => {
    const c = parseConfig(
      MINIMAL.replace(
        'upstreams: [{ address: "127.0.0.1:3001" }]',
        'upstreams: [{ address: "127.0.0.1:3001" }]\n' +
          '    timeouts: { connect: 250ms, header: 2s, idle: 1m, total: 1500 }',
      ),
    );
    assert.deepEqual(c.clusters[0].timeouts, {
      connect: 250,
      header: 2000,
      idle: 60_000,
      total: 1500,
    });
  });

  it('names the route, the unknown cluster and the known ones', () => {
    const p = problems(MINIMAL.replace('cluster: orders', 'cluster: paymnts'));
    assert.deepEqual(p, [
      'routes[0].cluster: unknown cluster "paymnts" (known: orders, payments) (got "paymnts")',
    ]);
  });

  it('names the key path and the value of a bad enum', () => {
    const [p] = problems(MINIMAL.replace('- name: orders', '- name: orders\n    policy: fastest'));
    assert.match(p, /^clusters\[0\]\.policy: .*round_robin.* \(got "fastest"\)$/);
  });

  it('refuses a bad duration with what it accepts', () => {
    const [p] = problems(MINIMAL.replace('port: 8080 }]', 'port: 8080 }]\nshutdown_timeout: soon'));
    assert.equal(
      p,
      'shutdown_timeout: not a duration (accepted: 250ms, 2s, 1m, 1h, or ms) (got "soon")',
    );
  });

  it('refuses an unknown key instead of ignoring it, with the keys accepted there', () => {
    const [p] = problems(MINIMAL.replace('listeners:', 'listners: []\nlisteners:'));
    assert.equal(
      p,
      '(top level): unknown key "listners" (accepted: workers, listeners, admin, ' +
        'trusted_proxies, forwarded_for, path, limits, shutdown_timeout, log, clusters, routes)',
    );
    const nested = problems(
      MINIMAL.replace(
        '[{ address: "127.0.0.1:3001" }]',
        '[{ address: "127.0.0.1:3001", wieght: 2 }]',
      ).replace('listeners:', 'admin: { adress: 127.0.0.1 }\nlisteners:'),
    );
    assert.deepEqual(nested.sort(), [
      'admin: unknown key "adress" (accepted: address, port)',
      'clusters[0].upstreams[0]: unknown key "wieght" (accepted: address, weight)',
    ]);
  });

  it('refuses an upstream port outside 1-65535', () => {
    for (const port of ['0', '99999']) {
      const [p] = problems(MINIMAL.replace('127.0.0.1:3001', `127.0.0.1:${port}`));
      assert.equal(
        p,
        'clusters[0].upstreams[0].address: port out of range (accepted: 1 to 65535) ' +
          `(got "127.0.0.1:${port}")`,
      );
    }
  });

  it('refuses a listener or admin address that is not an IP address', () => {
    const p = problems(
      MINIMAL.replace('[{ port: 8080 }]', '[{ port: 8080, address: 999.1.1.1 }]').replace(
        'listeners:',
        'admin: { address: not-an-ip }\nlisteners:',
      ),
    );
    const accepted = 'not an IP address (accepted: 127.0.0.1, 0.0.0.0, ::1, ::)';
    assert.deepEqual(p.sort(), [
      `admin.address: ${accepted} (got "not-an-ip")`,
      `listeners[0].address: ${accepted} (got "999.1.1.1")`,
    ]);
    assert.equal(
      parseConfig(MINIMAL.replace('port: 8080', 'port: 8080, address: "::"')).listeners[0].address,
      '::',
    );
  });

  it('refuses two path kinds on one route', () => {
    const [p] = problems(MINIMAL.replace('{ prefix: /orders }', '{ prefix: /orders, path: /x }'));
    assert.match(p, /^routes\[0\]\.match: path, prefix and template are exclusive/);
  });

  it('refuses a duplicate cluster name', () => {
    const [p] = problems(MINIMAL.replace('name: payments', 'name: orders'));
    assert.equal(p, 'clusters[1].name: duplicate cluster "orders" (got "orders")');
  });

  it('refuses a duplicate YAML key with its line', () => {
    const [p] = problems(MINIMAL.replace('listeners:', 'workers: 1\nworkers: 2\nlisteners:'));
    assert.match(p, /^line 3: Map keys must be unique/);
  });

  it('refuses a malformed upstream address', () => {
    const [p] = problems(MINIMAL.replace('"127.0.0.1:3001"', '"http://127.0.0.1"'));
    assert.equal(
      p,
      'clusters[0].upstreams[0].address: not host:port (accepted: 127.0.0.1:3000) ' +
        '(got "http://127.0.0.1")',
    );
  });

  it('refuses what only compiling shows: bad CIDR ranges and route templates', () => {
    const p = problems(
      MINIMAL.replace('listeners:', 'trusted_proxies: [10.0.0.0/33]\nlisteners:').replace(
        '{ prefix: /orders }',
        '{ template: /u/:id/*rest/x }',
      ),
    );
    assert.deepEqual(p, [
      'trusted_proxies[0]: "10.0.0.0/33": bad prefix length',
      'routes[0].match.template: "*" only as the last segment in "/u/:id/*rest/x"',
    ]);
  });

  it('refuses two listeners, or a listener and the admin listener, on one port', () => {
    const p = problems(
      MINIMAL.replace(
        '[{ port: 8080 }]',
        '[{ port: 8080 }, { port: 8080 }]\nadmin: { port: 8080 }',
      ),
    );
    assert.deepEqual(p, [
      'listeners[1]: 127.0.0.1:8080 is already used by listeners[0]',
      'admin: 127.0.0.1:8080 is already used by listeners[0]',
    ]);
  });

  it('says when the file cannot be read, and not that it is invalid', () => {
    assert.throws(
      () => loadConfig('/nonexistent/jetway.yaml'),
      (err: ConfigError) =>
        err.code === 'JETWAY_CONFIG_INVALID' &&
        err.message.startsWith('/nonexistent/jetway.yaml: cannot read config\n') &&
        err.problems[0] === 'cannot read the file: ENOENT: no such file or directory',
    );
  });

  it('says what range a number must be in, and that it must be whole', () => {
    const p = problems(
      MINIMAL.replace('port: 8080', 'port: 70000')
        .replace('listeners:', 'workers: 1.5\nlisteners:')
        .replace('[{ address: "127.0.0.1:3001" }]', '[{ address: "127.0.0.1:3001", weight: 0 }]'),
    );
    assert.deepEqual(p.sort(), [
      'clusters[0].upstreams[0].weight: too small (accepted: at least 1) (got 0)',
      'listeners[0].port: too large (accepted: at most 65535) (got 70000)',
      'workers: not a whole number (accepted: whole numbers) (got 1.5)',
    ]);
  });

  it('accepts the bundled demo config', () => {
    const file = fileURLToPath(new URL('../../../examples/demo.yaml', import.meta.url));
    const c = parseConfig(readFileSync(file, 'utf8'), file);
    assert.equal(c.listeners[0].port, 8080);
    assert.equal(c.admin.port, 9901);
  });

  it('writes key paths the way the docs do', () => {
    assert.equal(keyPath(['routes', 3, 'match', 'host']), 'routes[3].match.host');
    assert.equal(keyPath([]), '(top level)');
  });
});
