import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  callgrindPrefix,
  controlArgs,
  controlFailure,
  latestDump,
  parseTotals,
} from '../../bench/instructions/callgrind.js';

// The head and tail of a dump as callgrind 3.19 writes it on `callgrind_control --dump`.
const DUMP = `# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 21210
cmd:  /usr/bin/node /work/bin/jetway.js start --config /tmp/jw.yaml
part: 1

desc: Timerange: Basic block 0 - 93264519
desc: Trigger: dump batch-1

positions: line
events: Ir
summary: 0


ob=(4) /usr/lib/x86_64-linux-gnu/libc.so.6
fn=(2534) __vfprintf_internal
684 53152
+30 24160

totals: 409890163
`;

describe('callgrind command line', () => {
  it('starts the contender with counting off and its dumps and FIFOs in one directory', () => {
    const prefix = callgrindPrefix('/usr/bin/valgrind', '/tmp/run/jetway/callgrind');
    assert.equal(prefix[0], '/usr/bin/valgrind');
    assert.ok(prefix.includes('--tool=callgrind'));
    assert.ok(prefix.includes('--instr-atstart=no'));
    assert.ok(prefix.includes('--callgrind-out-file=/tmp/run/jetway/callgrind/cg.%p.out'));
    assert.ok(prefix.includes('--vgdb-prefix=/tmp/run/jetway/callgrind/vgdb'));
  });

  it('asks callgrind_control through the same FIFOs, for on, off and a labelled dump', () => {
    const dir = '/tmp/run/nginx/callgrind';
    const vgdb = `--vgdb-prefix=${dir}/vgdb`;
    assert.deepEqual(controlArgs(dir, 42, { instrument: true }), [vgdb, '--instr=on', '42']);
    assert.deepEqual(controlArgs(dir, 42, { instrument: false }), [vgdb, '--instr=off', '42']);
    assert.deepEqual(controlArgs(dir, 42, { dump: 'batch-2' }), [vgdb, '--dump=batch-2', '42']);
  });

  it('reads success from the OK line, since callgrind_control exits 0 on failure too', () => {
    assert.equal(controlFailure('PID 42: /usr/bin/node bin/jetway.js\n  OK.\n'), null);
    assert.equal(
      controlFailure("Error: Callgrind task with PID/name '42' not detected.\nSee '-h'.\n"),
      "Error: Callgrind task with PID/name '42' not detected.",
    );
    assert.equal(controlFailure(''), 'no output');
  });
});

describe('callgrind dumps', () => {
  it('takes the instructions from the totals line, not the summary written before costs', () => {
    assert.equal(parseTotals(DUMP), 409_890_163);
  });

  it('finds the Ir column when more events were collected', () => {
    const text = DUMP.replace('events: Ir', 'events: Bc Ir').replace(
      'totals: 409890163',
      'totals: 7 1000',
    );
    assert.equal(parseTotals(text), 1000);
  });

  it('refuses a dump cut short or without instruction counts, with a code', () => {
    const cut = DUMP.slice(0, DUMP.indexOf('totals:'));
    assert.throws(() => parseTotals(cut), { code: 'BENCH_CALLGRIND', message: /no "totals:"/ });
    const noIr = DUMP.replace('events: Ir', 'events: Dr');
    assert.throws(() => parseTotals(noIr), { code: 'BENCH_CALLGRIND', message: /no Ir/ });
    const bad = DUMP.replace('totals: 409890163', 'totals: lots');
    assert.throws(() => parseTotals(bad), { code: 'BENCH_CALLGRIND' });
  });

  it("numbers a process's dumps and leaves out its exit dump, FIFOs and other pids", () => {
    const names = [
      'cg.7.out',
      'cg.7.out.1',
      'cg.7.out.10',
      'cg.7.out.9',
      'cg.77.out.12',
      'vgdb-from-vgdb-to-7-by-root-on-host',
    ];
    assert.equal(latestDump(names, 7), 10);
    assert.equal(latestDump(['cg.7.out'], 7), 0);
  });
});
