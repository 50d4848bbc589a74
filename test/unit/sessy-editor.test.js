'use strict';
// The built editor definitions of sessy-dongle and sessy-battery, run against a stub RED: the config
// node has a palette label (Node-RED titles its dialog "Edit <paletteLabel> node", issue 11: it
// showed "Edit sessy-dongle node"), and every validator comes from the node's config schema
// (HomeEnergyEditor.check), accepting and refusing what the runtime's configReader does.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

function definition(type) {
  const html = fs.readFileSync(path.join(__dirname, '../../dist/nodes', type, `${type}.html`), 'utf8');
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  const defs = {};
  const window = {};
  const ctx = { window, RED: { nodes: { registerType: (t, d) => (defs[t] = d), node: () => null } }, $: () => ({}) };
  ctx.HomeEnergyEditor = undefined;
  vm.createContext(ctx);
  for (const s of scripts) {
    vm.runInContext(s, ctx);
    ctx.HomeEnergyEditor = window.HomeEnergyEditor;
  }
  return defs[type];
}

test('sessy-dongle: a palette label for the dialog title and a readable label', () => {
  const d = definition('sessy-dongle');
  assert.equal(d.category, 'config');
  assert.equal(d.paletteLabel, 'Sessy dongle');
  assert.equal(d.label.call({ host: '192.168.1.50' }), 'Sessy dongle 192.168.1.50');
  assert.equal(d.label.call({ name: 'Garage' }), 'Garage');
});

test('sessy-dongle and sessy-battery: validators from the config schema', () => {
  const dongle = definition('sessy-dongle').defaults;
  const v = (defaults, field, value) => defaults[field].validate.call({}, value);
  assert.equal(v(dongle, 'host', '192.168.1.50'), true);
  assert.equal(v(dongle, 'host', 'a b'), false);
  assert.equal(v(dongle, 'host', ''), false);
  assert.equal(v(dongle, 'pollInterval', '5'), true);
  assert.equal(v(dongle, 'pollInterval', '0x10'), false, 'no hex');
  assert.equal(v(dongle, 'pollInterval', 0.5), false);
  assert.equal(v(dongle, 'pollInterval', ''), true, 'empty = default');
  const battery = definition('sessy-battery').defaults;
  assert.equal(v(battery, 'keepAlive', 0), true, '0 = send once');
  assert.equal(v(battery, 'keepAlive', 0.5), false);
  assert.equal(v(battery, 'maxCharge', 2200), true);
  assert.equal(v(battery, 'maxCharge', -5), false);
  assert.equal(v(battery, 'commandTimeout', 5), false);
  assert.equal(v(battery, 'commandTimeout', 0), true);
});
