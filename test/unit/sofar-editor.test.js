'use strict';
// The sofar-inverter edit dialog validates with the same schema the runtime reads the config with
// (lib/devices/sofar/config.ts, injected by the build): for every field with a validator, the
// dialog and readSofarConfig accept and refuse the same values.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const helpers = require('../helpers');
const { readSofarConfig, sofarConfigSchema } = require(path.join(dist, 'lib/devices/sofar/config'));

const editorDefinition = () => helpers.editorDefinition('sofar-inverter');

test('the dialog carries the runtime schema and validates each field as the runtime does', () => {
  const { def, schemas } = editorDefinition();
  assert.equal(def.type, 'sofar-inverter');
  assert.deepEqual(JSON.parse(JSON.stringify(schemas['sofar-inverter'])), JSON.parse(JSON.stringify(sofarConfigSchema.properties)));
  const samples = ['', '  ', '1', ' 7 ', '0', '-1', '2.5', '0x10', '1e3', 'abc', 1, 0, 59, 60, 61, 247, 248, 600, 601, 3000, 6000, 6001, 86400, 86401, NaN, Infinity];
  const checked = Object.entries(def.defaults).filter(([, d]) => typeof d.validate === 'function');
  assert.deepEqual(checked.map(([f]) => f).sort(), ['heartbeat', 'maxPower', 'pollInterval', 'resend', 'staleAfter', 'unit']);
  for (const [field, d] of checked) {
    for (const v of samples) {
      const editor = d.validate.call({}, v);
      const runtime = readSofarConfig({ link: 'l', [field]: v }).ok;
      assert.equal(editor, runtime, `${field} = ${JSON.stringify(v) ?? String(v)}: editor ${editor}, runtime ${runtime}`);
    }
  }
  // The defaults the dialog offers are valid configs.
  const saved = Object.fromEntries(Object.entries(def.defaults).map(([k, d]) => [k, d.value]));
  assert.equal(readSofarConfig({ ...saved, link: 'l' }).ok, true);
});
