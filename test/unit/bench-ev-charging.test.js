'use strict';
// The EV charging benchmark's invariants on the shipped sample day (benchmarks measure; this checks
// that the harness is sound and that our guarantees hold in it): the result shape, the oracle as an
// upper bound of PV energy, no fuse overload for ours even with a tight fuse and a heavy load, at
// least 7 min between our phase switches. Scores themselves are measured by the benchmark, not asserted.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const bench = require(path.join(__dirname, '../../dist/bench/ev-charging/index'));

test('ev-charging bench: result shape, oracle bound, our guarantees (1 day, shipped data)', () => {
  const { result } = bench.runEvBench({ days: 1 });
  assert.deepEqual(Object.keys(result.results), ['ours', 'oracle', 'evcc', 'openwb', 'ksem']);
  for (const [k, r] of Object.entries(result.results)) {
    for (const key of ['solarEnergyWh', 'gridEnergyWh', 'capturedPct', 'startsPerHour', 'phaseSwitches', 'minSwitchIntervalS', 'fuseOverloadS', 'unmetWh']) assert.ok(key in r, `${k}.${key}`);
    assert.ok(r.solarEnergyWh <= result.results.oracle.solarEnergyWh * 1.001, `${k} ≤ oracle`);
  }
  const ours = result.results.ours;
  assert.equal(ours.fuseOverloadS, 0);
  assert.ok(ours.minSwitchIntervalS === null || ours.minSwitchIntervalS >= 420);
  assert.ok(ours.gridEnergyWh >= 0 && ours.capturedPct > 0 && ours.capturedPct <= 100.1);
  assert.equal(result.scenario.benchmark, 'ev-charging');
});

test('ev-charging bench: a tight fuse and a heavy household load never overload a phase under ours', () => {
  const { result } = bench.runEvBench({ days: 1, fuseA: 16, loadScale: 3 });
  assert.equal(result.results.ours.fuseOverloadS, 0);
  assert.equal(result.results.oracle.fuseOverloadS, 0);
});

test('ev-charging bench: daytime sessions from a charging-reports file', () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const f = path.join(os.tmpdir(), `he-sessions-${process.pid}.csv`);
  fs.writeFileSync(f, '"location";"user_id";"session_id";"plugin_time";"plugout_time";"connection_time";"energy_session"\n"A";"u";"s1";2019-11-28 08:10:00;2019-11-28 17:00:00;8,8;21,5\n"A";"u";"s2";2019-11-28 19:08:00;2019-11-29 08:20:00;13,2;19,96\n');
  const s = bench.readSessions(f);
  assert.deepEqual(s, [{ startMin: 490, durationMin: 8.8 * 60, needWh: 21500, id: 's1' }], 'the evening session is not a daytime one');
  fs.unlinkSync(f);
});

test('ev-charging bench: the restart right after a phase switch is part of it; a pause after a switch is a stop and its restart a start', () => {
  const c = new bench.StartCounter();
  const t0 = 1_700_000_000_000;
  c.draw(t0, 0);
  c.draw(t0 + 1000, 4000); // first start
  c.switched(t0 + 60_000);
  c.draw(t0 + 60_000, 0);
  c.draw(t0 + 95_000, 1400); // back 35 s after the switch: the switch, not a start
  assert.equal(c.starts, 1);
  c.switched(t0 + 600_000);
  c.draw(t0 + 600_000, 0);
  c.draw(t0 + 600_000 + 8 * 60_000, 4100); // 8 min off after the switch: a stop and a start
  assert.equal(c.starts, 2);
  c.draw(t0 + 2_000_000, 0);
  c.draw(t0 + 2_100_000, 1500); // a plain restart
  assert.equal(c.starts, 3);
});
