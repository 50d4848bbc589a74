'use strict';
// The week grid of the schedule and ev-charging edit dialogs (HomeEnergyEditor.weekGrid in
// nodes/_shared/editor.js) in the real Node-RED editor, headless Chromium: a saved table loads,
// dragging paints cells, the default brush erases, copying a day fills the others, a change of cell
// size resizes the table, clear empties it; the saved config is what the runtimes read
// (7 rows, Monday first, of values or null; '' for none). Run after `npm run build`.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { openEditor, skipWithoutChromium } = require('./red-editor');

/** A 7 × n table of null with the given [day, cell, value] set. */
function week(n, cells = []) {
  const t = Array.from({ length: 7 }, () => Array(n).fill(null));
  for (const [d, c, v] of cells) t[d][c] = v;
  return t;
}

const FLOW = [
  { id: 'tab1', type: 'tab', label: 'Week grids' },
  {
    id: 'sch1', type: 'schedule', z: 'tab1', name: '', topic: 'schedule', output: 'mode', valueType: 'text', cellMinutes: '60',
    values: 'balance,hold,charge', table: JSON.stringify(week(24, [[6, 23, 'hold']])), default: 'balance', exceptions: '',
    timeZone: 'Europe/Amsterdam', version: 1, x: 200, y: 100, wires: [[], []],
  },
  { id: 'ev1', type: 'ev-charging', z: 'tab1', name: '', mode: 'time', timeTable: JSON.stringify(week(24, [[5, 10, 'power']])), timeDefault: 'solar-pure', version: 1, x: 200, y: 200, wires: [[], []] },
];

describe('week grid of the schedule and ev-charging dialogs (headless Chromium)', { skip: skipWithoutChromium }, () => {
  let ed;
  let page;
  before(async () => {
    ed = await openEditor(FLOW, ['sch1', 'ev1']);
    page = ed.page;
  });
  after(async () => {
    if (ed) await ed.close();
  });

  /** Opens node id's dialog and waits for its grid (container selector). */
  async function open(id, grid) {
    await page.evaluate((nid) => RED.editor.edit(RED.nodes.node(nid)), id);
    await page.locator(`.red-ui-tray ${grid} .he-cell`).first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForFunction(() => !$('.red-ui-tray').is(':animated'));
    // The tray also slides in by a CSS transition: wait until the grid stays put for three frames.
    await page.waitForFunction(
      (sel) => {
        const r = document.querySelector(sel).getBoundingClientRect();
        const w = window;
        const same = w.__heLast && w.__heLast.x === r.x && w.__heLast.y === r.y;
        w.__heStill = same ? (w.__heStill || 0) + 1 : 0;
        w.__heLast = { x: r.x, y: r.y };
        return w.__heStill >= 3;
      },
      `.red-ui-tray ${grid} .he-cell`,
      { polling: 'raf', timeout: 10_000 },
    );
  }
  async function done() {
    await page.locator('#node-dialog-ok').click();
    await page.locator('.red-ui-tray #dialog-form').waitFor({ state: 'detached', timeout: 10_000 });
  }
  /** The centre of cell c of day d in a grid of n cells a day. */
  async function centre(grid, n, d, c) {
    const b = await page.locator(`${grid} .he-cell`).nth(d * n + c).boundingBox();
    return [b.x + b.width / 2, b.y + b.height / 2];
  }
  /** Presses the mouse on one cell, drags along the day to another, releases. */
  async function drag(grid, n, d, from, to) {
    await page.mouse.move(...(await centre(grid, n, d, from)));
    await page.mouse.down();
    for (let c = from + 1; c <= to; c++) await page.mouse.move(...(await centre(grid, n, d, c)), { steps: 2 });
    await page.mouse.up();
  }
  const click = async (grid, n, d, c) => page.mouse.click(...(await centre(grid, n, d, c)));
  const title = (grid, i) => page.locator(`${grid} .he-cell`).nth(i).getAttribute('title');
  const saved = (id, field) => page.evaluate(([nid, f]) => RED.nodes.node(nid)[f], [id, field]);

  it('schedule: loads the saved table, paints by dragging, erases with the default brush, copies a day to the weekdays', async () => {
    const G = '#he-sch-week';
    await open('sch1', G);
    assert.equal(await title(G, 6 * 24 + 23), 'Sun 23:00 hold');
    assert.equal(await title(G, 8), 'Mon 8:00 (default)');
    await page.selectOption('#he-sch-brush', 'charge');
    await drag(G, 24, 0, 8, 10);
    assert.equal(await title(G, 9), 'Mon 9:00 charge');
    await page.evaluate(() => $('#he-sch-brush').val(''));
    await click(G, 24, 0, 9);
    await page.selectOption('#he-sch-from', '0');
    await page.locator('#he-sch-to-weekdays').click();
    assert.equal(await title(G, 4 * 24 + 10), 'Fri 10:00 charge', 'redrawn after the copy');
    await done();
    const mon = [[8, 'charge'], [10, 'charge']];
    const expected = week(24, [...[0, 1, 2, 3, 4].flatMap((d) => mon.map(([c, v]) => [d, c, v])), [6, 23, 'hold']]);
    assert.deepEqual(JSON.parse(await saved('sch1', 'table')), expected);
  });

  it('schedule: quarters resize the table (an hour fills its four quarters), a quarter paints alone, clear saves no table', async () => {
    const G = '#he-sch-week';
    await open('sch1', G);
    await page.selectOption('#node-input-cellMinutes', '15');
    assert.equal(await page.locator(`${G} .he-cell`).count(), 7 * 96);
    await page.selectOption('#he-sch-brush', 'hold');
    await click(G, 96, 2, 33); // Wed 8:15
    assert.equal(await title(G, 2 * 96 + 33), 'Wed 8:15 hold');
    await done();
    const t = JSON.parse(await saved('sch1', 'table'));
    assert.equal(await saved('sch1', 'cellMinutes'), '15');
    assert.deepEqual(t.map((r) => r.length), [96, 96, 96, 96, 96, 96, 96]);
    assert.deepEqual(t[0].slice(31, 45), [null, 'charge', 'charge', 'charge', 'charge', null, null, null, null, 'charge', 'charge', 'charge', 'charge', null]);
    assert.deepEqual(t[2].slice(32, 36), ['charge', 'hold', 'charge', 'charge']);
    assert.deepEqual(t[6].slice(92), ['hold', 'hold', 'hold', 'hold']);
    assert.equal(t.flat().filter((v) => v !== null).length, 5 * 8 + 4);
    await open('sch1', G);
    await page.locator('#he-sch-clear').click();
    await done();
    assert.equal(await saved('sch1', 'table'), '');
  });

  it('ev-charging: loads the saved time table, paints by dragging, copies Monday to Tue–Fri and Saturday to Sunday', async () => {
    const G = '#he-ev-week';
    await open('ev1', G);
    assert.equal(await page.locator(`${G} .he-cell`).count(), 7 * 24);
    assert.equal(await title(G, 5 * 24 + 10), 'Sat 10:00 power');
    await page.selectOption('#he-ev-brush', 'solar-plus');
    await drag(G, 24, 0, 18, 20);
    await page.selectOption('#he-ev-brush', 'default');
    await click(G, 24, 0, 19);
    await page.selectOption('#he-ev-brush', 'lock');
    await click(G, 24, 1, 3); // Tuesday: overwritten by the copy from Monday
    await page.locator('#he-ev-copy-weekdays').click();
    await page.locator('#he-ev-copy-weekend').click();
    await done();
    const expected = week(24, [...[0, 1, 2, 3, 4].flatMap((d) => [[d, 18, 'solar-plus'], [d, 20, 'solar-plus']]), [5, 10, 'power'], [6, 10, 'power']]);
    assert.deepEqual(JSON.parse(await saved('ev1', 'timeTable')), expected);
    assert.equal(await page.evaluate(() => RED.nodes.node('ev1').valid), true);
  });

  it('ev-charging: clear saves no table; the browser logged no error', async () => {
    await open('ev1', '#he-ev-week');
    await page.locator('#he-ev-clear').click();
    assert.equal(await page.locator('#he-ev-week .he-cell[title$="(default)"]').count(), 7 * 24);
    await done();
    assert.equal(await saved('ev1', 'timeTable'), '');
    assert.deepEqual(ed.errors, []);
  });
});
