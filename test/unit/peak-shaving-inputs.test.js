'use strict';
// What the peak-shaving node's input takes (mode with until, enable as true/false, "on"/"off", 1/0, several batteries
// by serial) and its status (DESIGN.md §2: yellow ring = stale, grey = off).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const dist = path.join(__dirname, '../../dist');
const { peakInputFromMessage, onOff } = require(path.join(dist, 'lib/control/peak-shaving/inputs'));
const { PeakShavingController } = require(path.join(dist, 'lib/control/peak-shaving/controller'));
const { BatteryBook } = require(path.join(dist, 'lib/control/battery-book'));
const { peakConfigSchema, peakParams } = require(path.join(dist, 'lib/control/peak-shaving/config'));
const { configReader } = require(path.join(dist, 'lib/api/config'));

const parse = (msg, now = 0, book = new BatteryBook()) => peakInputFromMessage(msg, now, book);

test('mode messages: the battery modes of DESIGN §4.1 with until as ms or ISO 8601; bad values name the field', () => {
  assert.deepEqual(parse({ payload: { kind: 'mode', mode: 'charge', until: 1767250800000, reason: 'schedule' } }), { inputs: { mode: { mode: 'charge', until: 1767250800000, reason: 'schedule' } } });
  assert.deepEqual(parse({ payload: { kind: 'mode', mode: 'hold', until: '2026-06-01T06:00:00+02:00' } }), { inputs: { mode: { mode: 'hold', until: Date.UTC(2026, 5, 1, 4) } } });
  for (const [m, want] of [['peak-shaving', 'peak-shaving'], ['on', 'peak-shaving'], ['balance', 'balance'], ['off', 'off'], [' Charge ', 'charge']]) {
    assert.deepEqual(parse({ payload: { kind: 'mode', mode: m } }), { inputs: { mode: { mode: want } } }, m);
  }
  assert.match(parse({ payload: { kind: 'mode', mode: 'lock' } }).error, /^payload\.mode: peak shaving takes "peak-shaving" \(or "on"\), "balance", "hold", "charge" or "off" \(got the text "lock"\)/);
  for (const bad of ['tomorrow', '2026-06-01', -5, true, Number.NaN, {}]) {
    assert.match(parse({ payload: { kind: 'mode', mode: 'charge', until: bad } }).error, /^payload\.until: must be ms since epoch or an ISO 8601 date and time/, String(bad));
  }
  assert.match(parse({ payload: { kind: 'mode', mode: 'charge', reason: 5 } }).error, /^payload\.reason: must be text/);
  assert.deepEqual(parse({ topic: 'mode', payload: 'balance' }), { inputs: { mode: { mode: 'balance' } } });
  assert.match(parse({ topic: 'mode', payload: 'fast' }).error, /^msg\.payload: topic "mode" needs/);
});

test('enable: true/false, "on"/"off", 1/0 like zero export; anything else names the topic and the value', () => {
  for (const v of [true, 'on', 'ON', 1, '1', 'true', 'enable']) assert.deepEqual(parse({ topic: 'enable', payload: v }), { inputs: { enabled: true } }, String(v));
  for (const v of [false, 'off', 0, '0', 'false', 'disabled']) assert.deepEqual(parse({ topic: 'enable', payload: v }), { inputs: { enabled: false } }, String(v));
  for (const v of ['yes', 2, null, undefined]) assert.match(parse({ topic: 'enable', payload: v }).error, /topic "enable" needs true\/false, "on"\/"off" or 1\/0 \(got /, String(v));
  assert.equal(onOff(' Off '), false);
});

test('several batteries by serial: SoC weighted by capacity, capacities summed; a unit silent for the battery timeout drops out', () => {
  const book = new BatteryBook(60_000);
  const c = new PeakShavingController({ desiredPeakW: 2500 });
  const t = Date.UTC(2026, 0, 12, 10);
  const step = (p, at) => {
    const r = parse({ payload: { kind: 'battery', timestamp: at, ...p } }, at, book);
    return c.step({ ...r.inputs, meter: { power: 500, timestamp: at } }, at);
  };
  step({ serial: 'A', soc: 20, capacityWh: 5000, power: 0 }, t);
  let r = step({ serial: 'B', soc: 80, capacityWh: 15_000, power: -500 }, t + 1000);
  assert.equal(r.state.soc, (20 * 5000 + 80 * 15_000) / 20_000);
  assert.equal(r.state.capacityWh, 20_000);
  // From A's 20 % (recharge) through peak limiting to balancing (65 % > 10 + 20 %).
  r = step({ serial: 'B', soc: 80, capacityWh: 15_000, power: -500 }, t + 2000);
  assert.equal(r.state.band, 'balancing');
  // B goes silent; A alone once B's last reading is more than 60 s old.
  r = step({ serial: 'A', soc: 20, capacityWh: 5000, power: 0 }, t + 63_000);
  assert.equal(r.state.soc, 20);
  assert.equal(r.state.capacityWh, 5000, "A's alone");
  assert.equal(r.state.band, 'recharge', '20 % ≤ 10 + 20 / 2');
  // Two units without capacity: the plain mean, capacity unknown.
  const b2 = new BatteryBook();
  parse({ payload: { kind: 'battery', serial: 'X', soc: 30 } }, t, b2);
  const both = parse({ payload: { kind: 'battery', serial: 'Y', soc: 70 } }, t, b2);
  assert.equal(both.inputs.battery.soc, 50);
  assert.equal(both.inputs.battery.capacityWh, null);
  const c2 = new PeakShavingController();
  assert.equal(c2.step({ ...both.inputs, meter: { power: 500, timestamp: t } }, t).state.reserveBasis, 'capacity unknown → fixed SoC bands');
});

test('config: battery timeout (default 60 s) and context store are settings', () => {
  const read = configReader(peakConfigSchema);
  const d = read({ desiredPeak: 2500 });
  assert.equal(d.ok, true);
  assert.equal(peakParams(d.config).batteryTimeoutMs, 60_000);
  assert.equal(d.config.store, undefined);
  const s = read({ batteryTimeout: '20', store: 'file' });
  assert.equal(peakParams(s.config).batteryTimeoutMs, 20_000);
  assert.equal(s.config.store, 'file');
  assert.match(read({ batteryTimeout: 1 }).error, /config\.batteryTimeout/);
});

test('a reading stamped far in the future counts from its arrival (it would stay fresh for ever); EV charging and the planner read stamps the same way', () => {
  const { evInputFromMessage } = require(path.join(dist, 'lib/control/ev-charging/inputs'));
  const { plannerInput } = require(path.join(dist, 'lib/control/planner/inputs'));
  const now = Date.parse('2026-12-08T12:00:00Z');
  const future = now + 365 * 86_400_000;
  const bat = { kind: 'battery', serial: 'A', soc: 50, power: 300, capacityWh: 5200, timestamp: future };
  assert.equal(peakInputFromMessage({ payload: bat }, now, new BatteryBook()).inputs.battery.timestamp, now);
  assert.equal(peakInputFromMessage({ payload: { kind: 'meter', power: 800, timestamp: future } }, now, new BatteryBook()).inputs.meter.timestamp, now);
  assert.equal(evInputFromMessage({ payload: bat }, now, new BatteryBook()).inputs.battery.timestamp, now);
  assert.equal(plannerInput({ payload: bat }, now).at, now);
  // A stamp up to 1 s ahead (clocks apart) and one in the past are kept.
  assert.equal(peakInputFromMessage({ payload: { ...bat, timestamp: now + 900 } }, now, new BatteryBook()).inputs.battery.timestamp, now + 900);
  assert.equal(evInputFromMessage({ payload: { ...bat, timestamp: now - 5000 } }, now, new BatteryBook()).inputs.battery.timestamp, now - 5000);
});
