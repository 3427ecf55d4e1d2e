// A bad config is refused by the real CLI before anything listens: exit 1, and a message that
// names the file, the key path, the problem and the value received. `validate` says the same
// without starting anything.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, it } from 'node:test';
import { JETWAY_BIN, REPO_ROOT, runCli, track, writeConfig } from '../helpers/daemon.js';
import { freePort, isListening } from '../helpers/ports.js';

/** A valid config text on the given ports; `edit` turns it into a broken one. */
function yaml(port: number, admin: number, edit: (s: string) => string = (s) => s): string {
  return edit(`workers: 1
listeners: [{ address: 127.0.0.1, port: ${port} }]
admin: { address: 127.0.0.1, port: ${admin} }
clusters:
  - name: orders
    upstreams: [{ address: "127.0.0.1:1" }]
    timeouts: { connect: 2s }
  - name: payments
    upstreams: [{ address: "127.0.0.1:2" }]
routes:
  - match: { prefix: /orders }
    cluster: orders
`);
}

/** Runs `jetway start` and watches both ports until it exits; reports any moment they listened. */
async function startRefused(edit: (s: string) => string) {
  const port = await freePort();
  const admin = await freePort();
  const file = writeConfig(yaml(port, admin, edit));
  const child = track(
    spawn(process.execPath, [JETWAY_BIN, 'start', '--config', file], { cwd: REPO_ROOT }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let listened = false;
  let running = true;
  void exited.then(() => (running = false));
  while (running) {
    if ((await isListening(port)) || (await isListening(admin))) listened = true;
  }
  return { code: await exited, stdout, stderr, file, listened };
}

describe('config refusal', { timeout: 60_000 }, () => {
  it(
    'refuses an unknown cluster, naming file, key path and the known names',
    { timeout: 15_000 },
    async () => {
      const r = await startRefused((s) => s.replace('cluster: orders', 'cluster: paymnts'));
      assert.equal(r.code, 1);
      assert.equal(r.listened, false, 'something listened before the refusal');
      assert.ok(r.stderr.includes(r.file), r.stderr);
      assert.match(
        r.stderr,
        /routes\[0\]\.cluster: unknown cluster "paymnts" \(known: orders, payments\)/,
      );
    },
  );

  it(
    'refuses a bad duration, naming the key path and the value received',
    { timeout: 15_000 },
    async () => {
      const r = await startRefused((s) => s.replace('connect: 2s', 'connect: "2 seconds"'));
      assert.equal(r.code, 1);
      assert.equal(r.listened, false);
      assert.match(r.stderr, /clusters\[0\]\.timeouts\.connect: .*"2 seconds"/);
      assert.match(r.stderr, /250ms|2s/, 'the message says what is accepted');
    },
  );

  it('refuses an unknown key, naming it', { timeout: 15_000 }, async () => {
    const r = await startRefused((s) => s.replace('    timeouts:', '    timeoutz:'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /clusters\[0\].*"timeoutz"/);
  });

  it('refuses broken YAML, naming the file and the line', { timeout: 15_000 }, async () => {
    const r = await startRefused((s) => s.replace('listeners: [{', 'listeners: [[{'));
    assert.equal(r.code, 1);
    assert.equal(r.listened, false);
    assert.ok(r.stderr.includes(r.file));
    assert.match(r.stderr, /line \d+/);
  });

  it('reports every problem of a file, one line each', { timeout: 15_000 }, async () => {
    const r = await startRefused((s) =>
      s.replace('cluster: orders', 'cluster: nope').replace('connect: 2s', 'connect: soon'),
    );
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.some((l) => /routes\[0\]\.cluster/.test(l)));
    assert.ok(lines.some((l) => /clusters\[0\]\.timeouts\.connect/.test(l)));
    assert.ok(lines.length <= 4, `the whole file echoed? ${r.stderr}`);
  });

  it('refuses a missing file, naming it', { timeout: 15_000 }, async () => {
    const r = await runCli(['start', '--config', '/nonexistent/jetway.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/nonexistent\/jetway\.yaml/);
  });

  it(
    'exits 1 with a message when the listener port is taken, leaving nothing listening',
    { timeout: 15_000 },
    async () => {
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
      const taken = (blocker.address() as net.AddressInfo).port;
      try {
        const admin = await freePort();
        const file = writeConfig(yaml(taken, admin));
        const r = await runCli(['start', '--config', file]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(String(taken)));
        assert.equal(await isListening(admin), false);
      } finally {
        blocker.close();
      }
    },
  );

  it(
    'exits 1, not abort, when the admin port is taken, leaving nothing listening',
    { timeout: 20_000 },
    async () => {
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
      const taken = (blocker.address() as net.AddressInfo).port;
      try {
        const listen = await freePort();
        const r = await runCli(['start', '--config', writeConfig(yaml(listen, taken))]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`admin listener 127\\.0\\.0\\.1:${taken}: EADDRINUSE`));
        assert.equal(await isListening(listen), false);
      } finally {
        blocker.close();
      }
    },
  );

  it(
    'validates a good file with exit 0 and "ok", a bad one with exit 1',
    { timeout: 15_000 },
    async () => {
      const good = writeConfig(yaml(8080, 9901));
      const ok = await runCli(['validate', '--config', good]);
      assert.equal(ok.code, 0);
      assert.match(ok.stdout, /\bok\b/);
      const bad = writeConfig(yaml(8080, 9901).replace('cluster: orders', 'cluster: x'));
      const refused = await runCli(['validate', '-c', bad]);
      assert.equal(refused.code, 1);
      assert.ok(refused.stderr.startsWith(`${bad}: invalid config`), refused.stderr);
      assert.match(refused.stderr, /\n {2}routes\[0\]\.cluster: unknown cluster "x"/);
    },
  );
});
