'use strict';
// The modbus-link edit dialog as the build writes it: a proper name in the dialog title and the
// palette ("Edit Modbus link node", not the raw type), the client key as a multi-line credential
// field (an <input type="password"> dropped the PEM's line breaks, issue 11 defect 8), validators
// from the config schema (HomeEnergyEditor.check), and the schema injected for them.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const built = (type) => fs.readFileSync(path.join(__dirname, '../../dist/nodes', type, `${type}.html`), 'utf8');

test('modbus-link: palette label, multi-line key field, schema validators', () => {
  const html = built('modbus-link');
  assert.match(html, /paletteLabel: 'Modbus link'/);
  assert.match(html, /<textarea id="node-config-input-tlsKey"/);
  assert.doesNotMatch(html, /<input type="password" id="node-config-input-tlsKey"/);
  assert.match(html, /tlsKey: \{ type: 'password' \}/, 'still a credential: never exported with the flow');
  assert.match(html, /HomeEnergyEditor\.schemas\["modbus-link"\] = \{/);
  assert.doesNotMatch(html, /he\.number\(/, 'no hand-written ranges');
});

test('ksem-meter: Accept from field, loopback default, schema validators, output table in the help', () => {
  const html = built('ksem-meter');
  assert.match(html, /listenHost: \{ value: '127\.0\.0\.1'/);
  assert.match(html, /id="node-input-allowFrom"/);
  assert.match(html, /HomeEnergyEditor\.schemas\["ksem-meter"\] = \{/);
  assert.doesNotMatch(html, /he\.number\(/);
  const help = fs.readFileSync(path.join(__dirname, '../../dist/nodes/ksem-meter/locales/en-US/ksem-meter.html'), 'utf8');
  assert.match(help, /\| `energy\.phases\[\]\.importWh` \| Wh \|/);
  assert.doesNotMatch(help, /<!-- outputs -->|\.\.\/shared/);
  assert.match(help, /Accept from/);
});
