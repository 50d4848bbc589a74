'use strict';
// The planner benchmark (bench/planner): result shape, and on synthetic two-peak prices the
// rolling planner reaches ≥ 99 % of the perfect-foresight oracle's saving and beats every rule.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { runPlannerBench, plannerBenchMarkdown } = require(path.join(__dirname, '../../dist/bench/planner/index.js'));
const { plannerBenchSvg } = require(path.join(__dirname, '../../dist/bench/planner/svg.js'));
const { profileFromCsv } = require(path.join(__dirname, '../../dist/bench/planner/profile.js'));
const { plannerOptions } = require(path.join(__dirname, '../../dist/bench/planner/definition.js'));
const fs = require('node:fs');
const os = require('node:os');

const H = 3_600_000;
/** Hourly EUR/MWh for 4 days from 2026-01-04 23:00 UTC (local midnight): cheap nights and noon, dear mornings and evenings. */
function prices() {
  const t0 = Date.parse('2026-01-04T23:00:00Z');
  return Array.from({ length: 4 * 24 + 48 }, (_, i) => {
    const hour = i % 24;
    const base = hour < 6 ? 40 : hour < 9 ? 160 : hour < 16 ? 70 : hour < 21 ? 220 : 90;
    return { start: t0 + i * H, end: t0 + (i + 1) * H, spot: base + ((i * 37) % 11) };
  });
}

describe('planner benchmark', () => {
  it('gives every contender and score, and ours is within 1 % of the oracle and above every baseline', () => {
    const r = runPlannerBench({ prices: prices(), from: '2026-01-05', days: 2, horizonH: 24 });
    assert.deepEqual(Object.keys(r.results).sort(), ['balancing', 'greedy', 'noBattery', 'oracle', 'ours', 'threshold']);
    for (const v of Object.values(r.results)) assert.deepEqual(Object.keys(v).sort(), ['costEur', 'cycles', 'planChangesPerDay', 'savingEur', 'savingPctOfOracle']);
    const { ours, oracle, balancing, threshold, greedy, noBattery } = r.results;
    assert.equal(noBattery.savingEur, 0);
    assert.equal(oracle.savingPctOfOracle, 100);
    assert.ok(oracle.savingEur > 0.5, `oracle saves ${oracle.savingEur}`);
    assert.ok(ours.savingPctOfOracle >= 99, `ours ${ours.savingPctOfOracle} %`);
    assert.ok(ours.savingPctOfOracle <= 100.5, 'no contender beats the oracle by more than rounding');
    for (const b of [balancing, threshold, greedy]) assert.ok(ours.savingEur > b.savingEur, `ours ${ours.savingEur} vs ${b.savingEur}`);
    assert.equal(r.scenario.slots, 2 * 96);
    assert.ok(r.solveMs > 0);
    assert.match(plannerBenchMarkdown(r), /\| ours \| /);
    assert.equal(r.trace, undefined);
  });
  it('with trace: per-slot SoC and prices, and an SVG of them (price, SoC and grid panels)', () => {
    const r = runPlannerBench({ prices: prices(), from: '2026-01-05', days: 1, horizonH: 12, trace: true });
    assert.equal(r.trace.socOurs.length, 96);
    assert.ok(r.trace.socOurs.every((x) => x >= 5 - 1e-9 && x <= 100 + 1e-9));
    assert.ok(Math.max(...r.trace.socOracle) > 90, 'the oracle fills the battery for the dear evening');
    const svg = plannerBenchSvg(r);
    assert.match(svg, /^<svg /);
    assert.equal((svg.match(/<path /g) || []).length, 5, 'import, feed-in, SoC ours, SoC oracle, grid');
    assert.throws(() => plannerBenchSvg({ ...r, trace: undefined }), /trace: true/);
  });
  it('a gap in the prices inside the run is an error naming the slot', () => {
    const p = prices().filter((_, i) => i !== 30);
    assert.throws(() => runPlannerBench({ prices: p, from: '2026-01-05', days: 2 }), /prices: none for 2026-01-06T05:00:00.000Z/);
  });
  it('--load / --pv profiles from CSV: 1-minute rows averaged, hourly rows held, kW scaled, replayed from the first local midnight', () => {
    const minutes = ['timestamp_local,active_power_W', ...Array.from({ length: 30 }, (_, i) => `2006-12-16T00:${String(i).padStart(2, '0')}:00,${i < 15 ? 100 : 400}`)].join('\n');
    assert.deepEqual(profileFromCsv(minutes), [100, 400]);
    const hourly = 'interval_start_utc,interval_start_local,pv_kW\n2015-10-04T01:00:00Z,2015-10-04T03:00:00+0200,0.5\n2015-10-04T02:00:00Z,2015-10-04T04:00:00+0200,\n2015-10-04T03:00:00Z,2015-10-04T05:00:00+0200,-0.1\n';
    const pv = profileFromCsv(hourly, 'pv_kW', true);
    // from local midnight (the local column) to the last row; the first value held before it, the blank 04:00 holds 03:00's, negative PV clipped
    assert.deepEqual(pv, [...Array(20).fill(500), 0]);
    assert.match(profileFromCsv(hourly, 'nope').error, /no column "nope"/);
    assert.match(profileFromCsv('t,w\nyesterday,5').error, /row 2: "yesterday" is not a time/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-bench-'));
    const f = path.join(dir, 'load.csv');
    fs.writeFileSync(f, minutes);
    const o = plannerOptions({ prices: 'x.csv', load: `${f}:active_power_W` });
    assert.deepEqual(o.load, [100, 400]);
    assert.equal(o.loadLabel, `${f}:active_power_W`);
    assert.throws(() => plannerOptions({ prices: 'x.csv', pv: path.join(dir, 'missing.csv') }), /--pv: cannot read/);
    fs.rmSync(dir, { recursive: true });
  });
});
