'use strict';
// The public library API (lib/index.ts): `require('node-red-contrib-home-energy')` resolves through
// package.json "main" to the built dist/lib/index.js, has typings at "types", and gives working
// parsers, drivers, controllers, the device model and schemas. Run after `npm run build`.
// (test/pack/pack.test.js does the same against the installed tarball.)
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { V1 } = require('../fixtures/telegrams');

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

test('package.json main and types point at built files', () => {
  assert.equal(pkg.main, 'dist/lib/index.js');
  assert.equal(pkg.types, 'dist/lib/index.d.ts');
  assert.ok(fs.existsSync(path.join(root, pkg.main)), `${pkg.main} exists (npm run build)`);
  assert.ok(fs.existsSync(path.join(root, pkg.types)), `${pkg.types} exists`);
  assert.equal(require.resolve(root), path.join(root, pkg.main));
});

test('the package root exports the stable names', () => {
  const api = require(root);
  const functions = [
    'parseTelegram',
    'telegramToReading',
    'validator',
    'findDevice',
    'deviceForNode',
    'decodeRegisters',
    'encodeRegisters',
    'decodeJson',
    'encodeJson',
    'checkDescriptor',
    'outputsMarkdown',
    'createSessyBattery',
    'createKsem',
    'createModbusLink',
    'setpointFromObject',
    'createEnector',
  ];
  const classes = ['P1Framer', 'P1Source', 'SessyBattery', 'KsemPoller', 'SofarInverter', 'ZeroExportController', 'EvChargingController', 'PeakShavingController', 'EnectorCharger', 'RegisterImage'];
  for (const name of [...functions, ...classes]) assert.equal(typeof api[name], 'function', `${name} is exported`);
  assert.ok(Array.isArray(api.DEVICES), 'DEVICES is an array');
  for (const name of ['meterReadingSchema', 'batteryReadingSchema', 'batterySetpointSchema']) {
    assert.equal(api[name] && api[name].type, 'object', `${name} is a JSON schema`);
  }
  assert.equal(typeof api.ZERO_EXPORT_DEFAULTS, 'object');
});

test('parser, framer, normalizer and schema work together through the package root', () => {
  const api = require(root);
  const framer = new api.P1Framer();
  const frames = [...framer.push(V1.slice(0, 100)), ...framer.push(V1.slice(100))];
  assert.equal(frames.length, 1, 'one telegram framed from two chunks');
  const telegram = api.parseTelegram(frames[0]);
  assert.equal(telegram.crcValid, true);
  const reading = api.telegramToReading(telegram);
  assert.equal(reading.power, 1765);
  assert.equal(reading.serial, 'E0044007118529318');
  assert.equal(api.validator(api.meterReadingSchema)(reading), null, 'the reading passes the package schema');
});

test('the device model encodes and decodes through the package root', () => {
  const api = require(root);
  const point = { name: 'p', source: { kind: 'json', endpoint: '/x', path: 'a.b' }, scale: 0.001, unit: 'W', deviceUnit: 'mW' };
  const body = {};
  api.setPath(body, 'a.b', 1500);
  assert.deepEqual(body, { a: { b: 1500 } });
  assert.equal(api.getPath(body, 'a.b'), 1500);
  assert.equal(typeof api.describeSource(point), 'string');
});

test('loading the library does not load Node-RED', () => {
  const { execFileSync } = require('node:child_process');
  const out = execFileSync(
    process.execPath,
    ['-e', `require(${JSON.stringify(root)}); console.log(Object.keys(require.cache).filter((p) => /node_modules[\\\\/](node-red|@node-red)[\\\\/]/.test(p)).length)`],
    { encoding: 'utf8' },
  );
  assert.equal(out.trim(), '0');
});
