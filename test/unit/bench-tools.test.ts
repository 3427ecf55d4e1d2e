import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { versionLine } from '../../bench/tools.js';

// sh stands in for the tools: each prints its version the way one of them does.
describe('bench tool versions', () => {
  it('reads a version printed on stderr by a program that exits 0 (nginx -v)', () => {
    const line = versionLine('sh', ['-c', 'echo "nginx version: nginx/1.22.1" >&2'], /nginx ver/);
    assert.equal(line, 'nginx version: nginx/1.22.1');
  });

  it('reads a version printed by a program that exits 1 (wrk --version)', () => {
    const line = versionLine('sh', ['-c', 'echo "wrk 4.1.0 [epoll]"; exit 1'], /^wrk /);
    assert.equal(line, 'wrk 4.1.0 [epoll]');
  });

  it('reads a version printed on stdout (haproxy -v)', () => {
    const line = versionLine('sh', ['-c', 'echo "HAProxy version 2.6.12"'], /HAProxy version/);
    assert.equal(line, 'HAProxy version 2.6.12');
  });

  it('says "unknown version" when no line matches or the program cannot run', () => {
    assert.equal(versionLine('sh', ['-c', 'echo nothing'], /^wrk /), 'unknown version');
    assert.equal(versionLine('/nonexistent/tool', [], /x/), 'unknown version');
  });
});
