// The shared GCRA table on one thread: slot placement, reuse of slots whose bucket is full
// again, the full-window error, and separation of limiters. The step is the TypeScript
// reference's; exactness across threads is hotpath-limiter-threads.test.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  LimiterTable,
  TABLE_FULL,
  createLimiterTableBuffer,
} from '../../ts/hotpath/limiter-table.js';
import { gcraStep, quotaOf } from '../../ts/hotpath/reference/gcra.js';
import { HotPathError, type LimiterSpec } from '../../ts/hotpath/types.js';

const SPEC: LimiterSpec = { rate: 1, periodMs: 1000, burst: 2 };
const T0 = 1_700_000_000_000_000;

function limiterOn(table: LimiterTable, id: string, spec = SPEC) {
  const quota = quotaOf(spec);
  return table.limiter(id, spec, (tat, now) => gcraStep(quota, tat, now));
}

describe('limiter table', () => {
  it('counts one key exactly: the burst passes, then one per emission interval', () => {
    const limiter = limiterOn(new LimiterTable(createLimiterTableBuffer(1024)), 'a');
    const at = (us: number) => limiter.check('k', us).allowed;
    assert.deepEqual([at(T0), at(T0), at(T0)], [true, true, false]);
    assert.equal(at(T0 + 999_999), false);
    assert.equal(at(T0 + 1_000_000), true);
  });

  it('keeps limiters with different ids or quotas apart', () => {
    const table = new LimiterTable(createLimiterTableBuffer(1024));
    const a = limiterOn(table, 'a');
    const b = limiterOn(table, 'b');
    const a2 = limiterOn(table, 'a', { rate: 1, periodMs: 1000, burst: 3 });
    for (let i = 0; i < 2; i++) assert.ok(a.check('k', T0).allowed);
    assert.equal(a.check('k', T0).allowed, false);
    assert.ok(b.check('k', T0).allowed);
    assert.ok(a2.check('k', T0).allowed);
  });

  it('throws JETWAY_QUOTA_TABLE_FULL when every slot of the window holds a live bucket', () => {
    const limiter = limiterOn(new LimiterTable(createLimiterTableBuffer(32)), 'a');
    for (let i = 0; i < 32; i++) assert.ok(limiter.check(`k${i}`, T0).allowed);
    assert.throws(
      () => limiter.check('one-more', T0),
      (err: unknown) => err instanceof HotPathError && err.code === TABLE_FULL,
    );
  });

  it('reuses a slot once its bucket is full again, and the new key starts fresh', () => {
    const limiter = limiterOn(new LimiterTable(createLimiterTableBuffer(32)), 'a');
    for (let i = 0; i < 32; i++) limiter.check(`k${i}`, T0);
    const later = T0 + 1_000_000;
    assert.deepEqual(limiter.check('one-more', later), {
      allowed: true,
      remaining: 1,
      retryAfterMs: 0,
      resetMs: 1000,
    });
    assert.ok(limiter.check('one-more', later).allowed);
    assert.equal(limiter.check('one-more', later).allowed, false);
  });

  it('refuses a slot count that is not a power of two', () => {
    assert.throws(() => createLimiterTableBuffer(1000), /limiterSlots: 1000/);
  });
});
