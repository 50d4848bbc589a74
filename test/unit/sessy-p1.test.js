'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { sessyP1ToReading } = require('../../dist/lib/devices/p1/sessy-p1');
const { validator } = require('../../dist/lib/api/validate');
const { meterReadingSchema } = require('../../dist/lib/api/schemas');

const checkReading = validator(meterReadingSchema, 'payload');
// The dongle reply sample from shared/protocols/sessy.md §1.5.10.
const SAMPLE = {
  status: 'ok', state: 'P1_OK', dsmr_version: 50,
  power_consumed_tariff1: 745838, power_produced_tariff1: 201650, power_consumed_tariff2: 523255, power_produced_tariff2: 545889,
  tariff_indicator: 2, power_consumed: 313, power_produced: 0, power_total: 313,
  power_failure_any_phase: 11, long_power_failure_any_phase: 1,
  voltage_l1: 237700, voltage_l2: 0, voltage_l3: 0, current_l1: 2000, current_l2: 0, current_l3: 0,
  power_consumed_l1: 313, power_consumed_l2: 0, power_consumed_l3: 0, power_produced_l1: 0, power_produced_l2: 0, power_produced_l3: 0,
  equipment_identifier: '4530303435303034303134363938333137', header_info: '/XMX5LGBBLA4415290514',
};

test('converts the documented sample into a meter reading in W/Wh/V/A', () => {
  const r = sessyP1ToReading(SAMPLE, 1700000000000);
  assert.equal(checkReading(r), null);
  assert.equal(r.power, 313);
  assert.equal(r.protocol, 'DSMR 5.0');
  assert.equal(r.serial, 'E0045004014698317');
  assert.equal(r.model, 'XMX5LGBBLA4415290514');
  assert.deepEqual(r.phases, [{ voltage: 237.7, current: 2, importPower: 313, exportPower: 0, power: 313 }]);
  assert.deepEqual(r.energy, { importWh: 1269093, exportWh: 747539, importTariffWh: [745838, 523255], exportTariffWh: [201650, 545889] });
  assert.equal(r.tariff, 2);
  assert.equal(r.gas, undefined, 'gas 0 means absent');
  assert.equal(r.timestamp, 1700000000000);
});

test('three phases when the meter has them', () => {
  const r = sessyP1ToReading({ ...SAMPLE, voltage_l2: 231000, voltage_l3: 229500, power_produced_l3: 800, power_consumed_l3: 0 }, 0);
  assert.equal(r.phases.length, 3);
  assert.equal(r.phases[2].power, -800);
});

test('clear errors for bad replies', () => {
  assert.throws(() => sessyP1ToReading('nope', 0), /not a JSON object/);
  assert.throws(() => sessyP1ToReading({ status: 'error' }, 0), /status "error"/);
  assert.throws(() => sessyP1ToReading({ ...SAMPLE, state: 'P1_NOT_CONNECTED' }, 0), /P1_NOT_CONNECTED: dongle not connected/);
  assert.throws(() => sessyP1ToReading({ status: 'ok', state: 'P1_OK' }, 0), /no power_consumed/);
});

test('fuzz: random JSON never throws anything but a SessyP1Error, and accepted readings are schema-valid', () => {
  const { SessyP1Error } = require('../../dist/lib/devices/p1/sessy-p1');
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  const values = [0, -1, 1.5, 1e12, NaN, Infinity, null, true, '', 'x', '4142', [], {}, undefined];
  const keys = Object.keys(SAMPLE);
  let accepted = 0;
  for (let n = 0; n < 20000; n++) {
    const o = { ...SAMPLE };
    const edits = 1 + Math.floor(rnd() * 4);
    for (let e = 0; e < edits; e++) {
      const k = keys[Math.floor(rnd() * keys.length)];
      if (rnd() < 0.2) delete o[k];
      else o[k] = values[Math.floor(rnd() * values.length)];
    }
    try {
      const r = sessyP1ToReading(o, 1700000000000);
      accepted++;
      assert.ok(Number.isFinite(r.power), JSON.stringify(o));
      assert.equal(checkReading(r), null, JSON.stringify(o));
    } catch (e) {
      assert.ok(e instanceof SessyP1Error, `${e && e.message} for ${JSON.stringify(o)}`);
    }
  }
  assert.ok(accepted > 1000);
});
