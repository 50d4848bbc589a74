'use strict';
// Issue 11 defect 4: every schema in lib/api/schemas.ts rejects NaN and ±Infinity wherever it takes a
// number. ajv's plain `type: "number"` already does, a type list (`["number", "null"]`) does not:
// JSON payloads cannot carry them, JS objects between nodes can.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const Ajv = require('ajv');
const { validator } = require('../../dist/lib/api/validate');
const schemas = require('../../dist/lib/api/schemas');

const SAMPLES = {
  meterReadingSchema: {
    kind: 'meter', timestamp: 1700000000000, source: 'p1', serial: 'E1', model: 'ISK5', protocol: 'DSMR 5.0', power: -120, importPower: 0, exportPower: 120,
    phases: [{ voltage: 230.1, current: 1, power: -120, importPower: 0, exportPower: 120, powerFactor: 0.9 }],
    energy: { importWh: 10, exportWh: 20, importTariffWh: [5, 5], exportTariffWh: [10, 10], phases: [{ importWh: 1, exportWh: 2 }] },
    tariff: 1, frequency: 50, powerFactor: 0.99,
    capacity: { currentAverageW: 100, monthPeakW: 2000, monthPeakAt: null, history: [{ month: null, peakW: 3000, at: null }], projectedW: 120, quarterStart: 1700000000000, computed: true, partial: false },
    gas: { m3: 1.5, at: null }, water: { m3: 2.5, at: null }, heat: { GJ: 3.5, at: null },
  },
  batteryReadingSchema: {
    kind: 'battery', timestamp: 1700000000000, source: 'sessy', soc: 50, power: 100, setpoint: 100, state: 'ready', startupRemainingS: 0,
    limits: { maxChargeW: 2200, maxDischargeW: 1700 }, capacityWh: 5000, energy: { chargedWh: 1, dischargedWh: 2 },
  },
  batterySetpointSchema: { kind: 'battery-setpoint', power: 800 },
  batteryReleaseSchema: { kind: 'battery-release' },
};

/** Paths of every number in a sample. */
function numberPaths(v, path = []) {
  if (typeof v === 'number') return [path];
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => numberPaths(x, [...path, k]));
}

function withValue(obj, path, value) {
  const copy = structuredClone(obj);
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k];
  cur[path.at(-1)] = value;
  return copy;
}

const exported = Object.entries(schemas).filter(([name, s]) => name.endsWith('Schema') && s && typeof s === 'object');

test('every exported message schema has a sample here', () => {
  assert.deepEqual(exported.map(([n]) => n).sort(), Object.keys(SAMPLES).sort());
});

for (const [name, schema] of exported) {
  test(`${name}: the sample is valid, and NaN / ±Infinity in any of its numbers is rejected`, () => {
    const check = validator(schema, 'payload');
    const sample = SAMPLES[name];
    assert.equal(check(sample), null);
    for (const path of numberPaths(sample)) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const err = check(withValue(sample, path, bad));
        assert.ok(err, `${name}: ${path.join('.')} = ${bad} passed`);
        assert.ok(err.startsWith(`payload.${path.join('.')}`), err);
      }
    }
  });
}

test('without finite(), a type list lets Infinity through (why the schemas need it)', () => {
  const plain = new Ajv({ strict: false }).compile({ type: ['number', 'null'] });
  assert.equal(plain(Infinity), true);
  const bounded = new Ajv({ strict: false }).compile(schemas.finite({ type: ['number', 'null'] }));
  assert.deepEqual([bounded(Infinity), bounded(-Infinity), bounded(NaN), bounded(null), bounded(1e308)], [false, false, false, true, true]);
});
