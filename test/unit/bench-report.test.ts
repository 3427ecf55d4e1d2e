import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  curveOf,
  encodeHistogram,
  mergeHistograms,
  newHistogram,
} from '../../bench/load/histogram.js';
import { openLoopStart, share } from '../../bench/load/undici-job.js';
import { parseWrkOutput, wrkScript, wrkSeconds } from '../../bench/load/wrk.js';
import {
  chart,
  escapeHtml,
  microRows,
  percentileX,
  renderHtml,
  yDecades,
} from '../../bench/report/html.js';
import type { Report } from '../../bench/report/report.js';
import { formatScenario, layout } from '../../bench/report/table.js';
import type { ScenarioOutcome } from '../../bench/runner.js';
import { summarize, type RoundResult } from '../../bench/stats.js';

const WRK_REPORT = {
  requests: 1000,
  duration_us: 2_000_000,
  bytes: 5000,
  ...{ connect: 1, read: 2, write: 0, status: 7, timeout: 3, min: 40, max: 9000 },
  p: [
    [10, 50],
    [50, 100],
    [90, 300],
    [99, 800],
    [99.9, 2000],
  ],
};
const WRK_STDOUT = `Running 1s test @ http://127.0.0.1:8080/small
  1 threads and 8 connections
JETWAY_BENCH_WRK ${JSON.stringify(WRK_REPORT)}
`;

function outcome(): ScenarioOutcome {
  const r: RoundResult = {
    round: 1,
    ...parseWrkOutput(WRK_STDOUT),
    cpuUsPerRequest: 12.5,
    upstreamCpuUsPerRequest: 4,
    rssMaxKb: 20480,
  };
  return {
    name: 'small',
    description: 'GET, <tiny> response',
    settings: {
      rounds: 1,
      durationMs: 2000,
      warmupMs: 0,
      connections: 8,
      threads: 1,
      generator: 'wrk',
      workers: 1,
      upstreamWorkers: 1,
      pin: false,
      timeoutMs: 10_000,
    },
    generatorLabel: 'wrk 4.1.0',
    notes: [],
    contenders: [
      { name: 'nginx', rounds: [r], summary: summarize([r]), vsDirect: 0.4, vsNginx: 1 },
      {
        name: 'jetway',
        skipped: 'bin/jetway.js is not in this tree yet',
        rounds: [],
        vsDirect: null,
        vsNginx: null,
      },
    ],
  };
}

describe('wrk generator', () => {
  it('reads the report line of the Lua done hook, status errors apart from socket errors', () => {
    const run = parseWrkOutput(WRK_STDOUT);
    assert.equal(run.requests, 1000);
    assert.equal(run.durationMs, 2000);
    assert.equal(run.errors, 6);
    assert.deepEqual(run.errorKinds, { connect: 1, read: 2, timeout: 3 });
    assert.equal(run.badStatus, 7);
    assert.deepEqual(run.curve[0], [0, 40]);
    assert.deepEqual(run.curve.at(-1), [100, 9000]);
  });

  it('fails with a code when wrk printed no report', () => {
    assert.throws(() => parseWrkOutput('unable to connect'), { code: 'BENCH_GENERATOR_FAILED' });
  });

  it('writes a script that sends the upload body and varies the key header', () => {
    const upload = wrkScript({ method: 'POST', path: '/upload', bodyBytes: 1024 });
    assert.match(upload, /wrk\.method = "POST"/);
    assert.match(upload, /wrk\.body = string\.rep\("x", 1024\)/);
    assert.doesNotMatch(upload, /request = function/);
    const keyed = wrkScript({
      method: 'GET',
      path: '/',
      bodyBytes: 0,
      keyHeader: { name: 'x-user-id', keys: 10 },
    });
    assert.match(keyed, /wrk\.headers\["x-user-id"\] = tostring\(n % 10\)/);
  });

  it('rounds durations up to whole seconds, at least one', () => {
    assert.equal(wrkSeconds(300), 1);
    assert.equal(wrkSeconds(2000), 2);
    assert.equal(wrkSeconds(2001), 3);
  });
});

describe('undici generator maths', () => {
  it('merges the histograms of several threads into one curve', () => {
    const a = newHistogram();
    const b = newHistogram();
    for (let i = 1; i <= 900; i++) a.recordValue(100);
    for (let i = 1; i <= 100; i++) b.recordValue(10_000);
    const curve = curveOf(mergeHistograms([encodeHistogram(a), encodeHistogram(b)]));
    const at = (p: number) => curve.find(([q]) => q === p)?.[1];
    assert.equal(at(0), 100);
    assert.equal(at(50), 100);
    assert.ok(Math.abs((at(99) as number) - 10_000) <= 10);
    assert.ok(Math.abs((at(100) as number) - 10_000) <= 10);
  });

  it('times a late open-loop request from when it was due and an early one from leaving', () => {
    assert.deepEqual(openLoopStart(100, 130), { from: 100, lateMs: 30 });
    assert.deepEqual(openLoopStart(100, 99.4), { from: 99.4, lateMs: 0 });
  });

  it('shares connections and rate among threads with at most one apart', () => {
    assert.deepEqual(share(10, 3), [4, 3, 3]);
    assert.deepEqual(share(2, 2), [1, 1]);
  });
});

describe('bench reports', () => {
  it('prints a row per contender and the reason a contender was skipped', () => {
    const text = formatScenario(outcome());
    assert.match(text, /wrk 4\.1\.0, closed loop, 8 connections/);
    assert.match(
      text,
      /^nginx +500 +0\.40 +1\.00 +0\.10 +0\.30 +0\.80 +2\.00 +9\.00 +13 +12\.5 +20\.0$/m,
    );
    assert.match(text, /^jetway +skipped: bin\/jetway\.js is not in this tree yet$/m);
  });

  it('aligns columns: names to the left, numbers to the right', () => {
    assert.equal(
      layout(
        ['name', 'n'],
        [
          ['a', '100'],
          ['bbbb', '2'],
        ],
      ),
      'name    n\na     100\nbbbb    2',
    );
  });

  it('starts every skip reason in one column, however long the skipped name', () => {
    const body = [
      ['nginx', '100', '2'],
      ['fastify-http-proxy', 'skipped: no quota'],
      ['direct', 'skipped: x'],
    ];
    assert.deepEqual(layout(['contender', 'n', 'm'], body).split('\n'), [
      'contender             n  m',
      'nginx               100  2',
      'fastify-http-proxy  skipped: no quota',
      'direct              skipped: x',
    ]);
  });

  it('gives the longest contender name its own colour and room in the legend', () => {
    const o = outcome();
    o.contenders[0] = { ...o.contenders[0], name: 'fastify-http-proxy' };
    const svg = chart(o);
    const width = Number(/viewBox="0 0 (\d+) /.exec(svg)?.[1]);
    const colour = /fill="([^"]+)"\/><text[^>]*>fastify-http-proxy</.exec(svg)?.[1];
    const x = Number(/<text x="([\d.]+)"[^>]*>fastify-http-proxy</.exec(svg)?.[1]);
    assert.ok(colour !== undefined && x > 0, svg);
    assert.notEqual(colour, '#9467bd', 'the colour of a contender the report does not know');
    // 7 px a character is generous for 12 px text.
    assert.ok(x + 'fastify-http-proxy'.length * 7 <= width);
  });

  it('plots percentiles on a log scale where 90, 99 and 99.9 are evenly spaced', () => {
    const step = percentileX(99) - percentileX(90);
    assert.ok(Math.abs(percentileX(99.9) - percentileX(99) - step) < 1e-9);
    assert.ok(percentileX(100) > percentileX(99.99));
    assert.deepEqual(
      yDecades([
        [
          [50, 150],
          [100, 25_000],
        ],
      ]),
      [-1, 2],
    );
  });

  it('draws one curve per contender that ran', () => {
    assert.equal(chart(outcome()).match(/<polyline/g)?.length, 1);
  });

  it('writes an HTML report that loads nothing from elsewhere and escapes text', () => {
    const report: Report = {
      startedAt: '2025-01-01T00:00:00.000Z',
      command: 'npm run bench -- small',
      machine: { cpus: 'cpu', cores: 2, memoryMb: 1024, kernel: '6.1', node: 'v20' },
      tools: { wrk: 'wrk 4.1.0' },
      skipped: { jetway: 'not <built>' },
      scenarios: [outcome()],
      micro: { status: 'missing', message: 'bench/micro.ts is not in this tree' },
    };
    const html = renderHtml(report);
    assert.match(html, /<svg /);
    assert.doesNotMatch(html, /<script|<link|\bsrc=|\bhref=|@import|url\(/i);
    assert.match(html, /GET, &#60;tiny&#62; response/);
    assert.match(html, /not &#60;built&#62;/);
    assert.equal(escapeHtml(`"a'&`), '&#34;a&#39;&#38;');
  });

  it('shows a micro result as a table only when it is a list of flat rows', () => {
    const rows = microRows([
      { name: 'route', native: 1.5 },
      { name: 'hash', wasm: 2 },
    ]);
    assert.deepEqual(rows?.header, ['name', 'native', 'wasm']);
    assert.deepEqual(rows?.body[1], ['hash', '', '2']);
    // Rates with thousands separators, times with one decimal: never 4.075e+6.
    const rates = microRows([{ fn: 'route', opsPerSec: 4_075_123.4, nsPerOp: 245.38 }]);
    assert.deepEqual(rates?.body[0], ['route', '4,075,123', '245.4']);
    assert.equal(microRows('text'), null);
    assert.equal(microRows([[1, 2]]), null);
  });

  it('names the micro backends that were left out, in the HTML report', () => {
    const html = renderHtml({
      startedAt: '2025-01-01T00:00:00.000Z',
      command: 'npm run bench -- micro',
      machine: { cpus: 'cpu', cores: 2, memoryMb: 1024, kernel: '6.1', node: 'v20' },
      tools: {},
      skipped: {},
      scenarios: [],
      micro: {
        status: 'ran',
        notes: ['skipped: the wasm backend, which did not load: <not built>'],
        result: [{ fn: 'route', backend: 'native', nsPerOp: 600 }],
      },
    });
    assert.match(html, /skipped: the wasm backend, which did not load: &#60;not built&#62;/);
  });
});
