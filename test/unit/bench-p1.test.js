'use strict';
// `home-energy bench p1-parse`: result shape, same telegram set for every contender, and a few values
// our parser produces for those telegrams. Checks behaviour only — no timing thresholds (DESIGN.md §6).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { runBench } = require('../../dist/cli/bench');
const bench = require('../../dist/bench/p1-parse');
const { parseTelegram } = require('../../dist/lib/devices/p1/parser');

const CONTENDERS = ['ours', 'ours-parse-only', 'dsmr-parser', 'p1-reader'];

async function runJson(args) {
  const out = [];
  const err = [];
  const code = await runBench(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

function checkSet(s, label) {
  assert.ok(s.telegrams > 0, `${label}: some telegrams measured`);
  assert.equal(s.excluded.length, s.offered - s.telegrams, `${label}: every offered telegram is measured or listed as excluded`);
  for (const k of CONTENDERS) {
    const r = s.results[k];
    assert.ok(r, `${label}: result for ${k}`);
    assert.equal(r.telegrams, s.telegrams, `${label}: ${k} parsed the same telegram set`);
    assert.ok(Number.isFinite(r.telegramsPerSecond) && r.telegramsPerSecond > 0, `${label}: ${k} telegramsPerSecond is a positive number`);
    assert.ok(Array.isArray(r.rounds) && r.rounds.length >= 3, `${label}: ${k} has its rounds`);
    assert.ok(s.accepted[k] >= s.telegrams && s.accepted[k] <= s.offered, `${label}: ${k} accepted count`);
  }
  for (const k of ['ours/dsmr-parser', 'ours/p1-reader', 'ours/fastest-other', 'ours-parse-only/fastest-other']) {
    assert.ok(Number.isFinite(s.ratios[k]) && s.ratios[k] > 0, `${label}: ratio ${k}`);
  }
  assert.ok(['dsmr-parser', 'p1-reader'].includes(s.fastestOther), `${label}: fastestOther`);
  assert.ok(s.agreement.compared > 0, `${label}: values were cross-checked`);
  assert.deepEqual(s.agreement.mismatches, [], `${label}: parsers agree on 1.7.0 and 1.8.1`);
}

test('bench p1-parse --json: shape, same set for every contender, no disagreement', async () => {
  const { code, out, err } = await runJson(['p1-parse', '--seconds', '0.5', '--json']);
  assert.equal(code, 0, err.join('\n'));
  assert.equal(out.length, 1, 'one JSON line');
  const r = JSON.parse(out[0]);
  assert.equal(r.benchmark, 'p1-parse');
  assert.equal(r.seconds, 0.5);
  assert.ok(Number.isInteger(r.telegrams) && r.telegrams > 0);
  assert.equal(r.telegrams, r.sets.fixtures.telegrams);
  for (const k of ['ours', 'dsmr-parser', 'p1-reader']) assert.equal(r.results[k].telegrams, r.telegrams, `${k} parsed ${r.telegrams} telegrams`);
  assert.ok(Number.isFinite(r.ratios['ours/fastest-other']));
  assert.ok(Array.isArray(r.notes) && r.notes.length > 0);
  for (const k of CONTENDERS) assert.ok(typeof r.contenders[k].does === 'string' && r.contenders[k].does.length > 20, `${k}: fairness statement`);
  assert.equal(typeof r.target.met, 'boolean');
  checkSet(r.sets.fixtures, 'fixtures');
  checkSet(r.sets.typical, 'typical');
  // The generated set is valid DSMR: every contender (dsmr-parser checks the CRC independently) accepts all of it.
  assert.equal(r.sets.typical.telegrams, r.sets.typical.offered);
  assert.equal(r.sets.typical.telegrams, 120);
});

test('bench p1-parse falls back to the built-in vectors when the telegram directory is missing', async () => {
  const missing = path.join(__dirname, 'no-such-telegram-dir');
  const r = await bench.benchP1Parse({ seconds: 0.2, telegramsDir: missing });
  assert.equal(r.sets.fixtures.source, 'built-in');
  assert.equal(r.telegrams, 3);
  for (const k of CONTENDERS) assert.equal(r.sets.fixtures.accepted[k], 3, `${k} accepts V1, V2, V7`);
  assert.ok(r.notes.some((n) => n.includes('built-in')));
});

test('our parser on the benchmark telegrams: known values', () => {
  const [v1, v2, v7] = bench.BUILT_IN_TELEGRAMS.map((t) => parseTelegram(t.text));
  for (const t of [v1, v2, v7]) assert.equal(t.crc, 'ok');
  assert.equal(v1.importPower, 1765);
  assert.equal(v1.exportPower, 0);
  assert.deepEqual(v1.energy.importTariffWh, [4000647, 1154948]);
  assert.equal(v1.timestamp, '2019-12-29T22:37:14.000Z');
  assert.equal(v1.phases.length, 3);
  assert.equal(v1.phases[2].importPower, 1596);
  assert.equal(v2.gas.m3, 485.627);
  assert.equal(v7.protocol, 'e-MUCS 50217');
  assert.equal(v7.capacity.monthPeakW, 3064);
  assert.equal(v7.capacity.history.length, 4);
  assert.equal(v7.capacity.history[0].at, null, '632525252525W placeholder is null');

  // Generated telegrams: values the generator wrote are the values we read back.
  const d = parseTelegram(bench.generateDsmr5(1)[0].text);
  assert.equal(d.crc, 'ok');
  assert.equal(d.protocol, 'DSMR 5.0');
  assert.equal(d.timestamp, '2024-01-15T11:00:00.000Z');
  assert.equal(d.phases.length, 3);
  // Per-phase powers add up to the total, within the meter's rounding of each value to 1 W.
  assert.ok(Math.abs(d.power - d.phases.reduce((a, p) => a + p.power, 0)) <= 3);
  const e = parseTelegram(bench.generateEmucs(1)[0].text);
  assert.equal(e.crc, 'ok');
  assert.equal(e.profile, 'BE');
  assert.equal(e.capacity.history.length, 13);
  assert.ok(e.gas && e.water, 'gas and water M-Bus readings');
});

test('bench dispatcher: unknown name and bad options', async () => {
  const unknown = await runJson(['no-such-bench']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err.join('\n'), /unknown command "no-such-bench" \(p1-parse/);
  const none = await runJson([]);
  assert.equal(none.code, 2);
  assert.match(none.err.join('\n'), /p1-parse/);
  const bad = await runJson(['p1-parse', '--seconds', 'abc']);
  assert.equal(bad.code, 2);
  assert.match(bad.err[0], /--seconds must be a positive number/);
  assert.match(bad.err[1], /^usage: home-energy bench p1-parse /);
});
