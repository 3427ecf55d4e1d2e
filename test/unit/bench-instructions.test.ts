import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCli } from '../../bench/cli.js';
import {
  batchProblem,
  summarizeInstructions,
  type BatchCount,
  type InstructionsContender,
  type InstructionsOutcome,
} from '../../bench/instructions/run.js';
import { renderHtml } from '../../bench/report/html.js';
import type { Report } from '../../bench/report/report.js';
import { formatInstructions, instructionRows } from '../../bench/report/table.js';
import { pickScenarios } from '../../bench/scenarios.js';
import { instructionBudgetMs, resolveInstructionSettings } from '../../bench/settings.js';
import { perRequest, spread } from '../../bench/stats.js';

const instructions = pickScenarios(['instructions'])[0];

function settingsOf(argv: string[]) {
  return resolveInstructionSettings(instructions, parseCli(['instructions', ...argv]));
}

function batches(...figures: number[]): BatchCount[] {
  return figures.map((f, i) => ({
    batch: i + 1,
    requests: 1000,
    instructions: f * 1000,
    perRequest: f,
    durationMs: 5000,
  }));
}

function contender(
  name: InstructionsContender['name'],
  extra: Partial<InstructionsContender> = {},
): InstructionsContender {
  return { name, batches: [], median: null, spread: null, vsNginx: null, ...extra };
}

function outcome(contenders: InstructionsContender[]): InstructionsOutcome {
  summarizeInstructions(contenders);
  const { settings } = settingsOf([]);
  return {
    name: 'instructions',
    description: 'counted <by> callgrind',
    settings,
    valgrind: 'valgrind-3.19.0',
    notes: ['http-proxy: batch 2: 3199 of 3200 responses'],
    contenders,
  };
}

const MEASURED = () =>
  outcome([
    contender('direct', { skipped: 'no proxy process to count' }),
    contender('jetway', { batches: batches(91_104, 91_243, 91_180) }),
    contender('nginx', { batches: batches(18_218, 18_341, 18_300) }),
    contender('http-proxy', { failed: 'failed to start under valgrind: exited' }),
  ]);

describe('instructions settings', () => {
  it('counts 3 batches of 16 connections × 200 requests after 3 warm-up batches', () => {
    const { settings, notes } = settingsOf([]);
    assert.deepEqual(
      [settings.connections, settings.requestsPerConnection, settings.warmupBatches],
      [16, 200, 3],
    );
    assert.equal(settings.batches, 3);
    assert.equal(settings.workers, 1);
    assert.deepEqual(notes, []);
  });

  it('takes the batch size, connections, warm-up and measured batches from flags', () => {
    const flags = ['--batch=50', '--connections=4', '--rounds=5', '--warmup-batches=0'];
    const { settings } = settingsOf(flags);
    assert.deepEqual([settings.requestsPerConnection, settings.connections], [50, 4]);
    assert.deepEqual([settings.warmupBatches, settings.batches], [0, 5]);
  });

  it('runs one worker whatever --workers says, and notes that it did', () => {
    const { settings, notes } = settingsOf(['--workers=4']);
    assert.equal(settings.workers, 1);
    assert.match(notes[0], /--workers 4 ignored/);
  });

  it('gives a larger batch a longer bound', () => {
    const small = settingsOf(['--batch=10']).settings.batchTimeoutMs;
    const large = settingsOf(['--batch=1000']).settings.batchTimeoutMs;
    assert.ok(large > small);
  });

  it('budgets every bound of every contender', () => {
    const { settings } = settingsOf([]);
    const batchesMs = (settings.warmupBatches + settings.batches) * settings.batchTimeoutMs;
    assert.ok(instructionBudgetMs(settings, 6) > 6 * (settings.readyTimeoutMs + batchesMs));
  });

  it('refuses a batch of no requests and keeps dumps only when asked', () => {
    assert.throws(() => parseCli(['--batch=0']), { code: 'BENCH_BAD_ARGUMENT' });
    assert.equal(parseCli([]).keepDumps, false);
    assert.equal(parseCli(['--keep-dumps']).keepDumps, true);
  });

  it('runs the full count by default and the CI variant only when named', () => {
    const names = pickScenarios([]).map((s) => s.name);
    assert.ok(names.includes('instructions'));
    assert.ok(!names.includes('instructions-smoke'));
    assert.equal(pickScenarios(['instructions-smoke'])[0].kind, 'instructions');
  });
});

describe('instructions arithmetic', () => {
  it('divides a dump total by the requests of its batch', () => {
    assert.equal(perRequest(437_299_200, 4800), 91_104);
    assert.equal(perRequest(1000, 0), null);
  });

  it('gives the spread of batches relative to their median', () => {
    assert.equal(spread([99, 101, 100]), 0.02);
    assert.equal(spread([5]), 0);
    assert.equal(spread([]), null);
  });

  it('takes the median of each contender and its ratio to nginx', () => {
    const o = MEASURED();
    const jetway = o.contenders[1];
    assert.equal(jetway.median, 91_180);
    assert.equal(jetway.vsNginx, 91_180 / 18_300);
    assert.equal(o.contenders[2].vsNginx, 1);
    assert.equal(o.contenders[3].median, null);
  });

  it('names missing responses and errors of a batch, and passes a whole one', () => {
    const whole = { responses: 100, errors: {}, timedOut: false, durationMs: 1 };
    assert.equal(batchProblem(whole, 100), null);
    assert.equal(batchProblem({ ...whole, responses: 99 }, 100), '99 of 100 responses');
    const bad = { ...whole, errors: { 'status 502': 2, timeout: 1 } };
    assert.equal(batchProblem(bad, 100), '100 of 100 responses, errors: 2 status 502, 1 timeout');
  });
});

describe('instructions report', () => {
  it('shows the median, the ratio, the spread and each batch, and why a row has none', () => {
    const rows = instructionRows(MEASURED());
    assert.deepEqual(rows[0], ['direct', 'skipped: no proxy process to count']);
    assert.deepEqual(rows[1], ['jetway', '91,180', '4.98', '0.2', '91,104 91,243 91,180']);
    assert.deepEqual(rows[2].slice(0, 3), ['nginx', '18,300', '1.00']);
    assert.deepEqual(rows[3], ['http-proxy', 'failed: failed to start under valgrind: exited']);
  });

  it('says in the table how the counts were made, with the notes', () => {
    const text = formatInstructions(MEASURED());
    assert.match(text, /callgrind \(valgrind-3\.19\.0\): user-space instructions/);
    assert.match(text, /3,200 requests per batch \(16 connections × 200\)/);
    assert.match(text, /3 batches of warm-up, median of 3 batches, 1 proxy worker/);
    assert.match(text, /note: http-proxy: batch 2/);
  });

  it('says why a scenario skipped as a whole did not run', () => {
    const o = { ...MEASURED(), skipped: 'valgrind is not installed' };
    assert.match(formatInstructions(o), /skipped: valgrind is not installed/);
  });

  it('draws a section in the HTML report, text escaped', () => {
    const report: Report = {
      startedAt: '2026-01-01T00:00:00.000Z',
      command: 'npm run bench -- instructions',
      machine: { cpus: 'cpu', cores: 2, memoryMb: 1024, kernel: '6.1', node: 'v20' },
      tools: {},
      skipped: {},
      scenarios: [],
      instructions: [MEASURED()],
    };
    const html = renderHtml(report);
    assert.match(html, /<h2>instructions<\/h2><p>counted &#60;by&#62; callgrind<\/p>/);
    assert.match(html, /<td>jetway<\/td><td>91,180<\/td>/);
  });
});
