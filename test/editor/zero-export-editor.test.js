'use strict';
// zero-export edit dialog in the real Node-RED editor (headless Chromium, test/editor/red-editor.js):
// the unit list sets the outputs on save, and wires keep their unit when units are added, removed or
// reordered (the status output stays last); the list is validated. Run after `npm run build`.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { openEditor, skipWithoutChromium: skip } = require('./red-editor');

const unit = (label) => ({ label, serial: '', topic: '', maxChargeW: 2200, maxDischargeW: 1700, capacityWh: 5200 });
const FLOW = [
  { id: 'tab1', type: 'tab', label: 'Zero export' },
  { id: 'ze1', type: 'zero-export', z: 'tab1', name: '', units: [unit('A'), unit('B')], outputs: 3, version: 1, x: 200, y: 100, wires: [['dA'], ['dB'], ['dS']] },
  { id: 'dA', type: 'debug', z: 'tab1', name: 'to A', x: 500, y: 60, wires: [] },
  { id: 'dB', type: 'debug', z: 'tab1', name: 'to B', x: 500, y: 100, wires: [] },
  { id: 'dS', type: 'debug', z: 'tab1', name: 'status', x: 500, y: 140, wires: [] },
];

describe('zero-export edit dialog (headless Chromium)', { skip }, () => {
  let ed;
  let page;
  let errors;

  before(async () => {
    ed = await openEditor(FLOW, ['ze1']);
    ({ page, errors } = ed);
    await page.waitForFunction(() => RED.workspaces.active() === 'tab1', null, { timeout: 60_000 });
  });

  after(async () => {
    if (ed) await ed.close();
  });

  /** The node's units, outputs and which debug node each port feeds. */
  const snapshot = () =>
    page.evaluate(() => {
      const n = RED.nodes.node('ze1');
      const links = [];
      RED.nodes.eachLink((l) => l.source === n && links.push([Number(l.sourcePort), l.target.id]));
      links.sort((a, b) => a[0] - b[0]);
      return { outputs: n.outputs, labels: n.units.map((u) => u.label), links, valid: n.valid, portLabels: [0, 1, 2, 3].slice(0, n.outputs).map((i) => n._def.outputLabels.call(n, i)) };
    });

  /** Opens the dialog, runs `edit` in the page (jQuery on the dialog), presses Done. */
  async function editWith(edit) {
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('ze1')));
    await page.locator('.red-ui-tray #node-input-units-container').waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForFunction(() => !$('.red-ui-tray').is(':animated'));
    await page.evaluate(edit);
    await page.locator('#node-dialog-ok').click();
    await page.locator('.red-ui-tray #dialog-form').waitFor({ state: 'detached', timeout: 10_000 });
  }

  it('shows the units; adding one at the end keeps every wire on its port, the status output moves to the end', async () => {
    assert.deepEqual(await snapshot(), { outputs: 3, labels: ['A', 'B'], links: [[0, 'dA'], [1, 'dB'], [2, 'dS']], valid: true, portLabels: ['A', 'B', 'status / curtailment'] });
    await editWith(() => {
      // editableList('items') holds one jQuery object per row.
      const rows = $('#node-input-units-container').editableList('items');
      if (rows.length !== 2 || $(rows[1]).find('.he-ze-label').val() !== 'B' || $(rows[0]).find('.he-ze-maxChargeW').val() !== '2200') throw new Error('rows not shown');
      $('#node-input-units-container').editableList('addItem', {});
      const all = $('#node-input-units-container').editableList('items');
      $(all[all.length - 1]).find('.he-ze-label').val('C').trigger('change');
    });
    const s = await snapshot();
    assert.equal(s.outputs, 4);
    assert.deepEqual(s.labels, ['A', 'B', 'C']);
    assert.deepEqual(s.links, [[0, 'dA'], [1, 'dB'], [3, 'dS']]);
    assert.deepEqual(s.portLabels, ['A', 'B', 'C', 'status / curtailment']);
    const c = await page.evaluate(() => RED.nodes.node('ze1').units[2]);
    // A new unit leaves its limits blank: the battery reports them.
    assert.deepEqual(c, { label: 'C', serial: '', topic: '', maxChargeW: '', maxDischargeW: '', capacityWh: '' });
  });

  it('removing the first unit drops its wire and moves the others down', async () => {
    await editWith(() => {
      const first = $($('#node-input-units-container').editableList('items')[0]);
      $('#node-input-units-container').editableList('removeItem', first.data('data'));
    });
    const s = await snapshot();
    assert.equal(s.outputs, 3);
    assert.deepEqual(s.labels, ['B', 'C']);
    assert.deepEqual(s.links, [[0, 'dB'], [2, 'dS']]);
  });

  it('a duplicate or empty label, or a bad number, makes the node invalid', async () => {
    await editWith(() => {
      const all = $('#node-input-units-container').editableList('items');
      $(all[all.length - 1]).find('.he-ze-label').val('b').trigger('change');
    });
    assert.equal((await snapshot()).valid, false, 'duplicate label (case-insensitive)');
    await editWith(() => {
      const all = $('#node-input-units-container').editableList('items');
      const last = $(all[all.length - 1]);
      last.find('.he-ze-label').val('C');
      last.find('.he-ze-capacityWh').val('lots');
    });
    assert.equal((await snapshot()).valid, false, 'capacity not a number');
    await editWith(() => {
      const all = $('#node-input-units-container').editableList('items');
      $(all[all.length - 1]).find('.he-ze-capacityWh').val('0x10');
    });
    assert.equal((await snapshot()).valid, false, 'hex is not a number (issue 11 defect 9)');
    assert.equal(await page.evaluate(() => RED.nodes.node('ze1').units[1].capacityWh), '0x10', 'kept as typed, not 16');
    await editWith(() => {
      const all = $('#node-input-units-container').editableList('items');
      $(all[all.length - 1]).find('.he-ze-capacityWh').val('4800');
      $('#node-input-maxSocPct').val('3'); // below Min SoC (blank here: its default 5)
    });
    assert.equal((await snapshot()).valid, false, 'max SoC below min SoC');
    await editWith(() => $('#node-input-maxSocPct').val('95'));
    const s = await snapshot();
    assert.equal(s.valid, true);
    assert.equal(await page.evaluate(() => RED.nodes.node('ze1').units[1].capacityWh), 4800, 'saved as a number');
    assert.deepEqual(s.links, [[0, 'dB'], [2, 'dS']], 'edits without list changes keep the wires');
    assert.deepEqual(errors, []);
  });

  it('defaults and ranges come from the config schema (one source)', async () => {
    const r = await page.evaluate(() => {
      const d = RED.nodes.getType('zero-export').defaults;
      const S = HomeEnergyEditor.schemas['zero-export'];
      const dead = d.deadbandW.validate;
      return {
        deadband: d.deadbandW.value,
        budget: d.errorBudgetWs.value,
        schemaDeadband: S.deadbandW.default,
        schemaBudget: S.errorBudgetWs.default,
        hex: dead.call({}, '0x10'),
        tooBig: dead.call({}, '5001'),
        ok: dead.call({}, '20'),
        car: d.leaveChargerToGrid.value,
      };
    });
    assert.deepEqual(r, { deadband: 15, budget: 150, schemaDeadband: 15, schemaBudget: 150, hex: false, tooBig: false, ok: true, car: false });
  });
});
