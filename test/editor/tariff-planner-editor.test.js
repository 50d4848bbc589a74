'use strict';
// The tariff and battery-planner edit dialogs in the real Node-RED editor, headless Chromium.
// Tariff: the price grids (HomeEnergyEditor.weekGrid) save painted hours only; unpainted hours stay
// null, so a later change of the fixed price reaches them (resolved at runtime, lib/tariff/config.ts);
// copy a day to any chosen day or group; clear. Planner: minSoc must be below maxSoc (the runtime's
// rule), flagged on the fields in the dialog. Run after `npm run build`.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { openEditor, skipWithoutChromium } = require('./red-editor');

const dist = path.join(__dirname, '../../dist');

/** A 7 × 24 table of null with the given [day, hour, price] set. */
function week(cells = []) {
  const t = Array.from({ length: 7 }, () => Array(24).fill(null));
  for (const [d, h, v] of cells) t[d][h] = v;
  return t;
}

const FLOW = [
  { id: 'tab1', type: 'tab', label: 'Dialogs' },
  {
    id: 'tar1', type: 'tariff', z: 'tab1', name: '', topic: 'tariff', source: 'table', timeZone: 'Europe/Amsterdam', importPrice: 0.3, exportPrice: 0.05,
    importTable: JSON.stringify(week([[6, 23, 0.12]])), exportTable: '', version: 1, x: 200, y: 100, wires: [[], []],
  },
  { id: 'bp1', type: 'battery-planner', z: 'tab1', name: '', minSoc: 5, maxSoc: 100, pvForecast: 'none', version: 1, x: 200, y: 200, wires: [[], []] },
];

describe('tariff and battery-planner dialogs (headless Chromium)', { skip: skipWithoutChromium }, () => {
  let ed;
  let page;
  before(async () => {
    ed = await openEditor(FLOW, ['tar1', 'bp1']);
    page = ed.page;
  });
  after(async () => {
    if (ed) await ed.close();
  });

  /** Opens node id's dialog and waits until `sel` is visible and the tray stands still. */
  async function open(id, sel) {
    await page.evaluate((nid) => RED.editor.edit(RED.nodes.node(nid)), id);
    await page.locator(`.red-ui-tray ${sel}`).first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForFunction(() => !$('.red-ui-tray').is(':animated'));
    await page.waitForFunction(
      (s) => {
        const r = document.querySelector(s).getBoundingClientRect();
        const w = window;
        const same = w.__heLast && w.__heLast.x === r.x && w.__heLast.y === r.y;
        w.__heStill = same ? (w.__heStill || 0) + 1 : 0;
        w.__heLast = { x: r.x, y: r.y };
        return w.__heStill >= 3;
      },
      `.red-ui-tray ${sel}`,
      { polling: 'raf', timeout: 10_000 },
    );
  }
  async function done() {
    await page.locator('#node-dialog-ok').click();
    await page.locator('.red-ui-tray #dialog-form').waitFor({ state: 'detached', timeout: 10_000 });
  }
  const G = '#he-tar-grid-import';
  async function centre(d, h) {
    const b = await page.locator(`${G} .he-cell`).nth(d * 24 + h).boundingBox();
    return [b.x + b.width / 2, b.y + b.height / 2];
  }
  async function drag(d, from, to) {
    await page.mouse.move(...(await centre(d, from)));
    await page.mouse.down();
    for (let h = from + 1; h <= to; h++) await page.mouse.move(...(await centre(d, h)), { steps: 2 });
    await page.mouse.up();
  }
  const click = async (d, h) => page.mouse.click(...(await centre(d, h)));
  const title = (i) => page.locator(`${G} .he-cell`).nth(i).getAttribute('title');
  const saved = (id, field) => page.evaluate(([nid, f]) => RED.nodes.node(nid)[f], [id, field]);

  it('tariff: painting saves the painted hours only; a later fixed-price change reaches the unpainted ones', async () => {
    await open('tar1', `${G} .he-cell`);
    assert.equal(await page.locator(`${G} .he-cell`).count(), 7 * 24);
    assert.equal(await title(6 * 24 + 23), 'Sun 23:00 0.12');
    assert.equal(await title(8), 'Mon 8:00 (default)');
    await page.fill('#he-tar-brush-import', '0.45');
    await drag(0, 8, 10);
    assert.equal(await title(9), 'Mon 9:00 0.45');
    await page.fill('#he-tar-brush-import', '');
    await click(0, 9); // an empty brush erases: back to the fixed price
    assert.equal(await title(9), 'Mon 9:00 (default)');
    await page.fill('#node-input-importPrice', '0.25');
    await done();
    const t = JSON.parse(await saved('tar1', 'importTable'));
    assert.deepEqual(t, week([[0, 8, 0.45], [0, 10, 0.45], [6, 23, 0.12]]));
    assert.equal(await saved('tar1', 'importPrice'), '0.25');
    assert.equal(await saved('tar1', 'exportTable'), '', 'the untouched feed-in grid saves no table');
    // what the runtime makes of it: the unpainted hours at the new fixed price
    const { tariffSpec } = require(path.join(dist, 'lib/tariff/config'));
    const { PRESETS } = require(path.join(dist, 'lib/tariff/formula'));
    const spec = tariffSpec({ ...PRESETS.NL, source: 'table', timeZone: 'Europe/Amsterdam', importPrice: 0.25, exportPrice: 0.05, importTable: JSON.stringify(t), exportTable: '' });
    assert.deepEqual([spec.importTable[0][8], spec.importTable[0][9], spec.importTable[3][12], spec.importTable[6][23]], [0.45, 0.25, 0.25, 0.12]);
  });

  it('tariff: copies Monday to a chosen day (Thursday) and to Sat–Sun; clear saves no table; the node stays valid', async () => {
    await open('tar1', `${G} .he-cell`);
    await page.selectOption('#he-tar-from-import', '0');
    await page.selectOption('#he-tar-to-import', '3');
    await page.locator('#he-tar-copy-import').click();
    assert.equal(await title(3 * 24 + 8), 'Thu 8:00 0.45', 'redrawn after the copy');
    await page.selectOption('#he-tar-to-import', 'weekend');
    await page.locator('#he-tar-copy-import').click();
    await done();
    const mon = [[8, 0.45], [10, 0.45]];
    assert.deepEqual(JSON.parse(await saved('tar1', 'importTable')), week([0, 3, 5, 6].flatMap((d) => mon.map(([h, v]) => [d, h, v]))));
    assert.equal(await page.evaluate(() => RED.nodes.node('tar1').valid), true);
    await open('tar1', `${G} .he-cell`);
    await page.locator('#he-tar-clear-import').click();
    assert.equal(await page.locator(`${G} .he-cell[title$="(default)"]`).count(), 7 * 24);
    await done();
    assert.equal(await saved('tar1', 'importTable'), '');
  });

  it('battery-planner: minSoc at or above maxSoc marks both fields and the node invalid; fixed, it is valid again; no browser error', async () => {
    await open('bp1', '#node-input-minSoc');
    await page.fill('#node-input-minSoc', '60');
    await page.fill('#node-input-maxSoc', '40');
    await page.locator('#node-input-name').click();
    await page.waitForFunction(() => $('#node-input-minSoc').hasClass('input-error') && $('#node-input-maxSoc').hasClass('input-error'), null, { timeout: 5000 });
    await done();
    assert.equal(await page.evaluate(() => RED.nodes.node('bp1').valid), false);
    await open('bp1', '#node-input-minSoc');
    await page.fill('#node-input-maxSoc', '90');
    await page.locator('#node-input-name').click();
    await page.waitForFunction(() => !$('#node-input-minSoc').hasClass('input-error') && !$('#node-input-maxSoc').hasClass('input-error'), null, { timeout: 5000 });
    await done();
    assert.equal(await page.evaluate(() => RED.nodes.node('bp1').valid), true);
    assert.deepEqual([await saved('bp1', 'minSoc'), await saved('bp1', 'maxSoc')], ['60', '90']);
    assert.deepEqual(ed.errors, []);
  });
  it('the time-zone fields of tariff, battery-planner, peak-shaving and ev-charging know the IANA zones (a typo is invalid in the dialog, blank takes the default)', async () => {
    const r = await page.evaluate(() =>
      ['tariff', 'battery-planner', 'peak-shaving', 'ev-charging'].map((t) => {
        const v = RED.nodes.getType(t).defaults.timeZone.validate;
        return [t, v.call({}, 'Europe/Brussels'), v.call({}, 'Europe/Brusels'), v.call({}, '')];
      }),
    );
    assert.deepEqual(r, [
      ['tariff', true, false, true],
      ['battery-planner', true, false, true],
      ['peak-shaving', true, false, true],
      ['ev-charging', true, false, true],
    ]);
  });
});
