import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTENDERS, DEFAULT_CONTENDERS, millis, parseCli, USAGE } from '../../bench/cli.js';
import { pickScenarios, SCENARIOS } from '../../bench/scenarios.js';
import { budgetMs, defaultThreads, resolveSettings } from '../../bench/settings.js';

const scenario = (name: string) => pickScenarios([name])[0];

describe('bench command line', () => {
  it('reads every flag into plain values', () => {
    const o = parseCli([
      'small',
      '4k',
      '--rounds=2',
      '--duration',
      '500ms',
      '--connections=10',
      '--generator=undici',
      '--contenders=nginx,direct',
      '--pin',
    ]);
    assert.deepEqual(o.scenarios, ['small', '4k']);
    assert.equal(o.rounds, 2);
    assert.equal(o.durationMs, 500);
    assert.equal(o.connections, 10);
    assert.equal(o.generator, 'undici');
    assert.deepEqual(o.contenders, ['nginx', 'direct']);
    assert.equal(o.pin, true);
  });

  it('defaults to every contender, the Node.js proxies too, and one worker', () => {
    const o = parseCli([]);
    assert.deepEqual(o.contenders, [...DEFAULT_CONTENDERS]);
    const names: readonly string[] = o.contenders;
    for (const name of ['http-proxy', 'fast-gateway', 'fastify-http-proxy']) {
      assert.ok(names.includes(name), name);
    }
    assert.ok(!names.includes('jetway-undici'));
    assert.equal(o.workers, 1);
    assert.equal(o.durationMs, undefined);
  });

  it('takes the Node.js proxies by name, once each, in the order given', () => {
    const o = parseCli([
      '--contenders',
      'fastify-http-proxy, direct,http-proxy,fast-gateway,direct',
    ]);
    assert.deepEqual(o.contenders, ['fastify-http-proxy', 'direct', 'http-proxy', 'fast-gateway']);
    assert.throws(() => parseCli(['--contenders=fastify']), /accepted: .*fastify-http-proxy/);
  });

  it('names every contender in its usage', () => {
    for (const name of CONTENDERS) assert.ok(USAGE.includes(name), name);
  });

  it('reads durations in ms, s, m and bare seconds', () => {
    assert.equal(millis('--duration', '250ms'), 250);
    assert.equal(millis('--duration', '1.5s'), 1500);
    assert.equal(millis('--duration', '2'), 2000);
    assert.equal(millis('--duration', '1m'), 60_000);
  });

  it('refuses unknown contenders, generators, bad numbers and unknown flags with a code', () => {
    assert.throws(() => parseCli(['--contenders=nginx,caddy']), { code: 'BENCH_BAD_ARGUMENT' });
    assert.throws(() => parseCli(['--generator=ab']), { code: 'BENCH_BAD_ARGUMENT' });
    assert.throws(() => parseCli(['--rounds=0']), { code: 'BENCH_BAD_ARGUMENT' });
    for (const text of ['0x10', '1e1', '2.0', '', ' ']) {
      assert.throws(() => parseCli([`--rounds=${text}`]), { code: 'BENCH_BAD_ARGUMENT' }, text);
    }
    assert.throws(() => parseCli(['--duration=soon']), { code: 'BENCH_BAD_ARGUMENT' });
    assert.throws(() => parseCli(['--bogus']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
  });
});

describe('bench scenarios and settings', () => {
  it('runs every default scenario but smoke when none is named', () => {
    const names = pickScenarios([]).map((s) => s.name);
    assert.ok(names.includes('small') && names.includes('micro'));
    assert.ok(!names.includes('smoke'));
    assert.equal(new Set(SCENARIOS.map((s) => s.name)).size, SCENARIOS.length);
  });

  it('names the known scenarios when asked for an unknown one', () => {
    assert.throws(() => pickScenarios(['tiny']), /unknown scenario "tiny" \(known: small, 4k/);
  });

  it('prefers wrk when installed and undici otherwise', () => {
    const cli = parseCli(['small']);
    assert.equal(resolveSettings(scenario('small'), cli, true, 2).settings.generator, 'wrk');
    assert.equal(resolveSettings(scenario('small'), cli, false, 2).settings.generator, 'undici');
  });

  it('runs an open loop with undici and says why, even when wrk was asked for', () => {
    const cli = parseCli(['small', '--rate=1000', '--generator=wrk']);
    const { settings, notes } = resolveSettings(scenario('small'), cli, true, 2);
    assert.equal(settings.generator, 'undici');
    assert.equal(settings.rate, 1000);
    assert.match(notes[0], /wrk cannot hold a fixed rate/);
  });

  it('lets flags override scenario defaults and caps connections', () => {
    const cli = parseCli(['smoke', '--duration=3s', '--connections=9000']);
    const { settings, notes } = resolveSettings(scenario('smoke'), cli, true, 2);
    assert.equal(settings.durationMs, 3000);
    assert.equal(settings.rounds, 1);
    assert.equal(settings.connections, 4000);
    assert.match(notes[0], /capped at 4000/);
  });

  it('gives the load generator about half the cores', () => {
    assert.equal(defaultThreads(1), 1);
    assert.equal(defaultThreads(2), 1);
    assert.equal(defaultThreads(8), 4);
    assert.equal(defaultThreads(64), 4);
  });

  it('budgets at least every round of every contender', () => {
    const { settings } = resolveSettings(scenario('small'), parseCli([]), true, 2);
    assert.ok(
      budgetMs(settings, 4) > settings.rounds * 4 * (settings.durationMs + settings.warmupMs),
    );
  });
});
