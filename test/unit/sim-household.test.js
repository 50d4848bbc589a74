'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  Household,
  loadSeries,
  seriesPosition,
  sampleDataDir,
  SAMPLE_LOAD_FILE,
  SAMPLE_PV_FILE,
  localWallMs,
  wallToUtcMs,
} = require('../../dist/lib/sim/household');
const { VirtualClock } = require('../../dist/lib/util/clock');

const SHARED = path.resolve(__dirname, '../../../shared/data/household_load_pv');
const haveShared = fs.existsSync(SHARED);
const skipShared = haveShared ? false : `shared data not found at ${SHARED}`;
const DAY = 86_400_000;
const loadFile = path.join(sampleDataDir(), SAMPLE_LOAD_FILE);
const pvFile = path.join(sampleDataDir(), SAMPLE_PV_FILE);

test('shipped sample stays small and documented', () => {
  const dir = sampleDataDir();
  let total = 0;
  for (const f of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, f)).size;
  assert.ok(total < 300 * 1024, `sample is ${total} bytes`);
  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  for (const word of ['CC BY 4.0', 'MIT', SAMPLE_LOAD_FILE, SAMPLE_PV_FILE, 'Hébrail', 'pvanalytics']) assert.ok(readme.includes(word), word);
});

test('loadSeries reads the shipped load sample (naive local timestamps, 1 min)', () => {
  const s = loadSeries(loadFile);
  assert.equal(s.column, 'active_power_W');
  assert.equal(s.values.length, 2880);
  assert.equal(s.resolutionMs, 60_000);
  assert.equal(s.days, 2);
  assert.equal(s.utcOffsetMs, null);
  assert.equal(s.wall[0], Date.UTC(2006, 11, 17, 0, 0));
  assert.equal(s.values[0], 1044);
  assert.equal(s.values[1], 1520);
  assert.equal(s.wall[s.wall.length - 1], Date.UTC(2006, 11, 18, 23, 59));
});

test('loadSeries reads the shipped PV sample (offset timestamps), keeps negative values', () => {
  const s = loadSeries(pvFile);
  assert.equal(s.column, 'ac_power__752');
  assert.equal(s.values.length, 2607);
  assert.equal(s.resolutionMs, 60_000);
  assert.equal(s.utcOffsetMs, -7 * 3_600_000);
  // wall time is the local time written in the file, not UTC
  assert.equal(s.wall[0], Date.UTC(2022, 2, 18, 4, 33));
  assert.equal(s.values[0], -2.7098);
  assert.equal(s.days, 2);
});

test('loadSeries: unit detection, column by name or index, clear error for a missing column', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-hh-'));
  try {
    const f = path.join(dir, 'x.csv');
    fs.writeFileSync(f, 'time;house_kW;other\r\n2024-01-01T00:00:00Z;1.5;7\r\n2024-01-01T00:15:00Z;;8\r\n2024-01-01T00:30:00Z;2.0;9\r\n2024-01-01T00:45:00Z;2.5;10\r\n');
    const s = loadSeries(f);
    assert.equal(s.column, 'house_kW');
    assert.deepEqual([...s.values], [1500, 2000, 2500]); // blank skipped, kW → W
    assert.equal(s.utcOffsetMs, 0);
    assert.equal(s.resolutionMs, 15 * 60_000);
    const o = loadSeries(f, 2);
    assert.deepEqual([...o.values], [7, 8, 9, 10]);
    assert.throws(() => loadSeries(f, 'nope'), /no value column "nope" \(columns: time, house_kW, other\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('loadSeries on shared/data: UCI 1-min, NREL 15-min, OPSD kW and cumulative kWh', { skip: skipShared }, () => {
  const uci = loadSeries(path.join(SHARED, 'uci_sceaux_fr_1min_2006-12-16_2007-01-11.csv'));
  assert.equal(uci.column, 'active_power_W');
  assert.equal(uci.values.length, 37282);
  assert.equal(uci.resolutionMs, 60_000);
  assert.equal(uci.days, 27);
  assert.equal(uci.values[0], 4216);

  const n15 = loadSeries(path.join(SHARED, 'nrel_serf_east_pv_15min_2016-07-01_10-13.csv'));
  assert.equal(n15.column, 'ac_power');
  assert.equal(n15.resolutionMs, 15 * 60_000);
  assert.equal(n15.utcOffsetMs, -7 * 3_600_000);
  assert.equal(n15.values[0], -2.8601);

  // Hourly means in kW, interval start → value at the interval midpoint, local (+01:00) time.
  const avg = loadSeries(path.join(SHARED, 'opsd_konstanz_residential4_60min_avg_kW.csv'), 'pv_kW');
  assert.equal(avg.resolutionMs, 3_600_000);
  const last = avg.values.length - 1;
  assert.equal(avg.wall[last], Date.UTC(2017, 1, 9, 11, 30));
  assert.ok(Math.abs(avg.values[last] - 966) < 1e-6, String(avg.values[last]));

  // Cumulative kWh readings → mean power per interval, same numbers as the derived file.
  const cum = loadSeries(path.join(SHARED, 'opsd_konstanz_residential4_60min_cumulative_kWh.csv'), 'DE_KN_residential4_pv');
  const lc = cum.values.length - 1;
  assert.equal(cum.wall[lc], Date.UTC(2017, 1, 9, 11, 30));
  assert.ok(Math.abs(cum.values[lc] - 966) < 1e-6, String(cum.values[lc]));
  // wall times stay strictly increasing across the DST changes
  for (let i = 1; i < cum.wall.length; i++) assert.ok(cum.wall[i] > cum.wall[i - 1]);
});

test('replay: same time of day, each series cycled over its own days (different dates)', () => {
  const t = Date.UTC(2024, 5, 10, 10, 0); // 12:00 CEST, Monday
  const hh = new Household({ clock: new VirtualClock(t), load: loadFile, pv: pvFile });
  // (days since each series' first day) mod 2 = 1 → second day of each file
  assert.equal(hh.loadW(t), 1734); // 2006-12-18T12:00
  assert.equal(hh.pvW(t), 4241.9); // 2022-03-19 12:00 (site local time)
  assert.equal(hh.loadW(t + DAY), 1962); // next day → first day of the cycle, 2006-12-17T12:00
  assert.equal(hh.pvW(t + DAY), 4443.1); // 2022-03-18 12:00
  assert.equal(hh.loadW(t + 2 * DAY), 1734); // period 2 days
  assert.equal(hh.pvW(t - 2 * DAY), 4241.9);
});

test('replay: a series covering the simulated date replays that exact date', () => {
  const t = wallToUtcMs(Date.UTC(2006, 11, 18, 8, 0), 'Europe/Paris');
  const hh = new Household({ load: loadFile, pv: null, timeZone: 'Europe/Paris' });
  assert.equal(new Date(t).toISOString(), '2006-12-18T07:00:00.000Z');
  assert.equal(hh.loadW(t), 2128);
  assert.equal(hh.pvW(t), 0);
});

test('replay: time of day not covered on the chosen day falls back to another day of the cycle', () => {
  const s = loadSeries(pvFile);
  // Day 0 of the PV file starts at 04:33, so 04:00 on day 0 is read from day 1
  const wall = Date.UTC(2030, 0, 1, 4, 0);
  const k = Math.floor(wall / DAY) - Math.floor(s.wall[0] / DAY);
  const dayIndex = ((k % 2) + 2) % 2;
  const target = dayIndex === 0 ? wall : wall + DAY;
  assert.equal(seriesPosition(s, target), Date.UTC(2022, 2, 19, 4, 0));
  // 13:00 on day 0 is covered and used as is
  assert.equal(seriesPosition(s, target + 9 * 3_600_000), Date.UTC(2022, 2, 18, 13, 0));
});

test('linear interpolation between samples, PV clipped at 0', () => {
  const hh = new Household({ load: loadFile, pv: pvFile, timeZone: 'UTC' });
  const t0 = Date.UTC(2006, 11, 17, 0, 0); // covered date, UTC zone: exact replay
  assert.equal(hh.loadW(t0), 1044);
  assert.equal(hh.loadW(t0 + 30_000), (1044 + 1520) / 2);
  assert.equal(hh.loadW(t0 + 15_000), 1044 + 0.25 * (1520 - 1044));
  // 2022-03-19 12:00:30 site-local time → between 4241.9 and 4263.6
  const tPv = Date.UTC(2022, 2, 19, 12, 0, 30);
  assert.ok(Math.abs(hh.pvW(tPv) - (4241.9 + 4263.6) / 2) < 1e-9);
  // night: recorded −2.483 W → 0
  assert.equal(hh.pvW(Date.UTC(2022, 2, 19, 4, 0)), 0);
});

test('grid = load − pv − sources, phase split 40/30/30 with PV over three phases', () => {
  const clock = new VirtualClock(Date.UTC(2024, 0, 1));
  const hh = new Household({ clock, load: 2000, pv: 900 });
  let s = hh.state();
  assert.equal(s.loadW, 2000);
  assert.equal(s.pvW, 900);
  assert.equal(s.gridW, 1100);
  assert.deepEqual(
    s.phases.map((p) => Math.round(p.powerW * 1000) / 1000),
    [800 - 300, 600 - 300, 600 - 300],
  );
  const battery = hh.addSource(() => 1500, { name: 'battery' });
  s = hh.state();
  assert.equal(s.sourcesW, 1500);
  assert.equal(s.gridW, -400); // battery discharge pushes the house into export
  assert.ok(Math.abs(s.phases.reduce((a, p) => a + p.powerW, 0) - s.gridW) < 1e-9);
  assert.equal(hh.gridW(), -400);
  const ev = hh.addSource(() => -3000, { split: [1, 0, 0] }); // a 1-phase consumer on L1
  s = hh.state();
  assert.equal(s.gridW, 2600);
  assert.ok(Math.abs(s.phases[0].powerW - (800 - 300 - 500 + 3000)) < 1e-9);
  battery();
  ev();
  assert.equal(hh.sourceCount, 0);
  assert.equal(hh.state().gridW, 1100);
  // voltage falls with import, current follows P / (V·pf) with the sign of P
  const p = hh.state().phases[0];
  assert.ok(p.voltage < 231.2 && p.voltage > 230);
  assert.ok(Math.abs(p.current - p.powerW / (p.voltage * 0.95)) < 1e-12);
});

test('single-phase PV goes on L1; scales apply', () => {
  const hh = new Household({ load: 1000, pv: 2000, pvPhases: 'L1', loadScale: 2, pvScale: 0.5 });
  const s = hh.state(0);
  assert.equal(s.loadW, 2000);
  assert.equal(s.pvW, 1000);
  assert.deepEqual(
    s.phases.map((p) => Math.round(p.powerW)),
    [800 - 1000, 600, 600],
  );
});

test('noise is off by default, deterministic per seed when on', () => {
  const plain = new Household({ load: loadFile, pv: pvFile });
  const a = new Household({ load: loadFile, pv: pvFile, noise: { seed: 7, loadRel: 0.05, pvRel: 0.05 } });
  const b = new Household({ load: loadFile, pv: pvFile, noise: { seed: 7, loadRel: 0.05, pvRel: 0.05 } });
  const c = new Household({ load: loadFile, pv: pvFile, noise: { seed: 8, loadRel: 0.05, pvRel: 0.05 } });
  const ts = Array.from({ length: 50 }, (_, i) => Date.UTC(2024, 5, 10, 10, 0, i));
  let differs = 0;
  for (const t of ts) {
    const base = plain.loadW(t);
    assert.equal(a.loadW(t), b.loadW(t));
    assert.equal(a.pvW(t), b.pvW(t));
    assert.ok(Math.abs(a.loadW(t) - base) <= 0.05 * base + 1e-9);
    if (a.loadW(t) !== c.loadW(t)) differs++;
  }
  assert.ok(differs > 40);
  assert.notEqual(a.loadW(ts[0]), plain.loadW(ts[0]));
});

test('local time helpers follow Europe/Amsterdam DST', () => {
  assert.equal(localWallMs(Date.UTC(2024, 0, 15, 12), 'Europe/Amsterdam'), Date.UTC(2024, 0, 15, 13));
  assert.equal(localWallMs(Date.UTC(2024, 6, 15, 12), 'Europe/Amsterdam'), Date.UTC(2024, 6, 15, 14));
  assert.equal(wallToUtcMs(Date.UTC(2024, 6, 1), 'Europe/Brussels'), Date.UTC(2024, 5, 30, 22));
  // repeated hour at the end of DST: the earlier instant
  assert.equal(wallToUtcMs(Date.UTC(2024, 9, 27, 2, 30), 'Europe/Amsterdam'), Date.UTC(2024, 9, 27, 0, 30));
});
