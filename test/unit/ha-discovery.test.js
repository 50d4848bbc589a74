'use strict';
// Home Assistant device-based discovery built from every normalized payload of this package, each
// component checked against HA's rules (the table in ha-rules.js), the state JSON every value_template
// reads, the union of entities over readings, rate limiting and offline in virtual time, and the
// command parser for every command entity (valid values → the matching message, invalid → error).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const dist = path.join(__dirname, '../../dist/lib/ha');
const { deviceOf, discoveryConfig, stateOf, HaDeviceBook, commandFilter } = require(path.join(dist, 'discovery'));
const { parseCommand } = require(path.join(dist, 'commands'));

const { checkComponent, checkDevice, checkState, ID } = require('./ha-rules');

const T = { prefix: 'homeassistant', baseTopic: 'home-energy' };
const O = { name: 'node-red-contrib-home-energy', sw: '0.1.0' };
const { t0, ALL, meter, battery, sofar, charger, zeroExport, ev, peak } = require('./ha-fixtures');

for (const [name, payload] of Object.entries(ALL)) {
  test(`discovery: ${name} → a device config HA accepts, every component's template key in the state`, () => {
    const d = deviceOf({ topic: name, payload });
    assert.ok(d, 'a device');
    const { topic, payload: cfg } = discoveryConfig(d, T, O);
    assert.deepEqual(checkDevice(topic, cfg), []);
    assert.equal(cfg.dev.ids[0], d.objectId);
    assert.match(d.objectId, ID);
    const state = stateOf(d);
    assert.deepEqual(checkState(cfg, state), [], 'HA takes every state value');
    for (const [id, c] of Object.entries(cfg.cmps)) {
      if (!c.value_template) continue;
      assert.equal(c.state_topic, `home-energy/${d.objectId}/state`);
      const key = /value_json\.([a-z0-9_]+)/.exec(c.value_template)[1];
      assert.ok(key in state, `${id}: state has ${key}`);
      if (c.command_topic) assert.equal(c.command_topic, `home-energy/${d.objectId}/${id}/set`);
    }
    assert.deepEqual(cfg.availability.map((a) => a.topic), ['home-energy/status', `home-energy/${d.objectId}/availability`]);
    assert.equal(cfg.availability_mode, 'all');
  });
}

test('discovery: the rules table catches what HA rejects (the checker can fail)', () => {
  const base = { p: 'sensor', name: 'x', unique_id: 'a_b', state_topic: 's', value_template: '{{ value_json.x }}' };
  assert.deepEqual(checkComponent('x', { ...base, device_class: 'power', unit_of_measurement: 'W', state_class: 'measurement' }), []);
  assert.ok(checkComponent('x', { ...base, device_class: 'power', unit_of_measurement: 'Wh' }).some((b) => /not valid for power/.test(b)));
  assert.ok(checkComponent('x', { ...base, device_class: 'energy', unit_of_measurement: 'kWh', state_class: 'measurement' }).some((b) => /state class/.test(b)));
  assert.ok(checkComponent('x', { ...base, device_class: 'power', unit_of_measurement: 'MW', state_class: 'measurement' }).some((b) => /every release/.test(b)));
  assert.ok(checkComponent('x', { ...base, device_class: 'enum', options: ['a'], unit_of_measurement: 'W' }).length);
  assert.ok(checkComponent('x y', { ...base }).length);
  assert.ok(checkComponent('x', { ...base, unique_id: 'a.b' }).length);
  assert.ok(checkComponent('x', { p: 'number', name: 'n', unique_id: 'n', command_topic: 'c', min: 5, max: 5, step: 1 }).some((b) => /min >= max/.test(b)));
  assert.ok(checkComponent('x', { ...base, device_class: 'monetary', unit_of_measurement: 'eur', state_class: 'total' }).some((b) => /ISO 4217/.test(b)));
  assert.ok(checkComponent('x', { p: 'select', name: 's', unique_id: 's', command_topic: 'c', options: ['a', 'a'] }).some((b) => /unique/.test(b)));
  assert.ok(checkComponent('x', { p: 'number', name: 'n', unique_id: 'n', command_topic: 'c', min: 0, max: 5, step: 1, state_class: 'measurement' }).some((b) => /no state_class/.test(b)));
  assert.ok(checkComponent('x', { p: 'number', name: 'n', unique_id: 'n', command_topic: 'c', min: 0, max: 5, step: 1, device_class: 'power', unit_of_measurement: 'A' }).some((b) => /number unit A for power/.test(b)));
  const num = { p: 'number', name: 'n', unique_id: 'n', command_topic: 'c', min: 0, max: 100, step: 1, state_topic: 's', value_template: '{{ value_json.n }}' };
  const sel = { p: 'select', name: 's', unique_id: 's', command_topic: 'c', options: ['a', 'b'], state_topic: 's', value_template: '{{ value_json.s }}' };
  const cfg = { cmps: { n: num, s: sel } };
  assert.deepEqual(checkState(cfg, { n: 50, s: 'b' }), []);
  assert.deepEqual(checkState(cfg, { n: null, s: null }), [], 'null renders "None": unknown');
  assert.deepEqual(checkState(cfg, { n: 101, s: 'c' }), ['n: 101 outside 0–100', 's: "c" is not an option']);
  assert.deepEqual(checkState(cfg, { n: '5' }), ['n: "5" is not a number', 's: state has no s']);
});

test('discovery: meter values in HA units (W, kWh, V, A, Hz, m³) and classes', () => {
  const d = deviceOf({ payload: meter });
  const { payload: cfg } = discoveryConfig(d, T, O);
  const s = stateOf(d);
  assert.equal(d.objectId, 'he_p1_4530303331303033');
  assert.equal(s.power, -1250);
  assert.equal(s.energy_import, 1234.567);
  assert.equal(s.energy_export, 765.432);
  assert.equal(s.energy_import_t2, 634.567);
  assert.equal(s.l1_voltage, 231.2);
  assert.equal(s.l2_current, 1.9);
  assert.equal(s.frequency, 50.01);
  assert.equal(s.gas, 1234.567);
  assert.equal(s.month_peak, 3120);
  assert.deepEqual([cfg.cmps.energy_import.device_class, cfg.cmps.energy_import.state_class, cfg.cmps.energy_import.unit_of_measurement], ['energy', 'total_increasing', 'kWh']);
  assert.deepEqual([cfg.cmps.power.device_class, cfg.cmps.power.state_class, cfg.cmps.power.unit_of_measurement], ['power', 'measurement', 'W']);
  assert.equal(cfg.cmps.power.unique_id, 'he_p1_4530303331303033_power');
  assert.equal(cfg.dev.sn, '4530303331303033');
  assert.equal(cfg.dev.mdl, 'DSMR 5.0');
  assert.equal(Object.values(cfg.cmps).filter((c) => c.command_topic).length, 0, 'a meter takes no commands');
});

test('discovery: battery command entities — number setpoint W, release button, strategy select (Sessy), mode select (Sofar)', () => {
  const { payload: cfg } = discoveryConfig(deviceOf({ payload: battery }), T, O);
  assert.deepEqual({ p: cfg.cmps.setpoint.p, min: cfg.cmps.setpoint.min, max: cfg.cmps.setpoint.max, unit: cfg.cmps.setpoint.unit_of_measurement }, { p: 'number', min: -10000, max: 10000, unit: 'W' });
  assert.equal(cfg.cmps.release.p, 'button');
  assert.equal(cfg.cmps.release.state_topic, undefined);
  assert.ok(cfg.cmps.strategy_select.options.includes('POWER_STRATEGY_API'));
  assert.equal(cfg.cmps.soc.device_class, 'battery');
  assert.equal(cfg.cmps.soc.unit_of_measurement, '%');
  assert.equal(cfg.dev.mf, 'Sessy');
  assert.equal(deviceOf({ payload: battery }).objectId, 'he_sessy_AB12-CD34');
  const sf = discoveryConfig(deviceOf({ payload: sofar }), T, O).payload;
  assert.deepEqual(sf.cmps.mode_select.options, ['standby', 'auto']);
  assert.equal(sf.cmps.strategy_select, undefined);
  assert.equal(stateOf(deviceOf({ payload: sofar })).setpoint, null);
});

test('discovery: device identity — a name set by the user wins, ids stay within [a-zA-Z0-9_-]', () => {
  assert.equal(deviceOf({ payload: battery, device: 'Garage battery' }).objectId, 'he_sessy_Garage_battery');
  assert.equal(deviceOf({ payload: battery, device: 'Garage battery' }).name, 'Garage battery');
  assert.equal(deviceOf({ payload: battery }, 'Zolder/öst').objectId, 'he_sessy_Zolder_st');
  assert.equal(deviceOf({ topic: 'zero-export', payload: zeroExport }).objectId, 'he_zero_export');
  assert.equal(deviceOf({ topic: 'house 2', payload: zeroExport }).objectId, 'he_zero_export_house_2');
  assert.equal(deviceOf({ payload: { kind: 'battery-setpoint', power: 5 } }), null);
  assert.equal(deviceOf({ payload: 42 }), null);
  assert.equal(deviceOf({ payload: { ...meter, serial: null } }).objectId, 'he_p1_meter');
});

test('device book: entities are the union over readings; config republished only when the set changes; state rate-limited', () => {
  const book = new HaDeviceBook(T, O, 5000);
  const first = book.update({ payload: { ...battery, temperature: undefined } }, t0);
  const topics = first.publish.map((p) => p.topic);
  assert.deepEqual(topics, ['homeassistant/device/he_sessy_AB12-CD34/config', 'home-energy/he_sessy_AB12-CD34/availability', 'home-energy/he_sessy_AB12-CD34/state']);
  assert.ok(!JSON.parse(first.publish[0].payload).cmps.temperature);
  const second = book.update({ payload: { ...battery, soc: 64 } }, t0 + 1000);
  assert.deepEqual(second.publish.map((p) => p.topic.split('/').pop()), ['config', 'state'], 'new entity (temperature) → new config, and the state with it');
  assert.ok(JSON.parse(second.publish[0].payload).cmps.temperature);
  const third = book.update({ payload: { ...battery, soc: 65, temperature: undefined } }, t0 + 2000);
  assert.deepEqual(third.publish, [], 'same entity set, within the interval: nothing now');
  assert.equal(third.dueAt, t0 + 6000);
  assert.deepEqual(book.tick(t0 + 5999, 60000), []);
  const due = book.tick(t0 + 6000, 60000);
  assert.equal(due.length, 1);
  assert.equal(JSON.parse(due[0].payload).soc, 65);
  assert.equal(JSON.parse(due[0].payload).temperature, 24.5, 'an entity keeps its last value');
  assert.deepEqual(book.tick(t0 + 61999, 60000), [], 'last reading at +2 s: online until +62 s');
  assert.deepEqual(book.tick(t0 + 62000, 60000), [{ topic: 'home-energy/he_sessy_AB12-CD34/availability', payload: 'offline' }]);
  const back = book.update({ payload: battery }, t0 + 70000);
  assert.ok(back.publish.some((p) => p.topic.endsWith('/availability') && p.payload === 'online'));
  assert.deepEqual(book.removal(), [{ topic: 'homeassistant/device/he_sessy_AB12-CD34/config', payload: '' }]);
  assert.equal(book.republish().length, 3);
  assert.equal(commandFilter(T), 'home-energy/+/+/set');
});

function command(payload, key, raw) {
  const book = new HaDeviceBook(T, O, 0);
  const d = deviceOf({ payload });
  book.update({ payload }, t0);
  const target = book.commandTarget(`home-energy/${d.objectId}/${key}/set`);
  assert.ok(target, `${key} is a command entity`);
  return parseCommand(target.device, target.entity, Buffer.from(raw));
}

test('commands: every command entity → the matching message, validated', () => {
  assert.deepEqual(command(battery, 'setpoint', '-1500').message.payload, { kind: 'battery-setpoint', power: -1500, serial: 'AB12-CD34', reason: 'home-assistant' });
  assert.deepEqual(command(battery, 'setpoint', '1200.0').message.payload.power, 1200);
  assert.deepEqual(command(battery, 'release', 'PRESS').message.payload, { kind: 'battery-release', serial: 'AB12-CD34', reason: 'home-assistant' });
  assert.deepEqual(command(battery, 'strategy_select', 'POWER_STRATEGY_NOM').message.payload, { kind: 'battery-strategy', strategy: 'POWER_STRATEGY_NOM', serial: 'AB12-CD34', reason: 'home-assistant' });
  assert.deepEqual(command(sofar, 'mode_select', 'auto').message.payload, { kind: 'battery-mode', mode: 'auto', serial: 'SF4ES005', reason: 'home-assistant' });
  assert.deepEqual(command(charger, 'current_set', '10').message.payload, { kind: 'charger-setpoint', enabled: true, currentA: 10, serial: 'EN-0042', reason: 'home-assistant' });
  assert.deepEqual(command(charger, 'current_set', '0').message.payload, { kind: 'charger-setpoint', enabled: false, currentA: 0, serial: 'EN-0042', reason: 'home-assistant' });
  assert.deepEqual(command(ev, 'mode', 'solar-plus').message.payload, { kind: 'mode', mode: 'solar-plus', reason: 'home-assistant' });
  const en = command(ev, 'enable', 'OFF').message;
  assert.deepEqual([en.topic, en.payload, en.entity], ['enable', false, 'enable']);
  assert.deepEqual(command(zeroExport, 'enable', 'ON').message.payload, true);
  const tg = command(zeroExport, 'target', '-50').message;
  assert.deepEqual([tg.topic, tg.payload, tg.device], ['target', -50, 'he_zero_export']);
  const dp = command(peak, 'desired_peak', '3500.0').message;
  assert.deepEqual([dp.topic, dp.payload, dp.device, dp.entity], ['desired-peak', 3500, 'he_peak_shaving', 'desired_peak']);
  assert.equal(command(peak, 'desired_peak', '0').message.payload, 0, 'the lower end of the node\'s range');
  assert.equal(command(peak, 'desired_peak', '100000').message.payload, 100000, 'the upper end of the node\'s range');
  // Battery mode selects: zero export's four modes, peak shaving's and "off"; the message stands until the next.
  const zm = command(zeroExport, 'battery_mode', 'hold').message;
  assert.deepEqual([zm.topic, zm.payload, zm.device], ['mode', { kind: 'mode', mode: 'hold', reason: 'home-assistant' }, 'he_zero_export']);
  assert.deepEqual(command(peak, 'battery_mode', 'off').message.payload, { kind: 'mode', mode: 'off', reason: 'home-assistant' });
  for (const o of ['standard', 'single', 'automatic']) {
    const ph = command(ev, 'phase_usage', o).message;
    assert.deepEqual([ph.topic, ph.payload, ph.device, ph.entity], ['phases', o, 'he_ev_charging', 'phase_usage']);
  }
});

test('peak shaving: desired peak is a number in W with the node\'s range; unknown (null) but present when the state has no desiredPeakW', () => {
  const { peakConfigSchema } = require(path.join(__dirname, '../../dist/lib/control/peak-shaving/config'));
  const range = peakConfigSchema.properties.desiredPeak;
  const d = deviceOf({ topic: 'peak-shaving', payload: peak });
  const c = discoveryConfig(d, T, O).payload.cmps.desired_peak;
  assert.deepEqual(
    { p: c.p, dc: c.device_class, unit: c.unit_of_measurement, min: c.min, max: c.max, cmd: c.command_topic, sc: c.state_class },
    { p: 'number', dc: 'power', unit: 'W', min: range.minimum, max: range.maximum, cmd: 'home-energy/he_peak_shaving/desired_peak/set', sc: undefined },
  );
  assert.deepEqual([range.minimum, range.maximum], [0, 100000]);
  assert.equal(c.value_template, '{{ value_json.desired_peak }}');
  assert.equal(stateOf(d).desired_peak, 2500);
  const { desiredPeakW, ...without } = peak;
  assert.equal(desiredPeakW, 2500);
  const d2 = deviceOf({ topic: 'peak-shaving', payload: without });
  const c2 = discoveryConfig(d2, T, O).payload;
  assert.deepEqual(checkDevice('homeassistant/device/he_peak_shaving/config', c2), []);
  assert.equal(c2.cmps.desired_peak.p, 'number', 'the entity exists without the field');
  assert.ok('desired_peak' in stateOf(d2));
  assert.equal(stateOf(d2).desired_peak, null);
  assert.equal(stateOf(deviceOf({ payload: { ...peak, desiredPeakW: 'x' } })).desired_peak, null);
  // HA ignores a number's state outside min–max (and keeps the old one): such a value goes out as unknown.
  assert.equal(stateOf(deviceOf({ payload: { ...peak, desiredPeakW: 150000 } })).desired_peak, null);
  assert.equal(stateOf(deviceOf({ payload: { ...battery, setpoint: 12000 } })).setpoint, null);
  assert.equal(stateOf(deviceOf({ payload: { ...battery, setpoint: -10000 } })).setpoint, -10000);
});

test('peak shaving: the capacity-tariff account as a billed-peak power sensor and a yearly cost; without a rate no cost entity', () => {
  const d = deviceOf({ topic: 'peak-shaving', payload: peak });
  const c = discoveryConfig(d, T, O).payload;
  assert.deepEqual(checkDevice('homeassistant/device/he_peak_shaving/config', c), []);
  assert.deepEqual([c.cmps.billed_peak.device_class, c.cmps.billed_peak.unit_of_measurement, c.cmps.billed_peak.state_class], ['power', 'W', 'measurement']);
  assert.equal(c.cmps.capacity_cost_year.unit_of_measurement, 'EUR');
  assert.equal(stateOf(d).billed_peak, 3610);
  assert.equal(stateOf(d).capacity_cost_year, 195.66);
  const noRate = deviceOf({ topic: 'peak-shaving', payload: { ...peak, account: { ...peak.account, rateEurPerKWYear: null, costPerYearEur: null, costPerMonthEur: null } } });
  assert.ok(!('capacity_cost_year' in discoveryConfig(noRate, T, O).payload.cmps));
});

test('EV charging: phase usage is a select of the node\'s three choices; unknown (null) but present when the state has no phaseUsage', () => {
  const { evConfigSchema } = require(path.join(__dirname, '../../dist/lib/control/ev-charging/config'));
  const d = deviceOf({ topic: 'ev-charging', payload: ev });
  const c = discoveryConfig(d, T, O).payload.cmps.phase_usage;
  assert.deepEqual(c.options, ['standard', 'single', 'automatic']);
  assert.deepEqual(c.options, [...evConfigSchema.properties.phaseUsage.enum]);
  assert.deepEqual([c.p, c.command_topic, c.value_template], ['select', 'home-energy/he_ev_charging/phase_usage/set', '{{ value_json.phase_usage }}']);
  assert.equal(stateOf(d).phase_usage, 'automatic');
  const { phaseUsage, ...without } = ev;
  assert.equal(phaseUsage, 'automatic');
  const d2 = deviceOf({ topic: 'ev-charging', payload: without });
  assert.equal(discoveryConfig(d2, T, O).payload.cmps.phase_usage.p, 'select', 'the entity exists without the field');
  assert.ok('phase_usage' in stateOf(d2));
  assert.equal(stateOf(d2).phase_usage, null);
  assert.equal(stateOf(deviceOf({ payload: { ...ev, phaseUsage: 'turbo' } })).phase_usage, null, 'a value that is not an option is unknown');
});

test('commands: invalid values from HA → an error naming the entity, no message', () => {
  const bad = [
    [battery, 'setpoint', 'abc', /not a number/],
    [battery, 'setpoint', '0x10', /not a number/],
    [battery, 'setpoint', '1e400', /not a number/],
    [battery, 'setpoint', '20000', /above 10000/],
    [battery, 'release', 'press', /expected PRESS/],
    [battery, 'strategy_select', 'POWER_STRATEGY_XYZ', /not one of/],
    [sofar, 'mode_select', 'passive', /not one of/],
    [charger, 'current_set', '3', /below the 6 A/],
    [charger, 'current_set', '40', /above 16/],
    [ev, 'mode', 'turbo', /must be one of/],
    [zeroExport, 'battery_mode', 'off', /Battery mode: "off" is not one of balance, peak-shaving, hold, charge/],
    [peak, 'battery_mode', 'solar-pure', /not one of balance, peak-shaving, hold, charge, off/],
    [ev, 'enable', 'maybe', /expected ON or OFF/],
    [zeroExport, 'target', '', /not a number/],
    [peak, 'desired_peak', 'abc', /Desired peak: "abc" is not a number/],
    [peak, 'desired_peak', '-1', /below 0/],
    [peak, 'desired_peak', '100001', /above 100000/],
    [peak, 'desired_peak', '0x10', /not a number/],
    [peak, 'desired_peak', '', /not a number/],
    [ev, 'phase_usage', 'three', /Phase usage: "three" is not one of standard, single, automatic/],
    [ev, 'phase_usage', 'Automatic', /not one of/],
    [ev, 'phase_usage', '', /not one of/],
  ];
  for (const [p, key, raw, re] of bad) {
    const r = command(p, key, raw);
    assert.ok(r.error, `${key} ${raw}: an error`);
    assert.match(r.error, re);
    assert.equal(r.message, undefined);
  }
  const book = new HaDeviceBook(T, O);
  book.update({ payload: battery }, t0);
  assert.equal(book.commandTarget('home-energy/he_sessy_AB12-CD34/soc/set'), null, 'a sensor takes no command');
  assert.equal(book.commandTarget('home-energy/he_other/setpoint/set'), null, 'not our device');
  assert.equal(book.commandTarget('elsewhere/he_sessy_AB12-CD34/setpoint/set'), null);
});

test('malformed payloads of a known kind never throw, and what goes out still passes the rules (random, seeded)', () => {
  const { mulberry32 } = require('../helpers');
  const rnd = mulberry32(20261203);
  const junk = [null, undefined, NaN, Infinity, -1e308, '12', 'abc', '', true, [], [1, 'x', null], {}, { a: 1 }, -0, 1e12];
  const pick = () => junk[Math.floor(rnd() * junk.length)];
  const mutate = (v, depth) => {
    if (rnd() < 0.25) return pick();
    if (v && typeof v === 'object' && depth < 3) {
      const o = Array.isArray(v) ? [...v] : { ...v };
      for (const k of Object.keys(o)) if (k !== 'kind') o[k] = mutate(o[k], depth + 1);
      return o;
    }
    return v;
  };
  for (let i = 0; i < 400; i++) {
    const base = Object.values(ALL)[i % Object.keys(ALL).length];
    const payload = { ...mutate(base, 0), kind: base.kind };
    const book = new HaDeviceBook(T, O, 0);
    const r = book.update({ payload, topic: pick(), device: pick() }, t0 + i);
    assert.ok(r, `case ${i}: a device`);
    const cfgMsg = r.publish.find((p) => p.topic.endsWith('/config'));
    const stateMsg = r.publish.find((p) => p.topic.endsWith('/state'));
    assert.deepEqual(checkState(JSON.parse(cfgMsg.payload), JSON.parse(stateMsg.payload)), [], `case ${i}: HA takes every state value`);
    for (const p of r.publish) {
      if (p.topic.endsWith('/config')) assert.deepEqual(checkDevice(p.topic, JSON.parse(p.payload)), [], `case ${i}`);
      if (p.topic.endsWith('/state')) for (const v of Object.values(JSON.parse(p.payload))) assert.ok(v === null || ['number', 'string', 'boolean'].includes(typeof v), `case ${i}: state value ${v}`);
    }
  }
});

test('device readings are checked with their schemas before they reach HA; controller states are not', () => {
  const { payloadProblem } = require(path.join(dist, 'entities'));
  for (const p of [meter, battery, sofar, charger, zeroExport, ev, peak]) assert.equal(payloadProblem(p), null, p.kind);
  assert.match(payloadProblem({ ...battery, soc: 'abc' }), /^payload\.soc: /);
  assert.match(payloadProblem({ ...meter, power: undefined }), /payload\.power: is required/);
  assert.match(payloadProblem({ ...charger, state: 'flying' }), /^payload\.state: must be one of/);
  assert.equal(payloadProblem({ ...zeroExport, gridW: 'x' }), null);
});

test('tariff and battery plan: prices per kWh and euros without a device class (monetary needs a bare currency)', () => {
  const { tariff, plan } = require('./ha-fixtures');
  const t = deviceOf({ topic: 'tariff', payload: tariff });
  assert.equal(t.objectId, 'he_tariff');
  const s = stateOf(t);
  assert.deepEqual([s.import_price, s.export_price, s.source], [0.23412, 0.0712, 'spot']);
  const c = discoveryConfig(t, T, O).payload.cmps.import_price;
  assert.deepEqual([c.unit_of_measurement, c.device_class, c.state_class], ['EUR/kWh', undefined, 'measurement']);
  const p = deviceOf({ topic: 'battery-planner', payload: plan });
  assert.equal(p.objectId, 'he_battery_planner');
  assert.equal(stateOf(p).saving, 1.27);
  assert.equal(deviceOf({ topic: 'peak-shaving', payload: require('./ha-fixtures').peak }).objectId, 'he_peak_shaving');
});
