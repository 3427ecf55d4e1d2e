import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LeastConn } from '../../ts/balance/least-conn.js';
import { picks, req, ScriptedView } from '../helpers/scripted-view.js';

it('least_conn sends the next request to the idle upstream', () => {
  const view = new ScriptedView([1, 1, 1]);
  view.load.splice(0, 3, 3, 0, 2);
  const policy = new LeastConn(view);
  assert.equal(policy.pick(req()), 1);
});

it('least_conn weighs in-flight requests by weight', () => {
  const view = new ScriptedView([2, 1]);
  const policy = new LeastConn(view);
  view.load.splice(0, 2, 3, 2); // 3/2 against 2/1
  assert.equal(policy.pick(req()), 0);
  view.load.splice(0, 2, 4, 1); // 4/2 against 1/1
  assert.equal(policy.pick(req()), 1);
});

it('least_conn rotates among equally loaded upstreams, by weight', () => {
  const even = new LeastConn(new ScriptedView([1, 1, 1]));
  assert.equal(
    picks(6, () => even.pick(req())),
    'abcabc',
  );

  const weighted = new LeastConn(new ScriptedView([2, 1]));
  assert.equal(
    picks(6, () => weighted.pick(req())),
    'abaaba',
  );
});

it('least_conn follows requests as they start and finish', () => {
  const view = new ScriptedView([1, 1, 1]);
  const policy = new LeastConn(view);
  const start = () => {
    const i = policy.pick(req());
    view.load[i]++;
    return i;
  };
  // Three start at once, then b finishes twice as fast as the others.
  assert.equal(picks(3, start), 'abc');
  view.load[1]--;
  assert.equal(picks(1, start), 'b');
  view.load[1]--;
  assert.equal(picks(1, start), 'b');
  view.load[0]--;
  view.load[2]--;
  assert.deepEqual(view.load, [0, 1, 0]);
  // a and c tie; c leads the rotation because it lost the b-c tie to b at the second pick.
  assert.equal(picks(3, start), 'cac');
});

it('least_conn passes over an idle upstream that is unusable or tried', () => {
  const view = new ScriptedView([1, 1, 1]);
  view.load.splice(0, 3, 0, 2, 1);
  const policy = new LeastConn(view);
  view.down.add(0);
  assert.equal(policy.pick(req()), 2);
  assert.equal(policy.pick(req({ tried: [2] })), 1);
});
