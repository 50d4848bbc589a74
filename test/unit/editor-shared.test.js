'use strict';
// The editor helpers every node dialog uses (nodes/_shared/editor.js, prepended to each built editor
// HTML by scripts/build.mjs): validators, live field values, row toggles. Run in a vm with a small
// jQuery stand-in; test/editor/editor.test.js covers them in the real editor.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const root = path.join(__dirname, '../..');
const source = fs.readFileSync(path.join(root, 'nodes/_shared/editor.js'), 'utf8');

/** A page of form fields (id → value) and rows (class → visible), with just enough of jQuery. */
function page(fields = {}) {
  const rows = {};
  const handlers = {};
  const $ = (sel) => {
    if (sel.startsWith('#')) {
      const id = sel.slice(1);
      return {
        length: id in fields ? 1 : 0,
        val: () => fields[id],
        on: (ev, fn) => (handlers[id] = fn),
      };
    }
    const cls = sel.slice(1);
    return { toggle: (on) => (rows[cls] = on) };
  };
  const window = { $ };
  window.window = window;
  vm.runInNewContext(source, window);
  const change = (id, v) => {
    fields[id] = v;
    handlers[id]();
  };
  return { he: window.HomeEnergyEditor, rows, change, window };
}

test('the built editor HTML of every node starts with the shared helpers, once', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const type of Object.keys(pkg['node-red'].nodes)) {
    const html = fs.readFileSync(path.join(root, 'dist/nodes', type, `${type}.html`), 'utf8');
    assert.ok(html.startsWith('<script type="text/javascript">\n/*\n * Editor helpers shared'), type);
    assert.equal(html.split('root.HomeEnergyEditor = {').length, 2, `${type}: one copy`);
  }
});

test('number(): range, whole numbers, empty, zero as off, and only when it applies', () => {
  const { he } = page();
  const ok = (fn, v, node = {}) => fn.call(node, v);
  const port = he.number(1, 65535, { int: true });
  assert.deepEqual([1, '502', 65535, ' 80 '].map((v) => ok(port, v)), [true, true, true, true]);
  assert.deepEqual([0, 65536, 1.5, '', '  ', null, undefined, 'x', NaN].map((v) => ok(port, v)), [false, false, false, false, false, false, false, false, false]);
  const stale = he.number(0, Infinity, { empty: true });
  assert.deepEqual(['', null, undefined, 0, 2.5, -1, 'x'].map((v) => ok(stale, v)), [true, true, true, true, true, false, false]);
  const keepAlive = he.number(1, 3600, { empty: true, zero: true });
  assert.deepEqual([0, 1, 3600, 0.5, 3601].map((v) => ok(keepAlive, v)), [true, true, true, false, false]);
  const pushPort = he.number(1, 65535, { int: true, when: (n) => n.mode === 'push' });
  assert.equal(ok(pushPort, 0, { mode: 'poll' }), true, 'not checked in poll mode');
  assert.equal(ok(pushPort, 0, { mode: 'push' }), false);
});

test('filled() and live(): the open dialog wins over the saved node', () => {
  const { he } = page({ 'node-input-source': 'tcp', 'node-config-input-transport': '' });
  const host = he.filled((n) => he.live(n, 'source') === 'tcp');
  assert.equal(host.call({ source: 'serial' }, ''), false, 'dialog says tcp: host required');
  assert.equal(host.call({ source: 'serial' }, ' h '), true);
  assert.equal(he.live({ transport: 'rtu' }, 'transport', true), 'rtu', 'empty dialog field: saved value');
  assert.equal(he.live({ mode: 'push' }, 'mode'), 'push', 'no dialog field: saved value');
  assert.equal(he.filled().call({}, 0), true, 'a number is not blank');
});

test('showRows(): rows follow the select, now and on change', () => {
  const { he, rows, change } = page({ 'node-input-source': 'serial' });
  he.showRows('#node-input-source', { 'he-p1-serial': ['serial'], 'he-p1-tcp': ['tcp'], 'he-net': ['tcp', 'sessy'] });
  assert.deepEqual(rows, { 'he-p1-serial': true, 'he-p1-tcp': false, 'he-net': false });
  change('node-input-source', 'sessy');
  assert.deepEqual(rows, { 'he-p1-serial': false, 'he-p1-tcp': false, 'he-net': true });
});

test('a second copy leaves the first in place', () => {
  const { he, window } = page();
  vm.runInNewContext(source, window);
  assert.equal(window.HomeEnergyEditor, he);
});

test('readWeek() and weekJson(): the saved week table of the schedule and ev-charging grids', () => {
  const { he } = page();
  const plain = (v) => JSON.parse(JSON.stringify(v)); // arrays of the vm's realm
  const hours = Array.from({ length: 7 }, () => Array(24).fill(null));
  hours[0][8] = 'charge';
  hours[6][23] = '';
  const t = plain(he.readWeek(JSON.stringify(hours), 24));
  assert.equal(t[0][8], 'charge');
  assert.equal(t[6][23], null, "'' reads as the default");
  const quarters = plain(he.readWeek(JSON.stringify(hours), 96));
  assert.deepEqual(quarters[0].slice(31, 37), [null, 'charge', 'charge', 'charge', 'charge', null], 'an hour fills its quarters');
  quarters[0][33] = 'hold';
  assert.deepEqual(plain(he.readWeek(JSON.stringify(quarters), 24))[0].slice(7, 10), [null, 'charge', null], "back to hours: each hour's first quarter");
  for (const bad of ['', 'not json', '{}', '[1,2]', 'null']) {
    const w = plain(he.readWeek(bad, 24));
    assert.deepEqual([w.length, w[3].length, w.flat().every((v) => v === null)], [7, 24, true], bad);
  }
  assert.equal(he.weekJson(he.readWeek('', 24)), '', 'an all-default week saves no table');
  assert.deepEqual(JSON.parse(he.weekJson(he.readWeek(JSON.stringify(hours), 24)))[0][8], 'charge');
});
