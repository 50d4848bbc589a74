'use strict';
// Sessy battery dongle: reply parsing, unit conversion, state mapping, strategies, settings merge.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const N = require('../../dist/lib/devices/sessy/normalize');
const D = require('../../dist/lib/devices/sessy/descriptor');
const S = require('../../dist/lib/devices/sessy/settings');
const { validator } = require('../../dist/lib/api/validate');
const { batteryReadingSchema } = require('../../dist/lib/api/schemas');

const checkReading = validator(batteryReadingSchema, 'payload');

// The HY sample of sessy.md §1.5.1 plus the newer keys (fw 1.8.1 – 1.9.1).
const SAMPLE = {
  status: 'ok',
  sessy: {
    state_of_charge: 0.850000023841858,
    power: -1234,
    power_setpoint: -1250,
    system_state: 'SYSTEM_STATE_RUNNING_SAFE',
    system_state_details: '',
    frequency: 50030,
    inverter_current_ma: 5360,
    strategy_overridden: false,
    pack_voltage: 53210,
    external_power: 12,
  },
  renewable_energy_phase1: { voltage_rms: 236686, current_rms: 472, power: 26 },
  renewable_energy_phase2: { voltage_rms: 0, current_rms: 0, power: 0 },
  renewable_energy_phase3: { voltage_rms: 0, current_rms: 0, power: 0 },
};
const clone = (o) => JSON.parse(JSON.stringify(o));
const T = Date.UTC(2024, 5, 1, 12);

test('power/status: units converted at the edge (SoC 0–1 → %, mHz → Hz, mV → V, mA → A)', () => {
  const p = N.parsePowerStatus(SAMPLE);
  assert.equal(p.ok, true, p.error);
  const v = p.value;
  assert.equal(v.soc, 85);
  assert.equal(v.power, -1234);
  assert.equal(v.setpoint, -1250);
  assert.equal(v.frequency, 50.03);
  assert.equal(v.inverterCurrent, 5.36);
  assert.equal(v.packVoltage, 53.21);
  assert.equal(v.externalPower, 12);
  assert.equal(v.strategyOverridden, false);
  assert.deepEqual(v.renewable[0], { phase: 1, voltage: 236.686, current: 0.472, power: 26 });
  assert.equal(v.renewable.length, 3);
  assert.equal(v.systemStateDetails, undefined, 'empty details left out');
});

test('reading: kind battery, + discharge sign kept, limits, energy, serials; valid against the schema', () => {
  const st = N.parsePowerStatus(SAMPLE).value;
  const r = N.toBatteryReading(st, {
    now: T,
    strategy: 'POWER_STRATEGY_API',
    energy: { chargedWh: 1234, dischargedWh: 999 },
    settings: { status: 'ok', max_power: 2000, min_power: 50 },
    info: { serial: 'DABC1234', batterySerial: 'AP6QQVPY' },
    serial: 'DFALLBACK',
  });
  assert.equal(checkReading(r), null);
  assert.equal(r.kind, 'battery');
  assert.equal(r.source, 'sessy');
  assert.equal(r.timestamp, T);
  assert.equal(r.soc, 85);
  assert.equal(r.power, -1234, 'Sessy power is already + discharge / − charge (§1.7)');
  assert.equal(r.setpoint, -1250);
  assert.equal(r.state, 'ready');
  assert.equal(r.stateText, 'SYSTEM_STATE_RUNNING_SAFE');
  assert.equal(r.strategy, 'POWER_STRATEGY_API');
  assert.equal(r.strategyLabel, 'API');
  assert.deepEqual(r.limits, { maxChargeW: 2000, maxDischargeW: 1700 }, 'dongle max_power 2000 narrows 2200, not 1700');
  assert.deepEqual(r.energy, { chargedWh: 1234, dischargedWh: 999 });
  assert.equal(r.serial, 'DABC1234');
  assert.equal(r.batterySerial, 'AP6QQVPY');
  assert.equal(r.frequency, 50.03);
  assert.equal(r.voltage, 53.21);
  assert.equal(r.minPower, 50);
  assert.equal(r.renewable.power, 26);
  // No device unit survives: nothing in mV/mA/mHz ranges, SoC is a percentage.
  assert.ok(r.renewable.phases[0].voltage < 1000 && r.frequency < 100 && r.soc > 1);
  // Fallback serial = configured user, and pvSign −1 inverts the renewable power.
  const r2 = N.toBatteryReading(st, { now: T, serial: 'DFALLBACK', pvSign: -1 });
  assert.equal(r2.serial, 'DFALLBACK');
  assert.equal(r2.renewable.phases[0].power, -26);
  assert.equal(r2.strategy, null);
  assert.deepEqual(r2.limits, { maxChargeW: 2200, maxDischargeW: 1700 }, 'defaults 2200 / 1700');
});

test('every system_state maps to a normalized state and text; unknown keeps the raw text', () => {
  const expected = {
    SYSTEM_STATE_INIT: 'starting',
    SYSTEM_STATE_WAIT_FOR_PERIPHERALS: 'starting',
    SYSTEM_STATE_STANDBY: 'standby',
    SYSTEM_STATE_WAITING_FOR_SAFE_SITUATION: 'starting',
    SYSTEM_STATE_WAITING_IN_SAFE_SITUATION: 'starting',
    SYSTEM_STATE_RUNNING_SAFE: 'ready',
    SYSTEM_STATE_OVERRIDE_OVERFREQUENCY: 'override',
    SYSTEM_STATE_OVERRIDE_UNDERFREQUENCY: 'override',
    SYSTEM_STATE_OVERRIDE_BATTERY_UNDERVOLTAGE: 'override',
    SYSTEM_STATE_DISCONNECT: 'override',
    SYSTEM_STATE_RECONNECT: 'starting',
    SYSTEM_STATE_ERROR: 'error',
    SYSTEM_STATE_BATTERY_FULL: 'full',
    SYSTEM_STATE_BATTERY_EMPTY: 'empty',
  };
  // The dossier's enum (§1.6.1) has exactly these 15 values.
  assert.deepEqual(Object.keys(D.SESSY_SYSTEM_STATES).sort(), [...Object.keys(expected), 'SYSTEM_STATE_BATTERY_EMPTY_OR_FULL'].sort());
  for (const [raw, state] of Object.entries(expected)) {
    const b = clone(SAMPLE);
    b.sessy.system_state = raw;
    const r = N.toBatteryReading(N.parsePowerStatus(b).value, { now: T, strategy: 'POWER_STRATEGY_API' });
    assert.equal(r.state, state, raw);
    assert.equal(r.stateText, raw);
    assert.ok(typeof r.statusText === 'string' && r.statusText.length > 3 && !r.statusText.includes('SYSTEM_STATE'), `${raw} has a status text`);
    assert.equal(checkReading(r), null, raw);
  }
  // Old firmware: EMPTY_OR_FULL is split by SoC.
  const b = clone(SAMPLE);
  b.sessy.system_state = 'SYSTEM_STATE_BATTERY_EMPTY_OR_FULL';
  b.sessy.state_of_charge = 0.02;
  assert.equal(N.toBatteryReading(N.parsePowerStatus(b).value, { now: T }).state, 'empty');
  b.sessy.state_of_charge = 0.98;
  assert.equal(N.toBatteryReading(N.parsePowerStatus(b).value, { now: T }).state, 'full');
  // A future value.
  b.sessy.system_state = 'SYSTEM_STATE_SOMETHING_NEW';
  const u = N.toBatteryReading(N.parsePowerStatus(b).value, { now: T });
  assert.equal(u.state, 'unknown');
  assert.equal(u.stateText, 'SYSTEM_STATE_SOMETHING_NEW');
  assert.equal(u.statusText, 'SYSTEM_STATE_SOMETHING_NEW');
});

test('empty / full zero the blocked direction of the limits', () => {
  const b = clone(SAMPLE);
  b.sessy.system_state = 'SYSTEM_STATE_BATTERY_EMPTY';
  assert.deepEqual(N.toBatteryReading(N.parsePowerStatus(b).value, { now: T }).limits, { maxChargeW: 2200, maxDischargeW: 0 });
  b.sessy.system_state = 'SYSTEM_STATE_BATTERY_FULL';
  assert.deepEqual(N.toBatteryReading(N.parsePowerStatus(b).value, { now: T, maxChargeW: 1500, maxDischargeW: 1000 }).limits, { maxChargeW: 0, maxDischargeW: 1000 });
});

test('start-up wait: startupRemainingS counts down from when the driver first saw it (setting startupS)', () => {
  const b = clone(SAMPLE);
  b.sessy.system_state = 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION';
  const st = N.parsePowerStatus(b).value;
  assert.equal(N.toBatteryReading(st, { now: T, waitingSince: T }).startupRemainingS, 60);
  const r = N.toBatteryReading(st, { now: T + 42_000, waitingSince: T });
  assert.equal(r.state, 'starting');
  assert.equal(r.startupRemainingS, 18);
  assert.match(r.statusText, /18 s left/);
  assert.equal(N.toBatteryReading(st, { now: T + 90_000, waitingSince: T }).startupRemainingS, 0, 'never negative');
  assert.equal(N.toBatteryReading(st, { now: T + 5_000, waitingSince: T, startupS: 30 }).startupRemainingS, 25);
  // Other states carry no countdown.
  assert.equal(N.toBatteryReading(N.parsePowerStatus(SAMPLE).value, { now: T, waitingSince: T }).startupRemainingS, undefined);
});

test('override: strategy_overridden or SessyConnect turn a running unit into "override"', () => {
  const b = clone(SAMPLE);
  b.sessy.strategy_overridden = true;
  const r = N.toBatteryReading(N.parsePowerStatus(b).value, { now: T, strategy: 'POWER_STRATEGY_API' });
  assert.equal(r.state, 'override');
  assert.equal(r.stateText, 'SYSTEM_STATE_RUNNING_SAFE', 'raw state kept');
  assert.match(r.statusText, /cloud/);
  const c = N.toBatteryReading(N.parsePowerStatus(SAMPLE).value, { now: T, strategy: 'POWER_STRATEGY_SESSY_CONNECT' });
  assert.equal(c.state, 'override');
  assert.match(c.statusText, /SessyConnect/);
  // An error stays an error.
  b.sessy.system_state = 'SYSTEM_STATE_ERROR';
  assert.equal(N.toBatteryReading(N.parsePowerStatus(b).value, { now: T }).state, 'error');
});

test('bad shapes never throw and name the field', () => {
  const cases = [
    [null, /not a JSON object/],
    ['text', /not a JSON object/],
    [[1, 2], /not a JSON object/],
    [{}, /status is null/],
    [{ status: 'error', error: 'boom' }, /status is "error".*boom/],
    [{ status: 'ok' }, /sessy: is missing/],
    [{ status: 'ok', sessy: [] }, /sessy: is missing/],
    [{ status: 'ok', sessy: { power: 0, system_state: 'X' } }, /sessy\.state_of_charge: must be a number/],
    [{ status: 'ok', sessy: { state_of_charge: '0.5', power: 0, system_state: 'X' } }, /state_of_charge/],
    [{ status: 'ok', sessy: { state_of_charge: 85, power: 0, system_state: 'X' } }, /state_of_charge: must be 0–1 \(got 85\)/],
    [{ status: 'ok', sessy: { state_of_charge: 0.5, power: null, system_state: 'X' } }, /sessy\.power: must be a number/],
    [{ status: 'ok', sessy: { state_of_charge: 0.5, power: 0, system_state: 7 } }, /sessy\.system_state/],
  ];
  for (const [body, re] of cases) {
    const p = N.parsePowerStatus(body);
    assert.equal(p.ok, false, JSON.stringify(body));
    assert.match(p.error, re);
  }
  // Optional keys of the wrong type are dropped, not fatal.
  const b = clone(SAMPLE);
  b.sessy.frequency = 'fast';
  b.sessy.power_setpoint = null;
  b.renewable_energy_phase1 = 'x';
  b.renewable_energy_phase2 = { voltage_rms: 'a' };
  delete b.renewable_energy_phase3;
  const p = N.parsePowerStatus(b);
  assert.equal(p.ok, true);
  assert.equal(p.value.frequency, undefined);
  assert.equal(p.value.setpoint, null);
  assert.deepEqual(p.value.renewable, []);
  // Random garbage: never throws.
  const rnd = (() => {
    let x = 12345;
    return () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  })();
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const values = [null, 0, -1, 1.5, 'x', '', true, [], {}, [1, 2], { a: 1 }, 1e308, -0];
  for (let i = 0; i < 2000; i++) {
    const body = { status: pick(['ok', 'ok', 'nok', undefined]), sessy: pick([{}, undefined, 'x']) };
    if (body.sessy && typeof body.sessy === 'object') for (const k of ['state_of_charge', 'power', 'power_setpoint', 'system_state', 'frequency', 'pack_voltage', 'strategy_overridden']) if (rnd() < 0.8) body.sessy[k] = pick(values);
    for (const n of [1, 2, 3]) if (rnd() < 0.5) body[`renewable_energy_phase${n}`] = pick([{ voltage_rms: pick(values), current_rms: pick(values), power: pick(values) }, ...values]);
    const res = N.parsePowerStatus(body);
    if (res.ok) assert.equal(checkReading(N.toBatteryReading(res.value, { now: T, strategy: pick([null, 'POWER_STRATEGY_API', 'x']) })), null);
    for (const f of [N.parseStrategyReply, N.parseEnergyStatus, N.parseSettings, N.parseSystemInfo, N.parseNetworkStatus, N.parseOtaStatus]) f(pick([body, ...values]));
  }
});

test('other endpoints: strategy, energy (status key optional), settings error key, info, network IPs, firmware', () => {
  assert.deepEqual(N.parseStrategyReply({ status: 'ok', strategy: 'POWER_STRATEGY_ECO' }).value, { strategy: 'POWER_STRATEGY_ECO', known: 'POWER_STRATEGY_ECO' });
  assert.deepEqual(N.parseStrategyReply({ status: 'ok', strategy: 'POWER_STRATEGY_FUTURE' }).value, { strategy: 'POWER_STRATEGY_FUTURE', known: null });
  assert.match(N.parseStrategyReply({ status: 'ok' }).error, /strategy: must be a non-empty string/);
  const energy = { sessy_energy: { import_wh: 1234, export_wh: 567 }, energy_phase1: { import_wh: 1, export_wh: 2 } };
  const phases = [{ importWh: 1, exportWh: 2 }, {}, {}];
  assert.deepEqual(N.parseEnergyStatus(energy).value, { chargedWh: 1234, dischargedWh: 567, phases });
  assert.deepEqual(N.parseEnergyStatus({ status: 'ok', ...energy }).value, { chargedWh: 1234, dischargedWh: 567, phases });
  assert.deepEqual(N.parseEnergyStatus({ sessy_energy: { import_wh: 5, export_wh: -1 } }).value, { chargedWh: 5 }, 'a negative counter is implausible');
  assert.equal(N.parseEnergyStatus({ status: 'failed', ...energy }).ok, false);
  assert.match(N.parseSettings({ status: 'ok', error: 'not configured' }).error, /save the settings once/);
  assert.deepEqual(N.parseSystemInfo({ status: 'ok', self_serial: 'DABC', sessy_serial: 'AP6QQVPY', version: 'v5.1.1' }).value, { serial: 'DABC', batterySerial: 'AP6QQVPY', version: 'v5.1.1' });
  assert.deepEqual(N.parseSystemInfo({ status: 'ok', self_serial: 'unknown' }).value, {});
  const net = N.parseNetworkStatus({ status: 'ok', network_status: ['unknown', 'WIFI_STA_IS_CONNECTED'], wifi_sta: { ip: [10, 0, 0, 7], rssi: null, ssid: 'home' }, eth: { ip: [0, 0, 0, 0] } }).value;
  assert.deepEqual(net, { flags: ['unknown', 'WIFI_STA_IS_CONNECTED'], wifi: { ip: '10.0.0.7', rssi: null, ssid: 'home' }, eth: { ip: '0.0.0.0' } });
  const fw = N.parseOtaStatus({ status: 'ok', self: { installed_firmware: { version: '1.1.2' }, available_firmware: { version: '' }, state: 'OTA_UP_TO_DATE', update_progress: 0.769141137599945 } }).value;
  assert.deepEqual(fw, { dongle: { installed: '1.1.2', available: null, state: 'OTA_UP_TO_DATE', progress: 76.9 }, battery: null });
});

test('strategies: every enum value, the friendly aliases, unknown → null', () => {
  for (const s of D.SESSY_STRATEGIES) {
    assert.equal(D.parseStrategy(s), s);
    assert.equal(D.parseStrategy(s.toLowerCase()), s);
  }
  const aliases = { api: 'API', API: 'API', open: 'API', nom: 'NOM', 'net zero': 'NOM', 'Net-Zero': 'NOM', idle: 'IDLE', dynamic: 'ROI', roi: 'ROI', eco: 'ECO', POWER_STRATEGY_SESSY_ECO: 'ECO', 'sessy connect': 'SESSY_CONNECT', connect: 'SESSY_CONNECT', ' nom ': 'NOM' };
  for (const [k, v] of Object.entries(aliases)) assert.equal(D.parseStrategy(k), `POWER_STRATEGY_${v}`, k);
  for (const bad of ['', 'charge', 'POWER_STRATEGY_', 42, null, undefined, {}]) assert.equal(D.parseStrategy(bad), null, String(bad));
});

test('points table: every point is a JSON point of a known endpoint, cites a source and converts to a DESIGN.md §2 unit', () => {
  assert.ok(D.SESSY_POINTS.length >= 20);
  for (const p of D.SESSY_POINTS) {
    assert.ok(p.src.length > 3, p.name);
    assert.equal(p.source.kind, 'json', p.name);
    assert.ok(Object.values(D.SESSY_PATHS).includes(p.source.endpoint), p.name);
    assert.ok(!/^m[VAH]/.test(p.unit) && p.unit !== '0–1', `${p.name} leaves the driver in ${p.unit}`);
  }
  const byPath = Object.fromEntries(D.SESSY_POINTS.map((p) => [p.source.path, p]));
  assert.equal(byPath['sessy.state_of_charge'].scale, 100);
  assert.equal(byPath['sessy.frequency'].scale, 0.001);
  assert.equal(byPath['renewable_energy_phase2.voltage_rms'].scale, 0.001);
  assert.deepEqual(D.SESSY_UNIT_LIMITS, { maxChargeW: 2200, maxDischargeW: 1700 });
});

test('settings: change checked, merged into the whole object, type drift kept, unknown keys refused', () => {
  const current = { status: 'ok', min_power: 50, max_power: 2200, disable_noise_level: true, enabled_time: '00:00-23:59', eco_nom_charge: false, future_flag: 3 };
  const m = S.mergeSettings(current, { max_power: 1800, disable_noise_level: 'false' });
  assert.equal(m.ok, true, m.error);
  assert.deepEqual(m.value, { ...current, max_power: 1800, disable_noise_level: false });
  assert.equal(S.mergeSettings({ ...current, disable_noise_level: 'true' }, { disable_noise_level: false }).value.disable_noise_level, 'false');
  assert.equal(S.mergeSettings(current, { future_flag: 4 }).value.future_flag, 4, 'unknown-to-us keys the dongle has: same type accepted');
  const errors = [
    [{ max_power: 5000 }, /payload\.settings\.max_power: must be <= 2200/],
    [{ max_power: 'x' }, /max_power: must be integer/],
    [{ enabled_time: '25:00-01:00' }, /enabled_time: must match pattern/],
    [{ min_soc: 120 }, /min_soc: must be <= 100/],
    [{ status: 'nok' }, /status: is not a setting/],
    [{ nonsense: 1 }, /nonsense: this dongle has no such setting/],
    [{ future_flag: 'x' }, /future_flag: must be a number like the dongle's value/],
    [{ min_power: 2000, max_power: 1000 }, /min_power: must not exceed max_power/],
    [{}, /must NOT have fewer than 1 properties/],
  ];
  for (const [change, re] of errors) {
    const r = S.mergeSettings(current, change);
    assert.equal(r.ok, false, JSON.stringify(change));
    assert.match(r.error, re);
  }
  assert.match(S.checkSettingsChange('x'), /payload\.settings: must be object/);
});

test('descriptor: capabilities and the factory', async () => {
  assert.deepEqual([...D.SESSY_DESCRIPTOR.capabilities], ['battery', 'battery-control', 'energy-counters', 'phase-values']);
  assert.equal(D.SESSY_DESCRIPTOR.points, D.SESSY_POINTS);
  assert.deepEqual(D.SESSY_DESCRIPTOR.nodeTypes, ['sessy-battery']);
  const { createSessyBattery } = require('../../dist/lib/devices/sessy/battery');
  const b = createSessyBattery({ host: '127.0.0.1:1', user: 'dabc', timeoutMs: 200, readRetries: 0 });
  assert.equal(b.client.url, 'http://127.0.0.1:1');
  // Refused at once normally; on a loaded machine the 200 ms timeout may come first.
  await assert.rejects(b.read(), (e) => e.code === 'connect' || e.code === 'timeout');
  assert.throws(() => createSessyBattery({ host: ' ' }), /address is empty/);
  assert.throws(() => createSessyBattery({ host: 'ftp://x' }), /only http:\/\//);
});
