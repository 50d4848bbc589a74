'use strict';
// The schedule edit dialog's validation in the real Node-RED editor (headless Chromium,
// test/editor/red-editor.js): switching Values to number with text cells painted warns and makes the
// node invalid (the runtime would refuse it at deploy), so does the default "balance"; exception lines
// and the time zone (Intl) are checked in the dialog; a day copies to any ticked days; the zero-export
// dialog has the charge-mode power. Run after `npm run build`.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { openEditor, skipWithoutChromium: skip } = require('./red-editor');

function week(n, cells = []) {
  const t = Array.from({ length: 7 }, () => Array(n).fill(null));
  for (const [d, c, v] of cells) t[d][c] = v;
  return t;
}

const FLOW = [
  { id: 'tab1', type: 'tab', label: 'Schedule' },
  {
    id: 'sch1', type: 'schedule', z: 'tab1', name: '', topic: 'schedule', output: 'mode', valueType: 'text', cellMinutes: '60',
    values: 'balance,hold,charge', table: JSON.stringify(week(24, [[0, 7, 'charge'], [0, 8, 'hold']])), default: 'balance', exceptions: '',
    timeZone: 'Europe/Amsterdam', version: 1, x: 200, y: 100, wires: [[], []],
  },
  { id: 'ze1', type: 'zero-export', z: 'tab1', name: '', units: [{ label: 'A', serial: '', topic: '', maxChargeW: '', maxDischargeW: '', capacityWh: '' }], outputs: 2, version: 1, x: 400, y: 100, wires: [[], []] },
];

describe('schedule edit dialog validation (headless Chromium)', { skip }, () => {
  let ed;
  let page;
  before(async () => {
    ed = await openEditor(FLOW, ['sch1', 'ze1']);
    page = ed.page;
  });
  after(async () => {
    if (ed) await ed.close();
  });

  async function open(id = 'sch1', field = '#he-sch-week .he-cell') {
    await page.evaluate((nid) => RED.editor.edit(RED.nodes.node(nid)), id);
    await page.locator(`.red-ui-tray ${field}`).first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForFunction(() => !$('.red-ui-tray').is(':animated'));
  }
  async function done() {
    await page.locator('#node-dialog-ok').click();
    await page.locator('.red-ui-tray #dialog-form').waitFor({ state: 'detached', timeout: 10_000 });
  }
  const problems = () => page.evaluate(() => ($('#he-sch-problems').is(':visible') ? $('#he-sch-problems > div').map((_, d) => $(d).text()).get() : []));
  const node = (id = 'sch1') => page.evaluate((nid) => ({ ...RED.nodes.node(nid), _def: undefined, _: undefined }), id);
  const set = (sel, v) => page.evaluate(([s, x]) => $(s).val(x).trigger('change'), [sel, v]);

  it('a valid node shows no warning', async () => {
    await open();
    assert.deepEqual(await problems(), []);
    await done();
    assert.equal((await node()).valid, true);
  });

  it('Values = number with text cells and the default "balance": warned in the dialog and the node is invalid, nothing dropped', async () => {
    await open();
    await set('#node-input-valueType', 'number');
    const p = await problems();
    assert.equal(p.length, 3, JSON.stringify(p));
    assert.equal(p[0], 'Empty cells: "balance" is not a number');
    assert.equal(p[1], '2 painted cells are not a number (Mon 7:00 "charge", Mon 8:00 "hold"): repaint or change Values');
    assert.match(p[2], /^Brushes "balance", "hold", "charge" not a number$/);
    await done();
    const n = await node();
    assert.equal(n.valid, false);
    assert.deepEqual(JSON.parse(n.table)[0].slice(7, 9), ['charge', 'hold'], 'the painted cells are kept');
    // Back to text: valid again.
    await open();
    await set('#node-input-valueType', 'text');
    assert.deepEqual(await problems(), []);
    await done();
    assert.equal((await node()).valid, true);
  });

  it('grid-target output: numbers and min..max bands fit, modes do not', async () => {
    await open();
    await set('#node-input-output', 'grid-target');
    await set('#node-input-values', '0,0..2500,-500');
    await set('#node-input-default', '0');
    const p = await problems();
    assert.equal(p.length, 1, JSON.stringify(p));
    assert.match(p[0], /^2 painted cells are not a grid target in W or a band min\.\.max/);
    await page.locator('#he-sch-clear').click();
    assert.deepEqual(await problems(), []);
    await done();
    const n = await node();
    assert.equal(n.valid, true);
    assert.equal(n.table, '');
    assert.equal(n.output, 'grid-target');
  });

  it('exception lines and the time zone are checked in the dialog', async () => {
    await open();
    await page.evaluate(() => $('#node-input-exceptions').val('2026-12-25 Sun # Xmas\n25-12-2026 Sun\n2026-07-14..2026-07-01 0\n2026-08-01 hold').trigger('input'));
    await page.evaluate(() => $('#node-input-timeZone').val('Mars/Base').trigger('input'));
    assert.deepEqual(await problems(), [
      'Exceptions line 2: write "YYYY-MM-DD[..YYYY-MM-DD] value-or-weekday [# label]"',
      'Exceptions line 3: 2026-07-01 is before 2026-07-14',
      'Exceptions line 4: "hold" is neither a grid target in W or a band min..max nor a weekday (Mon … Sun)',
      'Time zone: "Mars/Base" is not a known IANA zone (e.g. Europe/Amsterdam)',
    ]);
    await done();
    assert.equal((await node()).valid, false);
    await open();
    await page.evaluate(() => $('#node-input-exceptions').val('2026-12-25 Sun # Xmas\n2026-08-01 -300').trigger('input'));
    await page.evaluate(() => $('#node-input-timeZone').val('Europe/Brussels').trigger('input'));
    assert.deepEqual(await problems(), []);
    await done();
    assert.equal((await node()).valid, true);
    assert.equal(await page.evaluate(() => HomeEnergyEditor.timeZone().call({}, 'America/Argentina/Buenos_Aires')), true);
    assert.equal(await page.evaluate(() => HomeEnergyEditor.timeZone().call({}, '')), false);
    assert.equal(await page.evaluate(() => HomeEnergyEditor.timeZone({ empty: true }).call({}, '')), true);
  });

  it('copies a day to any ticked days', async () => {
    await open();
    await set('#node-input-output', 'mode');
    await set('#node-input-values', 'balance,hold,charge');
    await set('#node-input-default', 'balance');
    await page.evaluate(() => $('#node-input-exceptions').val('').trigger('input'));
    await page.selectOption('#he-sch-brush', 'charge');
    const b = await page.locator('#he-sch-week .he-cell').nth(1 * 24 + 5).boundingBox(); // Tue 5:00
    await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
    await page.selectOption('#he-sch-from', '1');
    await page.locator('.he-sch-day[value="3"]').check();
    await page.locator('.he-sch-day[value="6"]').check();
    await page.locator('#he-sch-to-chosen').click();
    await done();
    const t = JSON.parse((await node()).table);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((d) => t[d][5]), [null, 'charge', null, 'charge', null, null, 'charge']);
    assert.equal((await node()).valid, true);
  });

  it('zero-export has the charge-mode power (blank in a flow saved before = the default 1000 W; validated); the browser logged no error', async () => {
    await open('ze1', '#node-input-modeChargeW');
    assert.equal(await page.inputValue('#node-input-modeChargeW'), '');
    assert.equal((await node('ze1')).valid, true);
    await page.fill('#node-input-modeChargeW', '-5');
    await done();
    assert.equal((await node('ze1')).valid, false);
    await open('ze1', '#node-input-modeChargeW');
    await page.fill('#node-input-modeChargeW', '2500');
    await done();
    assert.equal((await node('ze1')).valid, true);
    assert.deepEqual(ed.errors, []);
  });
});
