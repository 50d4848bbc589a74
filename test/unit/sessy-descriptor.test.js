'use strict';
// The Sessy descriptor drives both sides (issue 10): the simulator encodes its replies through
// SESSY_POINTS, the driver decodes them through the same points, and every field of the normalized
// reading is listed in the descriptor's outputs with the points it comes from.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { checkDescriptor, decodeJson, decodeJsonPoint, encodeJson, getPath, outputsMarkdown } = require('../../dist/lib/api/device');
const D = require('../../dist/lib/devices/sessy/descriptor');
const N = require('../../dist/lib/devices/sessy/normalize');
const { SessyBatteryServer } = require('../../dist/lib/sim/sessy-server');
const { SessyBattery } = require('../../dist/lib/devices/sessy/battery');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { findDevice, deviceForNode } = require('../../dist/lib/registry');

const T0 = Date.UTC(2024, 5, 1, 12);
const readPoints = D.SESSY_POINTS.filter((p) => p.access !== 'w');

test('descriptor: sound (checkDescriptor is empty) and registered for sessy-battery', () => {
  assert.deepEqual(checkDescriptor(D.SESSY_DESCRIPTOR), []);
  assert.equal(findDevice('Sessy').descriptor, D.SESSY_DESCRIPTOR);
  assert.equal(deviceForNode('sessy-battery').descriptor, D.SESSY_DESCRIPTOR);
  assert.match(outputsMarkdown(D.SESSY_DESCRIPTOR), /\| `soc` \| % \| .* \| \/api\/v1\/power\/status sessy\.state_of_charge \|/);
});

test('every point: a value in our unit, encoded to the device unit and decoded, comes back', () => {
  const sample = (p) => {
    if (p.valueType === 'boolean') return true;
    if (p.valueType === 'string' || p.valueType === 'enum') return `${p.name}-text`;
    if (p.range) return Math.round(((p.range[0] + Math.min(p.range[1], 1e6)) / 2) * 1000) / 1000;
    return 123.456;
  };
  for (const p of D.SESSY_POINTS) {
    const v = sample(p);
    const body = encodeJson(D.SESSY_POINTS, {}, { [p.name]: v });
    const back = decodeJsonPoint(body, p);
    if (typeof v === 'number') {
      const resolution = p.valueType === 'integer' ? 1 : (p.scale ?? 1);
      assert.ok(Math.abs(back - v) <= resolution / 2 + 1e-9, `${p.name}: ${v} → ${JSON.stringify(body)} → ${back}`);
    } else assert.equal(back, v, p.name);
  }
  // Device units on the wire: SoC 0–1, mHz, mV, whole W.
  assert.deepEqual(encodeJson(D.SESSY_POINTS, {}, { soc: 64, frequency: 50.012, voltage: 51.2346, setpointCommand: 800.4 }), {
    sessy: { state_of_charge: 0.64, frequency: 50012, pack_voltage: 51235 },
    setpoint: 800,
  });
});

test('the simulator encodes its state through the points; the driver decodes the same values for every point', async () => {
  const clock = new VirtualClock(T0);
  const sim = new SessyBatteryServer({ clock, startRunning: true, strategy: 'POWER_STRATEGY_API', plant: { socPct: 64.25 }, settings: { max_power: 1800, min_power: 60 } });
  sim.strategyOverridden = true;
  sim.systemStateDetails = 'all fine';
  const bodies = {
    [D.SESSY_PATHS.powerStatus]: sim.powerStatus(),
    [D.SESSY_PATHS.activeStrategy]: sim.strategyBody(),
    [D.SESSY_PATHS.energyStatus]: sim.energyStatus(),
    [D.SESSY_PATHS.systemSettings]: sim.settingsBody(),
    [D.SESSY_PATHS.systemInfo]: sim.systemInfo(),
  };
  const decoded = {};
  for (const [endpoint, body] of Object.entries(bodies)) Object.assign(decoded, decodeJson(D.SESSY_POINTS, endpoint, body));
  // Every read point is in the simulator's replies.
  assert.deepEqual(readPoints.map((p) => p.name).filter((n) => !(n in decoded)), []);
  // …with the simulator's own values, in our units.
  assert.equal(decoded.soc, 64.25);
  assert.equal(decoded.stateText, 'SYSTEM_STATE_RUNNING_SAFE');
  assert.equal(decoded.strategy, 'POWER_STRATEGY_API');
  assert.equal(decoded.strategyOverridden, true);
  assert.equal(decoded.stateDetails, 'all fine');
  assert.equal(decoded.maxPower, 1800);
  assert.equal(decoded.minPower, 60);
  assert.equal(decoded.serial, sim.serial);
  assert.ok(decoded.frequency > 49.9 && decoded.frequency < 50.1, String(decoded.frequency));
  assert.ok(decoded.voltage > 46 && decoded.voltage < 55, String(decoded.voltage));
  // The driver's parsers give the same numbers as the generic decode.
  const st = N.parsePowerStatus(bodies[D.SESSY_PATHS.powerStatus]).value;
  assert.equal(st.soc, decoded.soc);
  assert.equal(st.frequency, decoded.frequency);
  assert.equal(st.packVoltage, decoded.voltage);
  assert.equal(st.inverterCurrent, decoded.inverterCurrent);
  // A setpoint the driver encodes is read by the simulator at the same path.
  const post = encodeJson(D.SESSY_POINTS, {}, { setpointCommand: -1500 });
  assert.equal(getPath(post, D.SESSY_POINTS.find((p) => p.name === 'setpointCommand').source.path), -1500);
});

/** Paths of every field of a reading, arrays as "[]": { a: { b: 1 }, c: [{ d: 2 }] } → a.b, c[].d. */
function fieldPaths(o, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(o)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) for (const x of v) out.push(...(x && typeof x === 'object' ? fieldPaths(x, `${p}[]`) : [`${p}[]`]));
    else if (v && typeof v === 'object') out.push(...fieldPaths(v, p));
    else out.push(p);
  }
  return [...new Set(out)];
}

test('every field of a full normalized reading (driver against the simulator) is in the descriptor outputs', async () => {
  const clock = new VirtualClock(T0);
  const sim = new SessyBatteryServer({ clock, startRunning: true });
  const replies = {
    getPowerStatus: async () => N.parsePowerStatus(sim.powerStatus()).value,
    getStrategy: async () => N.parseStrategyReply(sim.strategyBody()).value.strategy,
    getEnergyStatus: async () => N.parseEnergyStatus(sim.energyStatus()).value,
    getSettings: async () => N.parseSettings(sim.settingsBody()).value,
    getSystemInfo: async () => N.parseSystemInfo(sim.systemInfo()).value,
    setStrategy: async (s) => (sim.strategy = s),
    setSetpoint: async () => undefined,
    setSettings: async () => undefined,
  };
  const battery = new SessyBattery({ url: 'sim', raw: {}, ...replies }, { clock });
  sim.systemState = 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION'; // startupRemainingS
  sim.systemStateDetails = 'details';
  const r = await battery.read();
  const known = new Set(D.SESSY_OUTPUTS.map((o) => o.field));
  const fields = fieldPaths(r);
  assert.deepEqual(fields.filter((f) => !known.has(f)), []);
  for (const f of ['soc', 'power', 'energy.chargedWh', 'renewable.phases[].voltage', 'startupRemainingS', 'limits.maxChargeW', 'minPower', 'batterySerial']) assert.ok(fields.includes(f), f);
  await battery.close();
});
