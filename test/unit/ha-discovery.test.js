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

const { checkComponent, checkDevice, ID } = require('./ha-rules');

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
    [ev, 'enable', 'maybe', /expected ON or OFF/],
    [zeroExport, 'target', '', /not a number/],
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
