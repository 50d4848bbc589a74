'use strict';
// The battery-release command (lib/api/schemas.ts batteryReleaseSchema) as both battery nodes parse
// it: object and topic forms, errors naming the field, and the Sofar release mode.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const sessy = require('../../dist/lib/devices/sessy/commands');
const sofar = require('../../dist/lib/devices/sofar/commands');
const { validator } = require('../../dist/lib/api/validate');
const { batteryReleaseSchema } = require('../../dist/lib/api/schemas');

test('battery-release schema', () => {
  const check = validator(batteryReleaseSchema, 'payload');
  assert.equal(check({ kind: 'battery-release' }), null);
  assert.equal(check({ kind: 'battery-release', serial: 'DSIM0001', reason: 'zero-export: failsafe-meter' }), null);
  assert.equal(check({ kind: 'battery-release', power: 0 }), 'payload.power: is not allowed');
  assert.equal(check({ kind: 'battery-release', serial: 7 }), 'payload.serial: must be string');
  assert.equal(check({ kind: 'battery-releases' }), 'payload.kind: must be equal to constant');
});

for (const [name, parse] of [
  ['sessy', sessy.parseBatteryCommand],
  ['sofar', sofar.parseSofarCommand],
]) {
  test(`${name}: battery-release object and topic "release"`, () => {
    assert.deepEqual(parse({ payload: { kind: 'battery-release', reason: 'zero-export: node closed' } }).command, { type: 'release', serial: undefined, reason: 'zero-export: node closed' });
    assert.deepEqual(parse({ payload: { kind: 'battery-release', serial: 'X1' } }).command, { type: 'release', serial: 'X1', reason: undefined });
    assert.deepEqual(parse({ topic: 'Release', payload: '' }).command, { type: 'release' });
    assert.match(parse({ payload: { kind: 'battery-release', mode: 'auto' } }).error, /^payload\.mode: is not allowed$/);
    assert.match(parse({ payload: { kind: 'battery-release', reason: 5 } }).error, /^payload\.reason: must be string$/);
    assert.match(parse({ payload: { kind: 'battery-relax' } }).error, /^payload\.kind: must be one of .*"battery-release" \(got "battery-relax"\)$/);
    assert.match(parse({ payload: 42 }).error, /or "battery-release", or a value with msg\.topic .*"release" or "refresh"/);
  });
}

test('sofar: a release leaves the inverter in the On stop mode, auto unless that is standby', () => {
  assert.equal(sofar.releaseMode('auto'), 'auto');
  assert.equal(sofar.releaseMode('standby'), 'standby');
  assert.equal(sofar.releaseMode('none'), 'auto');
  assert.equal(sofar.releaseMode(undefined), 'auto');
});
