'use strict';
// `home-energy bench zero-export`: harness correctness (sampling, latency, integration), metric functions on
// hand-made traces, baselines against hand-computed values, time-of-day alignment and cycling, JSON shape,
// determinism and usage errors. Behaviour only — no timing thresholds (DESIGN.md §6).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { runCli } = require('../helpers');
const { runBench } = require('../../dist/cli/bench');
const { runClosedLoop } = require('../../dist/bench/zero-export/engine');
const { DEFAULT_PLANT, waterFill, splitSigned } = require('../../dist/bench/zero-export/plant');
const { buildScenario, holdAt, stepProfile, parseFileSpec, STEP } = require('../../dist/bench/zero-export/scenario');
const metrics = require('../../dist/bench/zero-export/metrics');
const { OpenEmsPidFilter, MarstekPd, NaiveLoop, OpenEmsBalancing } = require('../../dist/bench/zero-export/baselines');
const { applianceTrace, mulberry32 } = require('../../dist/bench/zero-export/appliances');
const { loadSeries } = require('../../dist/lib/sim/household');

const repoRoot = path.resolve(__dirname, '..', '..');
const DATA = path.join(repoRoot, '..', 'shared', 'data', 'household_load_pv');
const LOAD = path.join(DATA, 'uci_sceaux_fr_1min_2006-12-16_2007-01-11.csv');
const PV1 = path.join(DATA, 'nrel_serf_east_pv_1min_2022-03-18_19.csv');
const skipData = fs.existsSync(LOAD) && fs.existsSync(PV1) ? false : `shared data not found at ${DATA}`;
const KEYS = ['ours', 'oracle', 'noBattery', 'openems', 'pd', 'naive'];
const FIELDS = ['gridImportWh', 'gridExportWh', 'regretPct', 'settleS', 'crossingsPerHour', 'commandsPerHour'];

async function bench(args) {
  const out = [];
  const err = [];
  const code = await runBench(['zero-export', ...args], (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

/** A synthetic profile: constant load and PV per second (arrays), starting at a fixed epoch. */
function profile(seconds, loadW, pvW = 0) {
  const load = new Float64Array(seconds).fill(0).map((_, s) => (typeof loadW === 'function' ? loadW(s) : loadW));
  const pv = new Float64Array(seconds + 1).fill(0).map((_, s) => (typeof pvW === 'function' ? pvW(s) : pvW));
  return { startMs: Date.UTC(2024, 5, 1, 10), durationMs: seconds * 1000, load, pv };
}

// ---------------------------------------------------------------------------------------------
// Harness

test('engine: meter samples, latency, polls and ticks reach the controller as specified', () => {
  const p = profile(30, 700, 200);
  const calls = [];
  const spy = {
    step(inputs, now) {
      calls.push({ inputs: JSON.parse(JSON.stringify(inputs)), now });
      // One command at 10 s: +300 W (discharge) to b1.
      return { commands: now === p.startMs + 10_000 ? [{ unit: 'b1', power: 300, reason: 'test' }] : [] };
    },
  };
  const r = runClosedLoop(p, { ...DEFAULT_PLANT, batteries: 2 }, { kind: 'controller', create: () => spy });
  assert.equal(r.commands, 1);
  // Called at least every 250 ms, never twice at the same instant.
  for (let i = 1; i < calls.length; i++) {
    const gap = calls[i].now - calls[i - 1].now;
    assert.ok(gap > 0 && gap <= 250, `gap ${gap} ms at ${calls[i].now - p.startMs}`);
  }
  const meters = calls.filter((c) => c.inputs.meter);
  assert.equal(meters.length, 30, 'samples at 0 … 29 s delivered by 29.5 s');
  meters.forEach((c, k) => {
    assert.equal(c.inputs.meter.timestamp, p.startMs + k * 1000, 'sampled at k·period');
    assert.equal(c.now, c.inputs.meter.timestamp + 500, 'delivered after the meter latency');
  });
  // Before the battery moves, the meter sees load − PV; the command takes effect after 2 s and ramps at 1000 W/s.
  const at = (s) => meters.find((c) => c.inputs.meter.timestamp === p.startMs + s * 1000).inputs.meter.power;
  assert.equal(at(5), 500);
  assert.equal(at(12), 500, 'at 12.0 s the latency just ended');
  assert.equal(at(13), 200, '300 W discharge reached at 12.3 s');
  const polls = calls.filter((c) => c.inputs.units);
  assert.equal(polls.length, 30, 'polls at 0.5 … 29.5 s (half a second after the meter samples)');
  polls.forEach((c, k) => assert.equal(c.now, p.startMs + k * 1000 + 500));
  const poll = (s) => polls[s].inputs.units;
  assert.deepEqual(Object.keys(poll(0)), ['b1', 'b2']);
  assert.equal(poll(9).b1.setpoint, null);
  assert.equal(poll(11).b1.setpoint, 300);
  assert.equal(poll(13).b1.power, 300);
  assert.equal(poll(13).b2.power, 0);
  assert.equal(poll(0).b1.state, 'ready');
  assert.deepEqual(poll(0).b1.limits, { maxChargeW: 2200, maxDischargeW: 1700 });
  assert.equal(poll(0).b1.capacityWh, 5200);
  assert.equal(poll(0).b1.soc, 50);
});

test('engine: import/export integrate exactly (constant, ramp, zero crossing) with one rule for every contender', () => {
  const none = { kind: 'none' };
  const c = runClosedLoop(profile(3600, 1000), DEFAULT_PLANT, none);
  assert.ok(Math.abs(c.importWh - 1000) < 1e-6, `${c.importWh}`);
  assert.equal(c.exportWh, 0);
  // PV rising 1 W per second from 0: export = ∫ s ds = 3600²/2 W·s = 1800 Wh.
  const ramp = runClosedLoop(profile(3600, 0, (s) => s), DEFAULT_PLANT, none);
  assert.ok(Math.abs(ramp.exportWh - 1800) < 1e-6, `${ramp.exportWh}`);
  // G from +1000 to −1000 within one second: 250 W·s each way.
  const cross = runClosedLoop(profile(1, 1000, (s) => s * 2000), DEFAULT_PLANT, none);
  assert.ok(Math.abs(cross.importWh - 250 / 3600) < 1e-9);
  assert.ok(Math.abs(cross.exportWh - 250 / 3600) < 1e-9);
  // The oracle with enough battery leaves nothing on the grid (1 h of 800 W load, 1 unit).
  const o = runClosedLoop(profile(3600, 800), DEFAULT_PLANT, { kind: 'oracle' });
  assert.ok(o.importWh + o.exportWh < 1e-6, `${o.importWh} ${o.exportWh}`);
  for (const g of o.grid) assert.ok(Math.abs(g) < 1e-6);
  // Saturated: 2500 W load, 1700 W discharge limit → 800 W import for the oracle too.
  const sat = runClosedLoop(profile(600, 2500), DEFAULT_PLANT, { kind: 'oracle' });
  assert.ok(Math.abs(sat.importWh - (800 * 600) / 3600) < 1e-6, `${sat.importWh}`);
});

test('engine: the oracle stops at the SoC window and is never worse than no battery', () => {
  // 1700 W for 2 h from 50 % of 5200 Wh: empty (5 %) after ~1.3 h.
  const p = profile(7200, 1700);
  const o = runClosedLoop(p, DEFAULT_PLANT, { kind: 'oracle' });
  const nb = runClosedLoop(p, DEFAULT_PLANT, { kind: 'none' });
  assert.ok(Math.abs(o.finalSocPct[0] - 5) < 0.01, `final SoC ${o.finalSocPct[0]}`);
  assert.ok(o.importWh > 500 && o.importWh < nb.importWh);
  // Charging side: 1 h of 3000 W PV surplus on 3 units (6600 W charge limit, plenty of room): no export.
  const pv = profile(3600, 0, 3000);
  const o3 = runClosedLoop(pv, { ...DEFAULT_PLANT, batteries: 3 }, { kind: 'oracle' });
  assert.ok(o3.exportWh < 1e-6);
  assert.ok(o3.finalSocPct.every((x) => Math.abs(x - o3.finalSocPct[0]) < 1e-9), 'equal split');
});

test('step test: physical limits for the naive loop, 0 s for the oracle, null without battery', () => {
  const p = stepProfile(Date.UTC(2024, 0, 1));
  const idx = STEP.atMs / 100;
  const settle = (kind) => {
    let c;
    if (kind === 'naive') c = { kind: 'controller', create: (ids) => new NaiveLoop(ids.map((id) => ({ id, maxChargeW: 2200, maxDischargeW: 1700 }))) };
    else c = { kind };
    return metrics.settleTime(runClosedLoop(p, { ...DEFAULT_PLANT, batteryPhaseMs: 0 }, c).grid, 100, idx);
  };
  // (Battery polls on the meter's instants.) Next sample 121.0 s, delivered 121.5 s, battery starts
  // 123.5 s, 975 W more at 1000 W/s → in band from 124.5 s.
  assert.equal(settle('naive'), 4.2);
  assert.equal(settle('oracle'), 0);
  assert.equal(settle('none'), null);
});

// ---------------------------------------------------------------------------------------------
// Metrics

test('metrics: regret formula and null denominator', () => {
  assert.equal(metrics.regretPct(110, 100, 200), 10);
  assert.equal(metrics.regretPct(100, 100, 200), 0);
  assert.equal(metrics.regretPct(200, 100, 200), 100);
  assert.equal(metrics.regretPct(150, 100, 100.5), null);
  assert.equal(metrics.regretPct(150, 100, 100), null);
});

test('metrics: integrateLinear splits at the zero crossing', () => {
  assert.deepEqual(metrics.integrateLinear(100, 300, 3600), { importWh: 200, exportWh: 0 });
  assert.deepEqual(metrics.integrateLinear(-100, -300, 3600), { importWh: 0, exportWh: 200 });
  const r = metrics.integrateLinear(100, -300, 3600); // zero at 1/4
  assert.ok(Math.abs(r.importWh - 12.5) < 1e-9 && Math.abs(r.exportWh - 112.5) < 1e-9);
});

test('metrics: crossings count with hysteresis and only in steady state', () => {
  const g = [30, -30, 30, 10, -10, -30, 30];
  assert.equal(metrics.countCrossings(g, g.map(() => 1)), 4);
  assert.equal(metrics.countCrossings([30, 20, -20, 24, -26], [1, 1, 1, 1, 1]), 1, 'inside ±25 W does not count');
  // Not steady at index 3: the state resets, so −30 after it starts a new side without counting.
  assert.equal(metrics.countCrossings(g, [1, 1, 1, 0, 1, 1, 1]), 3);
  assert.equal(metrics.countCrossings(g, g.map(() => 0)), 0);
});

test('metrics: settle detection', () => {
  const trace = (inBandFrom, len = 2000, blips = []) => {
    const g = new Array(len).fill(0).map((_, i) => (i < inBandFrom ? 1000 : 20));
    for (const b of blips) g[b] = 40;
    return g;
  };
  assert.equal(metrics.settleTime(trace(5), 100, 0), 0.5);
  assert.equal(metrics.settleTime(trace(5, 2000, [50]), 100, 0), 5.1, 'a blip restarts the 10-s window');
  assert.equal(metrics.settleTime(trace(5, 100), 100, 0), null, 'trace ends before 10 s in band');
  assert.equal(metrics.settleTime(trace(1205, 2000), 100, 0), null, 'window starts after 120 s');
  assert.equal(metrics.settleTime(trace(1195, 2400), 100, 0), 119.5);
  assert.equal(metrics.settleTime(trace(1200, 2400), 100, 0), 120, 'a window starting exactly 120 s after the step counts');
  assert.equal(metrics.settleTime(trace(300, 2000), 100, 200), 10, 'counted from the step index');
  assert.equal(metrics.settleTime(new Array(500).fill(-26), 100, 0), null);
});

test('metrics: steady mask (oracle within band, net load calm over 20 s) and busiest window', () => {
  const net = new Array(60).fill(1000);
  for (let s = 30; s < 60; s++) net[s] = 1100; // a 100 W step at 30 s
  const oracle = new Array(600).fill(0);
  oracle[550] = 30; // saturated at one sample
  const m = metrics.steadyMask(oracle, net, 10);
  assert.equal(m[199], 0, 'first 20 s never steady');
  assert.equal(m[200], 1);
  assert.equal(m[299], 1);
  assert.equal(m[300], 0, 'step at 30 s');
  assert.equal(m[499], 0, 'the window [29 s, 49 s] still holds the step');
  assert.equal(m[500], 1, '[30 s, 50 s] is calm again');
  assert.equal(m[550], 0, 'oracle outside ±25 W');
  assert.equal(m[551], 1);
  const busy = new Array(300).fill(0).map((_, s) => (s >= 200 && s < 230 && s % 2 ? 500 : 0));
  assert.equal(metrics.busiestWindow(busy, 40), 191);
  const usable = busy.map((_, s) => (s < 150 ? 1 : 0));
  assert.equal(metrics.busiestWindow(busy, 40, usable), 0, 'movement where the oracle is saturated does not count');
});

// ---------------------------------------------------------------------------------------------
// Baselines and split

test('split: water-filling over usable units', () => {
  assert.deepEqual(waterFill(3000, [1700, 1700, 0]), [1500, 1500, 0]);
  assert.deepEqual(waterFill(4000, [1700, 1700, 1000]).map(Math.round), [1500, 1500, 1000]);
  assert.deepEqual(waterFill(9000, [1700, 1700]), [1700, 1700]);
  assert.deepEqual(splitSigned(-3000, [2200, 2200], [1700, 1700], [true, false], [true, true]), [-2200, 0]);
  assert.deepEqual(splitSigned(1000, [2200, 2200], [1700, 1700], [true, true], [false, true]), [0, 1000]);
});

test('OpenEMS PidFilter: hand-computed outputs, target clamp, error-sum clamp', () => {
  const f = new OpenEmsPidFilter();
  f.setLimits(-2200, 1700);
  // out = 0.3·e + 0.3·Σ(previous e) − 0.1·Δinput
  assert.equal(f.apply(0, 1000), 300);
  assert.equal(f.apply(300, 1000), 480); // 210 + 300 − 30
  assert.equal(f.apply(480, 1000), 648); // 156 + 510 − 18
  assert.equal(f.apply(1000, 1000), 1000, 'error 0 returns the target');
  const g = new OpenEmsPidFilter();
  g.setLimits(-2200, 1700);
  assert.equal(g.apply(0, 5000), 510, 'target clamped to 1700 first: 0.3 × 1700');
  // The error sum is clamped to 10 × 2200: after many cycles of a large error the I term stays bounded.
  const h = new OpenEmsPidFilter();
  h.setLimits(-2200, 1700);
  for (let i = 0; i < 200; i++) h.apply(0, 1700);
  // errorSum stopped at 10 × 2200 = 22000 (not 200 × 1700): with −2200 W errors it falls below 2200 on the 11th cycle.
  const outs = [];
  for (let i = 0; i < 12; i++) outs.push(h.apply(0, -2200));
  assert.equal(outs.findIndex((x) => x < 0), 10);
  assert.equal(outs[0], 1700, 'output clamped to the high limit');
});

test('baselines: naive, OpenEMS and PD basic behaviour', () => {
  const units = [
    { id: 'b1', maxChargeW: 2200, maxDischargeW: 1700 },
    { id: 'b2', maxChargeW: 2200, maxDischargeW: 1700 },
  ];
  const obs = (power, state = 'ready') => ({ power, soc: 50, state, timestamp: 0 });
  const naive = new NaiveLoop(units);
  assert.deepEqual(naive.step({ units: { b1: obs(100), b2: obs(100) } }, 0).commands, []);
  const c = naive.step({ meter: { power: 300, timestamp: 0 } }, 500).commands;
  assert.deepEqual(c.map((x) => [x.unit, x.power]), [['b1', 250], ['b2', 250]]);
  assert.deepEqual(naive.step({ meter: { power: 300, timestamp: 1000 } }, 1500).commands, [], 'unchanged setpoints are not re-sent');
  naive.step({ units: { b1: obs(250, 'empty'), b2: obs(250) } }, 2000);
  assert.deepEqual(naive.step({ meter: { power: 100, timestamp: 2000 } }, 2500).commands.map((x) => [x.unit, x.power]), [['b1', 0], ['b2', 600]]);

  // OpenEMS: one cycle per second whatever the call rate.
  const oe = new OpenEmsBalancing(units);
  let n = 0;
  oe.step({ meter: { power: 1000, timestamp: 0 }, units: { b1: obs(0), b2: obs(0) } }, 0);
  for (let t = 250; t < 5000; t += 250) n += oe.step({}, t).commands.length > 0 ? 1 : 0;
  assert.ok(n <= 4, `${n} cycles with commands in 5 s`);

  // Marstek PD: first cycle sets −(grid − target) (their + charge → our + discharge); within ±40 W nothing is sent.
  const pd = new MarstekPd([units[0]]);
  assert.deepEqual(pd.step({ units: { b1: obs(0) } }, 0).commands, []);
  assert.deepEqual(pd.step({ meter: { power: 30, timestamp: 0 } }, 500).commands.map((x) => x.power), [30]);
  let sent = 0;
  for (let t = 1500; t < 30_000; t += 1000) sent += pd.step({ meter: { power: 30, timestamp: t - 500 } }, t).commands.length;
  assert.equal(sent, 0, 'inside the deadband');
});

// ---------------------------------------------------------------------------------------------
// Scenario: alignment and cycling, appliances

function writeCsv(dir, name, header, rows) {
  const f = path.join(dir, name);
  fs.writeFileSync(f, [header, ...rows].join('\n') + '\n');
  return f;
}

test('scenario: a 1-day PV file from another year is aligned by local time of day and cycled over a longer load file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ze-align-'));
  const pad = (n) => String(n).padStart(2, '0');
  const loadRows = [];
  for (let d = 1; d <= 3; d++)
    for (let m = 0; m < 1440; m++) loadRows.push(`2020-01-${pad(d)}T${pad(Math.floor(m / 60))}:${pad(m % 60)}:00,${d * 1000 + m}`);
  const pvRows = [];
  for (let m = 0; m < 1440; m++) pvRows.push(`2021-06-15 ${pad(Math.floor(m / 60))}:${pad(m % 60)}:00-07:00,${m}`);
  const load = writeCsv(dir, 'load.csv', 'timestamp_local,power_W', loadRows);
  const pv = writeCsv(dir, 'pv.csv', 'measured_on,ac_power', pvRows);
  const { profile: p, data } = buildScenario({ load, pv, from: '2020-01-02', days: 2, pvScale: 2, seed: 3 });
  assert.equal(data.durationS, 2 * 86400);
  assert.equal(data.start, '2020-01-02T00:00');
  assert.equal(data.pv.cycled, true);
  assert.equal(data.load.cycled, false);
  assert.match(data.alignment, /local time of day/);
  assert.match(data.alignment, /cycled/);
  assert.deepEqual(data.dates, [
    { date: '2020-01-02', load: '2020-01-02', pv: '2021-06-15' },
    { date: '2020-01-03', load: '2020-01-03', pv: '2021-06-15' },
  ]);
  const s1030 = 10 * 3600 + 30 * 60;
  assert.equal(p.pv[s1030], 2 * 630, 'PV at 10:30 local = PV file at 10:30 (its own local time), × pv-scale');
  assert.equal(p.pv[86400 + s1030], 2 * 630, 'next day: the same PV day again');
  assert.equal(p.pv[s1030 + 30], 2 * 630.5, 'interpolated linearly within the minute');
  // Load: held minute values of the load file's own date.
  assert.equal(p.base[s1030], 2000 + 630);
  assert.equal(p.base[s1030 + 59], 2000 + 630, 'held, not interpolated');
  assert.equal(p.base[86400 + s1030], 3000 + 630);
  // The events add to the recorded load only.
  let diff = 0;
  for (let s = 0; s < p.load.length; s++) diff += p.load[s] - p.base[s];
  assert.ok(Math.abs(diff / 3600 - data.appliances.addedWh.total) < 1);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('scenario: FILE:COLUMN parsing and held lookup', () => {
  assert.deepEqual(parseFileSpec('/no/such/file.csv:pv_kW'), { file: '/no/such/file.csv', column: 'pv_kW' });
  assert.deepEqual(parseFileSpec('/no/such/file.csv'), { file: '/no/such/file.csv' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ze-hold-'));
  const f = writeCsv(dir, 'l.csv', 'timestamp,load_W', ['2020-01-01T00:00:00,100', '2020-01-01T00:01:00,200', '2020-01-01T00:02:00,300']);
  const s = loadSeries(f);
  assert.equal(holdAt(s, Date.UTC(2020, 0, 1, 0, 0, 59)), 100);
  assert.equal(holdAt(s, Date.UTC(2020, 0, 1, 0, 1)), 200);
  assert.equal(holdAt(s, Date.UTC(2020, 0, 1, 0, 5)), 300);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('appliances: seeded, prefix-stable, rates follow the time of day', () => {
  const hour = (s) => Math.floor(s / 3600) % 24;
  const a = applianceTrace(86400, 7, hour);
  const b = applianceTrace(86400, 7, hour);
  assert.deepEqual(Array.from(a.extra), Array.from(b.extra));
  const short = applianceTrace(3600, 7, hour);
  assert.deepEqual(Array.from(short.extra.subarray(0, 600)), Array.from(a.extra.subarray(0, 600)), 'a shorter run is a prefix (fridge + first minutes)');
  const c = applianceTrace(86400, 8, hour);
  assert.notDeepEqual(Array.from(c.extra.subarray(0, 100)), Array.from(a.extra.subarray(0, 100)));
  assert.equal(a.summary.starts.oven >= 0 && a.summary.starts.kettle > 0, true);
  // Noise stays within ±12 W where no appliance runs: the minimum extra over the day is ≥ −12 W.
  assert.ok(Math.min(...a.extra) >= -12);
  assert.equal(typeof mulberry32(1)(), 'number');
});

// ---------------------------------------------------------------------------------------------
// End to end on the shared data

const MIDDAY = ['--load', LOAD, '--pv', PV1, '--from', '2006-12-17T11:00', '--hours', '1'];

test('bench zero-export --json: one object {scenario, results} with the six contenders', { skip: skipData }, async () => {
  const { code, out, err } = await bench([...MIDDAY, '--json']);
  assert.equal(code, 0, err.join('\n'));
  assert.equal(out.length, 1);
  const r = JSON.parse(out[0]);
  assert.deepEqual(Object.keys(r), ['scenario', 'results']);
  assert.deepEqual(Object.keys(r.results), KEYS);
  for (const k of KEYS) {
    assert.deepEqual(Object.keys(r.results[k]), FIELDS, k);
    for (const f of FIELDS) assert.ok(r.results[k][f] === null || Number.isFinite(r.results[k][f]), `${k}.${f}`);
    assert.ok(r.results[k].gridImportWh >= 0 && r.results[k].gridExportWh >= 0);
  }
  const total = (k) => r.results[k].gridImportWh + r.results[k].gridExportWh;
  for (const k of KEYS) assert.ok(total('oracle') <= total(k) + 0.1, `oracle ≤ ${k}`);
  assert.equal(r.results.oracle.regretPct, 0);
  assert.equal(r.results.noBattery.regretPct, 100);
  assert.equal(r.results.oracle.settleS, 0);
  assert.equal(r.results.noBattery.settleS, null);
  assert.equal(r.results.oracle.commandsPerHour, null);
  assert.equal(r.results.noBattery.commandsPerHour, 0);
  // Polls half a second after the samples: naive adds a battery power 0.5 s younger than the grid sample.
  assert.equal(r.results.naive.settleS, 7.6);
  const s = r.scenario;
  assert.equal(s.start, '2006-12-17T11:00');
  assert.equal(s.durationS, 3600);
  assert.equal(s.timeZone, 'Europe/Paris');
  assert.equal(s.pv.cycled, true);
  assert.match(s.alignment, /aligned to the load by local time of day/);
  assert.deepEqual(s.plant, {
    batteries: 1,
    meterPeriodS: 1,
    meterLatencyS: 0.5,
    batteryLatencyS: 2,
    rampWPerS: 1000,
    batteryPollS: 1,
    batteryPhaseS: 0.5,
    initialSocPct: 50,
    capacityWh: 5200,
    maxChargeW: 2200,
    maxDischargeW: 1700,
    minSocPct: 5,
    maxSocPct: 100,
    efficiency: s.plant.efficiency,
  });
  assert.ok(s.means.pvW > 1000, 'midday PV');
});

test('bench zero-export: same arguments and seed → byte-identical JSON; another seed differs', { skip: skipData }, async () => {
  const args = [...MIDDAY, '--batteries', '3', '--meter-period', '10', '--json'];
  const a = await bench(args);
  const b = await bench(args);
  assert.equal(a.code, 0);
  assert.equal(a.out[0], b.out[0]);
  const c = await bench([...args, '--seed', '2']);
  assert.notEqual(c.out[0], a.out[0]);
  assert.equal(JSON.parse(a.out[0]).scenario.plant.batteries, 3);
});

test('bench zero-export without --json: matrix over the open settings (meter 1/10 s × battery poll 1/5 s), report, plots and table', { skip: skipData }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ze-report-'));
  const { code, out, err } = await bench([...MIDDAY, '--hours', '0.5', '--batteries', '1', '--out', dir]);
  assert.equal(code, 0, err.join('\n'));
  const text = out.join('\n');
  assert.match(text, /\| 1 batt\., 1 s meter, 1 s poll \| ours \|/);
  assert.match(text, /\| 1 batt\., 1 s meter, 5 s poll \| ours \|/);
  assert.match(text, /\| 1 batt\., 10 s meter, 1 s poll \| naive \|/);
  assert.match(text, /\| 1 batt\., 10 s meter, 5 s poll \| naive \|/);
  for (const f of ['report.md', 'results.json', 'step-1bat-1s-poll1s.svg', 'day-1bat-1s-poll1s.svg', 'step-1bat-10s-poll5s.svg', 'day-1bat-10s-poll5s.svg', 'step-1bat-1s-poll5s.svg', 'step-1bat-10s-poll1s.svg']) {
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  }
  const svg = fs.readFileSync(path.join(dir, 'step-1bat-1s-poll1s.svg'), 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<polyline/g) || []).length, 6);
  const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
  for (const word of ['Alignment', 'cycled', 'kettle', 'latency', '| scenario | controller |', 'step-1bat-10s-poll5s.svg']) assert.ok(md.includes(word), word);
  const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
  assert.deepEqual(results.map((r) => [r.scenario.plant.meterPeriodS, r.scenario.plant.batteryPollS]), [[1, 1], [1, 5], [10, 1], [10, 5]]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('CLI usage errors exit 2 with a clear message', { skip: skipData }, async () => {
  const cases = [
    [['--pv', PV1], /needs --load/],
    [['--load', LOAD], /needs --pv/],
    [['--load', '/no/such.csv', '--pv', PV1], /--load: file not found/],
    [['--load', `${LOAD}:nope`, '--pv', PV1], /no value column "nope"/],
    [['--load', LOAD, '--pv', PV1, '--from', '2006-13-45'], /--from: not a valid date/],
    [['--load', LOAD, '--pv', PV1, '--from', '2020-01-01'], /outside the load file/],
    [['--load', LOAD, '--pv', PV1, '--batteries', '0'], /--batteries must be/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(['bench', 'zero-export', ...args, '--json'])));
  results.forEach((r, i) => {
    assert.equal(r.status, 2, `case ${i}: ${r.stderr}`);
    assert.match(r.stderr, cases[i][1]);
    assert.equal(r.stdout, '');
  });
});
