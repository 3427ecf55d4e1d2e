import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  descendants,
  parseProcStat,
  parseVmRssKb,
  readTrees,
  treeTicks,
  type ProcStat,
} from '../../bench/proc.js';

// A stat line as Linux writes it, fields 1 to 24.
function statLine(pid: number, comm: string, ppid: number, times: number[]): string {
  const [ut, st, cut, cst] = times;
  const head = `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0`;
  return `${head} ${ut} ${st} ${cut} ${cst} 20 0 1 0 500 1000000 250`;
}

function stat(pid: number, ppid: number, ticks = 0): ProcStat {
  return { pid, comm: 'x', state: 'S', ppid, utime: ticks, stime: 0, cutime: 0, cstime: 0 };
}

describe('/proc parsing for the bench', () => {
  it('reads CPU times and the parent from a stat line', () => {
    const s = parseProcStat(statLine(4242, 'nginx', 1, [120, 30, 5, 2]));
    assert.deepEqual(
      [s.pid, s.comm, s.state, s.ppid, s.utime, s.stime, s.cutime, s.cstime],
      [4242, 'nginx', 'S', 1, 120, 30, 5, 2],
    );
  });

  it('counts fields from the last parenthesis when the name holds spaces and parens', () => {
    const s = parseProcStat(statLine(7, 'a) S 99 (b', 3, [1, 2, 3, 4]));
    assert.equal(s.comm, 'a) S 99 (b');
    assert.equal(s.ppid, 3);
    assert.equal(s.utime, 1);
  });

  it('refuses a stat line with no command name', () => {
    assert.throws(() => parseProcStat('12 S 1 2 3'), { code: 'BENCH_PROC_PARSE' });
  });

  it('reads VmRSS in KiB and null when a status has none', () => {
    assert.equal(parseVmRssKb('Name:\tnginx\nVmPeak:\t  9000 kB\nVmRSS:\t   17420 kB\n'), 17420);
    assert.equal(parseVmRssKb('Name:\tzombie\nState:\tZ (zombie)\n'), null);
  });

  it('finds a master and its workers and leaves unrelated processes out', () => {
    const all = [stat(1, 0), stat(10, 1), stat(11, 10), stat(12, 10), stat(13, 11), stat(20, 1)];
    assert.deepEqual(descendants(10, all).sort(), [10, 11, 12, 13]);
  });

  it('adds own and reaped-children CPU of the tree and skips pids that are gone', () => {
    const stats = new Map<number, ProcStat>([
      [10, { ...stat(10, 1, 5), stime: 1, cutime: 7, cstime: 3 }],
      [11, stat(11, 10, 40)],
    ]);
    assert.equal(treeTicks([10, 11, 99], stats), 56);
  });

  it('parses this very process from the real /proc', () => {
    const s = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
    assert.equal(s.pid, process.pid);
    assert.equal(s.ppid, process.ppid);
    const tree = readTrees([process.pid]);
    assert.ok(tree.rssKb > 1024, `rss ${tree.rssKb} KiB`);
    assert.ok(tree.ticks >= 0);
  });
});
