'use strict';
// HA entity states → our messages: the compressed subscribe_entities events folded into full
// states, power units to W with the sign chosen, state of charge, numbers and text, and the
// states that carry no value or do not fit.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { EntityStates, stateToMessage } = require(path.join(__dirname, '../../dist/lib/ha/state'));

const st = (state, unit, id = 'sensor.p') => ({ entity_id: id, state, attributes: unit ? { unit_of_measurement: unit } : {}, last_updated: 1_780_000_000_000 });

test('compressed states: added, changed (+ and − attributes), removed', () => {
  const b = new EntityStates();
  const a = b.apply({ a: { 'sensor.p': { s: '1.5', a: { unit_of_measurement: 'kW', friendly_name: 'P' }, c: 'x', lc: 1780000000.5 } } });
  assert.deepEqual(a, [{ entity_id: 'sensor.p', state: '1.5', attributes: { unit_of_measurement: 'kW', friendly_name: 'P' }, last_updated: 1780000000500 }]);
  const c = b.apply({ c: { 'sensor.p': { '+': { s: '2', lu: 1780000010, a: { icon: 'mdi:flash' } }, '-': { a: ['friendly_name'] } } } });
  assert.deepEqual(c[0].attributes, { unit_of_measurement: 'kW', icon: 'mdi:flash' });
  assert.equal(c[0].state, '2');
  assert.equal(c[0].last_updated, 1780000010000);
  assert.deepEqual(b.apply({ c: { 'sensor.unknown': { '+': { s: '1' } } } }), [], 'a change of an entity never added is ignored');
  b.apply({ r: ['sensor.p'] });
  assert.equal(b.states.size, 0);
});

test('power: W, kW, MW, mW → W; sign −1 inverts; topic grid by default', () => {
  const m = (s, u, o = {}) => stateToMessage(st(s, u), { as: 'grid', ...o }).message;
  assert.deepEqual([m('1.25', 'kW').topic, m('1.25', 'kW').payload, m('1.25', 'kW').unit], ['grid', 1250, 'W']);
  assert.equal(m('-480', 'W').payload, -480);
  assert.equal(m('0.002', 'MW').payload, 2000);
  assert.equal(m('1500', 'mW').payload, 1.5);
  assert.equal(m('1.25', 'kW', { sign: -1 }).payload, -1250);
  assert.equal(Object.is(m('0', 'W', { sign: -1 }).payload, -0), false, 'no −0');
  assert.equal(stateToMessage(st('100', 'W'), { as: 'power', topic: 'pv' }).message.topic, 'pv');
});

test('soc, number and text', () => {
  assert.deepEqual(stateToMessage(st('64.5', '%'), { as: 'soc' }).message.payload, 64.5);
  assert.match(stateToMessage(st('140', '%'), { as: 'soc' }).error, /outside 0–100/);
  assert.match(stateToMessage(st('0.5', ''), { as: 'soc' }).error, /not %/);
  const n = stateToMessage(st('0.231', 'EUR/kWh', 'sensor.price'), { as: 'number' }).message;
  assert.deepEqual([n.topic, n.payload, n.unit], ['sensor.price', 0.231, 'EUR/kWh']);
  assert.deepEqual(stateToMessage(st('charging', null, 'sensor.mode'), { as: 'text', topic: 'mode' }).message.payload, 'charging');
});

test('no value and values that do not fit', () => {
  assert.deepEqual(stateToMessage(st('unavailable', 'W'), { as: 'grid' }), { skip: 'unavailable' });
  assert.deepEqual(stateToMessage(st('unknown', 'W'), { as: 'grid' }), { skip: 'unknown' });
  assert.match(stateToMessage(st('abc', 'W'), { as: 'grid' }).error, /not a number/);
  assert.match(stateToMessage(st('0x10', 'W'), { as: 'grid' }).error, /not a number/);
  assert.match(stateToMessage(st('1e400', 'W'), { as: 'grid' }).error, /not a number/);
  assert.match(stateToMessage(st('12', 'kWh'), { as: 'grid' }).error, /"kWh" is not a power unit/);
  assert.match(stateToMessage(st('12', null), { as: 'grid' }).error, /\(none\) is not a power unit/);
});
