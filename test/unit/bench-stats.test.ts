import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addCounts,
  cpuUsPerRequest,
  generatorLateNote,
  median,
  medianCurve,
  medianOrNull,
  ratio,
  roundOrder,
  summarize,
  throughput,
  valueAt,
  type Curve,
  type RoundResult,
} from '../../bench/stats.js';

function round(n: number, requests: number, p50: number, cpu: number | null): RoundResult {
  const curve: Curve = [
    [50, p50],
    [90, p50 * 2],
    [99, p50 * 4],
    [99.9, p50 * 8],
    [100, p50 * 10],
  ];
  return {
    round: n,
    generator: 'wrk',
    requests,
    durationMs: 1000,
    errors: n === 2 ? 3 : 0,
    errorKinds: n === 2 ? { ECONNRESET: 3 } : {},
    badStatus: n === 3 ? 1 : 0,
    bytes: 0,
    curve,
    cpuUsPerRequest: cpu,
    upstreamCpuUsPerRequest: null,
    rssMaxKb: 2048 * n,
  };
}

describe('bench statistics', () => {
  it('median is the middle value, or the mean of the middle two for an even count', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('medianOrNull ignores missing values and is null when none is present', () => {
    assert.equal(medianOrNull([null, 4, 2, null]), 3);
    assert.equal(medianOrNull([null, null]), null);
  });

  it('ratio is null when the denominator is missing or not positive', () => {
    assert.equal(ratio(50, 200), 0.25);
    assert.equal(ratio(50, 0), null);
    assert.equal(ratio(50, null), null);
    assert.equal(ratio(undefined, 10), null);
  });

  it('throughput is requests per second of the measured window', () => {
    assert.equal(throughput(15_000, 1500), 10_000);
    assert.equal(throughput(10, 0), 0);
  });

  it('CPU per request converts clock ticks to microseconds per request', () => {
    // 250 ticks at 100 Hz = 2.5 s of CPU over 250,000 requests = 10 µs each.
    assert.equal(cpuUsPerRequest(250, 100, 250_000), 10);
    assert.equal(cpuUsPerRequest(250, 100, 0), null);
  });

  it('valueAt reads the first point at or above the percentile', () => {
    const curve: Curve = [
      [50, 100],
      [99, 400],
      [100, 900],
    ];
    assert.equal(valueAt(curve, 50), 100);
    assert.equal(valueAt(curve, 90), 400);
    assert.equal(valueAt(curve, 100), 900);
  });

  it('medianCurve takes the median point by point', () => {
    const a: Curve = [
      [50, 1],
      [99, 10],
    ];
    const b: Curve = [
      [50, 3],
      [99, 30],
    ];
    const c: Curve = [
      [50, 2],
      [99, 90],
    ];
    assert.deepEqual(medianCurve([a, b, c]), [
      [50, 2],
      [99, 30],
    ]);
  });

  it('summarize takes medians over rounds but sums every error', () => {
    const s = summarize([
      round(1, 1000, 100, 10),
      round(2, 3000, 300, null),
      round(3, 2000, 200, 30),
    ]);
    assert.equal(s.rps, 2000);
    assert.equal(s.p50, 200);
    assert.equal(s.p999, 1600);
    assert.equal(s.max, 2000);
    assert.equal(s.errors, 4);
    assert.deepEqual(s.errorKinds, { ECONNRESET: 3 });
    assert.equal(s.cpuUsPerRequest, 20);
    assert.equal(s.rssMaxMb, 4);
  });

  it('addCounts adds counts kind by kind', () => {
    assert.deepEqual(addCounts([{ a: 1 }, { a: 2, b: 1 }, {}]), { a: 3, b: 1 });
  });

  it('roundOrder rotates by one each round so no contender is always first', () => {
    const names = ['direct', 'jetway', 'nginx'];
    assert.deepEqual(roundOrder(names, 0), ['direct', 'jetway', 'nginx']);
    assert.deepEqual(roundOrder(names, 1), ['jetway', 'nginx', 'direct']);
    assert.deepEqual(roundOrder(names, 4), ['jetway', 'nginx', 'direct']);
    assert.deepEqual(roundOrder([], 2), []);
  });
});

describe('open-loop honesty', () => {
  const late = (share: number, maxMs: number): RoundResult => ({
    ...round(1, 1000, 100, null),
    generatorLate: { share, maxMs },
  });

  it('warns when the generator left more than 1% of requests late in any round', () => {
    const note = generatorLateNote([late(0.001, 3), late(0.25, 180.4)]);
    assert.match(note ?? '', /up to 25% of requests left late, by up to 180 ms/);
  });

  it('says nothing when every round kept time or the loop was closed', () => {
    assert.equal(generatorLateNote([late(0.005, 3)]), null);
    assert.equal(generatorLateNote([round(1, 1000, 100, null)]), null);
  });
});
