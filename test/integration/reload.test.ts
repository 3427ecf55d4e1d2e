// Reloading the config while serving (POST /reload, as SIGHUP does): routes and clusters change
// at once; a bad file is refused with its problems and the running config kept; what needs a
// restart (listeners, worker count, admin) is kept and named in one warning, and only while
// the file differs from what the daemon started with.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { NO_PASSIVE, cluster, route } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { startUpstream, type ScriptedUpstream } from '../helpers/upstream.js';
import { stopAll } from '../helpers/wait.js';

type Config = Record<string, unknown> & { routes: Array<Record<string, unknown>> };

describe('reload', { timeout: 60_000 }, () => {
  let u: ScriptedUpstream;
  let jw: Daemon;
  let original: Config;

  before(async () => {
    u = await startUpstream({ name: 'u' });
    jw = await startDaemon({
      clusters: [cluster('api', [u], { health: NO_PASSIVE })],
      routes: [route('api', { prefix: '/a' })],
    });
    original = JSON.parse(readFileSync(jw.configFile, 'utf8')) as Config;
  });

  after(() => stopAll(jw, u));

  /** Writes `config` over the daemon's file and asks it to reload; the admin answer. */
  async function reload(config: Config | string): Promise<{ status: number; text: string }> {
    writeFileSync(jw.configFile, typeof config === 'string' ? config : JSON.stringify(config));
    const res = await fetch(`${jw.adminOrigin}/reload`, {
      method: 'POST',
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, text: await res.text() };
  }

  const status = async (path: string): Promise<number> =>
    (await fetch(`${jw.origin}${path}`, { signal: AbortSignal.timeout(3000) })).status;

  const restartWarnings = () =>
    jw.logs.filter((l) => /apply at the next restart/.test(l.msg ?? ''));

  it('applies new routes at once', async () => {
    assert.equal(await status('/a/x'), 200);
    const moved = { ...original, routes: [route('api', { prefix: '/b' })] };
    assert.deepEqual(await reload(moved), { status: 200, text: 'reloaded\n' });
    assert.equal(await status('/b/x'), 200);
    assert.equal(await status('/a/x'), 404);
    assert.deepEqual(restartWarnings(), []);
  });

  it('refuses a bad file with its problems and keeps serving the running config', async () => {
    const bad = await reload({ ...original, routes: [route('api', { prefix: '/c' })], bogus: 1 });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /\(top level\): unknown key "bogus" \(accepted: workers, /);
    assert.equal(await status('/b/x'), 200);
    assert.equal(await status('/c/x'), 404);
    const refused = await jw.waitForLog((l) => l.msg === 'reload refused');
    assert.equal(refused.file, jw.configFile);
  });

  it('names the keys that need a restart, and only while they differ from the start', async () => {
    const listeners = original.listeners as Array<{ port: number }>;
    const changed = {
      ...original,
      workers: 2,
      listeners: [{ ...listeners[0], port: listeners[0].port + 1 }],
    };
    assert.equal((await reload(changed)).status, 200);
    const warned = await jw.waitForLog((l) => /apply at the next restart/.test(l.msg ?? ''));
    assert.deepEqual(warned.keys, ['listeners', 'workers']);
    // Still served where it started, with the routes of the new file.
    assert.equal(await status('/a/x'), 200);

    // Back to what is running: nothing to warn about.
    const before = restartWarnings().length;
    assert.equal((await reload(original)).status, 200);
    assert.equal(restartWarnings().length, before);
  });
});
