// Active health checks on a fake clock with scripted probes. The C19 steps: a blip never
// flips an upstream, three failures take it out, two good probes bring it back, and each flip
// is logged once.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createPolicy, StatesView } from '../../ts/balance/index.js';
import { configSchema, type ClusterConfig } from '../../ts/config/schema.js';
import { ActiveHealthChecker } from '../../ts/health/active.js';
import { UpstreamStates } from '../../ts/health/state.js';
import { FakeTimer } from '../helpers/fake-timer.js';
import { captureLogs, LEVEL } from '../helpers/log-capture.js';
import { REFUSED, ScriptedProbe } from '../helpers/scripted-probe.js';
import { picks, req } from '../helpers/scripted-view.js';

const U1 = '127.0.0.1:3001';
const U2 = '127.0.0.1:3002';
const C19_ACTIVE = {
  path: '/health',
  interval: '1s',
  timeout: '500ms',
  healthy_threshold: 2,
  unhealthy_threshold: 3,
};

function clusters(list: Array<{ name: string; upstreams: string[]; active?: object }>) {
  const config = configSchema.parse({
    listeners: [{ port: 8080 }],
    clusters: list.map((c) => ({
      name: c.name,
      upstreams: c.upstreams.map((address) => ({ address })),
      health: c.active ? { active: c.active } : {},
    })),
    routes: [{ cluster: list[0].name }],
  });
  return config.clusters;
}

/** A checker over `clusterList` with a fake clock, a scripted probe and captured logs. */
function setup(clusterList: ClusterConfig[], states?: UpstreamStates) {
  const timer = new FakeTimer();
  const probe = new ScriptedProbe(timer);
  const logs = captureLogs();
  const count = clusterList.reduce((n, c) => n + c.upstreams.length, 0);
  const shared = states ?? UpstreamStates.create(count);
  const checker = new ActiveHealthChecker({
    clusters: clusterList,
    states: shared,
    probe,
    timer,
    logger: logs.logger.child({ component: 'health' }),
  });
  const until = (t: number) => timer.advance(t - timer.now());
  return { timer, probe, logs, states: shared, checker, until };
}

function flips(lines: ReturnType<typeof captureLogs>['lines']) {
  return lines
    .filter((l) => l.level > LEVEL.debug)
    .map((l) => [l.level === LEVEL.warn ? 'warn' : 'info', l.msg, l.upstream, l.cause]);
}

it('takes an upstream out at 3 failures, back at 2 good probes, not on a blip (C19)', async () => {
  const list = clusters([{ name: 'api', upstreams: [U1, U2], active: C19_ACTIVE }]);
  const { probe, logs, states, checker, until } = setup(list);
  const policy = createPolicy(list[0], new StatesView(states, 0, [1, 1]));
  checker.start();

  // (1) One 500 from U1, at the probe of t=1000: U1 stays in rotation.
  probe.queue(U1, { status: 500 });
  await until(3500);
  assert.equal(states.activeHealthy(0), true);
  assert.equal(
    picks(4, () => policy.pick(req())),
    'abab',
  );

  // (2) U1 refuses for 5 s (probes at 4000..8000): out at the third failure, t=6000.
  probe.set(U1, REFUSED);
  await until(5999);
  assert.equal(states.activeHealthy(0), true);
  await until(6000);
  assert.equal(states.activeHealthy(0), false);
  assert.equal(
    picks(4, () => policy.pick(req())),
    'bbbb',
  );

  // (3) U1 answers again from 8500: back after the good probes of 9000 and 10000.
  await until(8500);
  probe.set(U1, { status: 200 });
  await until(9999);
  assert.equal(states.activeHealthy(0), false);
  await until(10000);
  assert.equal(states.activeHealthy(0), true);
  assert.equal(
    picks(4, () => policy.pick(req())),
    'abab',
  );

  // (4) Both refuse for 5 s from 10500: both out at 13000, no upstream left; back at 17000.
  await until(10500);
  probe.set(U1, REFUSED);
  probe.set(U2, REFUSED);
  await until(13000);
  assert.equal(
    picks(3, () => policy.pick(req())),
    '---',
  );
  await until(15500);
  probe.set(U1, { status: 200 });
  probe.set(U2, { status: 200 });
  await until(17000);
  assert.equal(
    picks(4, () => policy.pick(req())),
    'abab',
  );
  checker.stop();

  assert.deepEqual(flips(logs.lines), [
    ['warn', 'upstream unhealthy', U1, 'connect ECONNREFUSED'],
    ['info', 'upstream healthy', U1, 'status 200'],
    ['warn', 'upstream unhealthy', U1, 'connect ECONNREFUSED'],
    ['warn', 'upstream unhealthy', U2, 'connect ECONNREFUSED'],
    ['info', 'upstream healthy', U1, 'status 200'],
    ['info', 'upstream healthy', U2, 'status 200'],
  ]);
  assert.equal(logs.withMsg('upstream probed').length, 2 * 18, 'one probe a second from 0 to 17 s');
  assert.deepEqual(
    { ...logs.withMsg('upstream unhealthy')[0] },
    {
      level: LEVEL.warn,
      component: 'health',
      cluster: 'api',
      upstream: U1,
      cause: 'connect ECONNREFUSED',
      msg: 'upstream unhealthy',
    },
  );
});

it('never takes out an upstream whose failures do not come in a row', async () => {
  const list = clusters([{ name: 'api', upstreams: [U1], active: C19_ACTIVE }]);
  const { probe, logs, states, checker, until } = setup(list);
  for (let n = 0; n < 10; n++) probe.queue(U1, REFUSED, REFUSED, { status: 200 });
  checker.start();
  await until(29_000);
  checker.stop();

  assert.equal(probe.count(U1), 30);
  assert.equal(states.activeHealthy(0), true);
  assert.deepEqual(flips(logs.lines), []);
});

it('does not bring back a sick upstream on one lucky reply', async () => {
  const list = clusters([{ name: 'api', upstreams: [U1], active: C19_ACTIVE }]);
  const { probe, logs, states, checker, until } = setup(list);
  const good = { status: 204 };
  probe.queue(U1, REFUSED, REFUSED, REFUSED, good, { status: 503 }, good, REFUSED, good, good);
  checker.start();
  await until(7000);
  assert.equal(states.activeHealthy(0), false, 'good probes at 3 s and 5 s were not in a row');
  await until(8000);
  checker.stop();

  assert.equal(states.activeHealthy(0), true);
  assert.deepEqual(flips(logs.lines), [
    ['warn', 'upstream unhealthy', U1, 'connect ECONNREFUSED'],
    ['info', 'upstream healthy', U1, 'status 204'],
  ]);
});

it('fails a probe with no answer within timeout as "timeout", and aborts it', async () => {
  const list = clusters([{ name: 'api', upstreams: [U1], active: C19_ACTIVE }]);
  const { probe, logs, states, checker, until } = setup(list);
  probe.set(U1, 'hang');
  checker.start();
  await until(499);
  assert.equal(probe.calls[0].aborted, false);
  await until(500);
  assert.equal(probe.calls[0].aborted, true);

  await until(2500);
  checker.stop();
  assert.deepEqual(
    probe.calls.map((c) => c.at),
    [0, 1000, 2000],
  );
  assert.equal(states.activeHealthy(0), false);
  assert.deepEqual(flips(logs.lines), [['warn', 'upstream unhealthy', U1, 'timeout']]);
});

it('starts the next probe right after a slow one, never two at once', async () => {
  const active = { ...C19_ACTIVE, interval: 1000, timeout: 1500 };
  const list = clusters([{ name: 'api', upstreams: [U1], active }]);
  const { probe, checker, until } = setup(list);
  probe.queue(U1, 'hang', { status: 200 }, 'hang', 'hang');
  checker.start();
  await until(6000);
  checker.stop();
  assert.deepEqual(
    probe.calls.map((c) => c.at),
    [0, 1500, 2500, 4000, 5500],
  );
});

it('counts statuses outside expected_statuses as failures', async () => {
  const active = { ...C19_ACTIVE, expected_statuses: [204], unhealthy_threshold: 1 };
  const list = clusters([{ name: 'api', upstreams: [U1], active }]);
  const { probe, logs, checker, until } = setup(list);
  probe.set(U1, { status: 200 });
  checker.start();
  await until(0);
  checker.stop();
  assert.deepEqual(flips(logs.lines), [['warn', 'upstream unhealthy', U1, 'status 200']]);
});

it('counts a default status outside 200-399 as a failure and 399 as good', async () => {
  const active = { ...C19_ACTIVE, unhealthy_threshold: 1, healthy_threshold: 1 };
  const list = clusters([{ name: 'api', upstreams: [U1], active }]);
  const { probe, logs, checker, until } = setup(list);
  probe.queue(U1, { status: 399 }, { status: 400 }, { status: 200 }, { status: 199 });
  checker.start();
  await until(3000);
  checker.stop();
  assert.deepEqual(flips(logs.lines), [
    ['warn', 'upstream unhealthy', U1, 'status 400'],
    ['info', 'upstream healthy', U1, 'status 200'],
    ['warn', 'upstream unhealthy', U1, 'status 199'],
  ]);
});

it('keeps probing after a probe throws, counting it as a failure', async () => {
  const active = { ...C19_ACTIVE, unhealthy_threshold: 1, healthy_threshold: 1 };
  const list = clusters([{ name: 'api', upstreams: [U1], active }]);
  const { probe, logs, states, checker, until } = setup(list);
  probe.queue(U1, 'throw');
  checker.start();
  await until(1000);
  checker.stop();
  assert.equal(states.activeHealthy(0), true);
  assert.deepEqual(flips(logs.lines), [
    ['warn', 'upstream unhealthy', U1, 'error Error'],
    ['info', 'upstream healthy', U1, 'status 200'],
  ]);
});

it('probes only clusters with active checks, in slots counted across all clusters', async () => {
  const list = clusters([
    { name: 'web', upstreams: ['127.0.0.1:4001', '127.0.0.1:4002'] },
    { name: 'api', upstreams: [U1, U2], active: { ...C19_ACTIVE, path: '/ping' } },
  ]);
  const { probe, logs, states, checker, until } = setup(list);
  probe.set(U2, { status: 500 });
  checker.start();
  await until(2000);
  checker.stop();

  assert.deepEqual(
    [...new Set(probe.calls.map((c) => `${c.target.address}${c.target.path}`))],
    [`${U1}/ping`, `${U2}/ping`],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((slot) => states.activeHealthy(slot)),
    [true, true, true, false],
  );
  assert.equal(logs.withMsg('upstream unhealthy')[0].cluster, 'api');
});

it('starts from the verdict already in the shared state', async () => {
  const list = clusters([{ name: 'api', upstreams: [U1], active: C19_ACTIVE }]);
  const states = UpstreamStates.create(1);
  states.setActiveHealthy(0, false);
  const { logs, checker, until } = setup(list, states);
  checker.start();
  await until(1000);
  checker.stop();
  assert.equal(states.activeHealthy(0), true);
  assert.deepEqual(flips(logs.lines), [['info', 'upstream healthy', U1, 'status 200']]);
});

it('stop() cancels every timer and ignores a probe still running', async () => {
  const list = clusters([{ name: 'api', upstreams: [U1, U2], active: C19_ACTIVE }]);
  const { timer, probe, logs, states, checker, until } = setup(list);
  probe.set(U1, 'hang');
  probe.set(U2, REFUSED);
  checker.start();
  await until(2200);
  checker.stop();

  assert.equal(timer.pending, 0);
  assert.equal(
    probe.calls.filter((c) => c.target.address === U1).at(-1)?.aborted,
    true,
    "U1's hanging probe",
  );
  const before = probe.calls.length;
  await until(10_000);
  assert.equal(probe.calls.length, before);
  // U2 failed 3 times before the stop; U1's third failure would have been its running probe.
  assert.deepEqual([states.activeHealthy(0), states.activeHealthy(1)], [true, false]);
  assert.deepEqual(flips(logs.lines), [['warn', 'upstream unhealthy', U2, 'connect ECONNREFUSED']]);
});

it('shows each upstream in the snapshot with its verdict and last result', async () => {
  const list = clusters([{ name: 'api', upstreams: [U1, U2], active: C19_ACTIVE }]);
  const { probe, checker, until } = setup(list);
  assert.deepEqual(
    checker.snapshot().map((s) => [s.upstream, s.last]),
    [
      [U1, null],
      [U2, null],
    ],
  );
  probe.set(U2, { error: 'connect ECONNREFUSED' });
  checker.start();
  await until(2000);
  checker.stop();

  assert.deepEqual(checker.snapshot(), [
    {
      cluster: 'api',
      upstream: U1,
      slot: 0,
      healthy: true,
      last: 'status 200',
      lastAt: 2000,
      consecutiveGood: 3,
      consecutiveBad: 0,
    },
    {
      cluster: 'api',
      upstream: U2,
      slot: 1,
      healthy: false,
      last: 'connect ECONNREFUSED',
      lastAt: 2000,
      consecutiveGood: 0,
      consecutiveBad: 3,
    },
  ]);
});
