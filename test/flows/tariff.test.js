'use strict';
// tariff in a real Node-RED runtime: day-ahead prices in a message → current NL consumer prices
// and the coming slots; meter counters → the cost account; the account survives a restart of the
// flows (kept in context); an invalid message ends in an error.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const tariffNode = require(path.join(dist, 'nodes/tariff/tariff.js'));
const { catchNode, catcher, nextMessage, statusSpy, waitForStatus } = require('../helpers');
helper.init(require.resolve('node-red'));

const Q = 15 * 60_000;
const close = (a, b, eps = 1e-6) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

describe('tariff flow', () => {
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
  });

  const flow = (extra = {}) => [
    { id: 't', type: 'tariff', source: 'dynamic', preset: 'NL', timeZone: 'Europe/Amsterdam', importPrice: 0.3, exportPrice: 0.05, wires: [['prices'], ['account']], ...extra },
    { id: 'prices', type: 'helper' },
    { id: 'account', type: 'helper' },
    ...catcher(),
  ];

  it('prices in → NL consumer prices now and the coming slots; meter counters → the cost account, kept across a restart', async () => {
    // Node-RED keeps node context over a restart of the flows only with a configured context store.
    helper.settings({ contextStorage: { default: { module: 'memory' } } });
    await helper.load([tariffNode, catchNode], flow());
    await helper._redNodes.loadContextsPlugin();
    const now = Date.now();
    const q0 = Math.floor(now / Q) * Q;
    const slots = Array.from({ length: 8 }, (_, i) => ({ start: new Date(q0 + i * Q).toISOString(), price: 100 + 10 * i }));
    const got = nextMessage(helper.getNode('prices'), (m) => m.payload.source === 'dynamic');
    helper.getNode('t').receive({ payload: slots });
    const p = (await got).payload;
    assert.equal(p.kind, 'tariff');
    close(p.importPrice, (0.1 + 0.02 + 0.0916) * 1.21);
    close(p.exportPrice, 0.08);
    assert.equal(p.slots.length, 8);
    close(p.slots[7].importPrice, (0.17 + 0.02 + 0.0916) * 1.21);
    assert.deepEqual(p.slot, { start: q0, end: q0 + Q });

    const t = helper.getNode('t');
    const first = nextMessage(helper.getNode('account'));
    t.receive({ payload: { kind: 'meter', energy: { importWh: 10_000, exportWh: 500 }, timestamp: now - 2000 } });
    await first;
    const second = nextMessage(helper.getNode('account'));
    t.receive({ payload: 'refresh' });
    await second;
    // 1 kWh import in one second is a jump (above 100 kW); 20 Wh is booked
    const booked = nextMessage(helper.getNode('account'));
    t.receive({ payload: { kind: 'meter', energy: { importWh: 10_020, exportWh: 500 }, timestamp: now - 1000 } });
    t.receive({ payload: 'refresh' });
    const a = (await booked).payload;
    assert.equal(a.kind, 'cost-account');
    close(a.today.importKWh, 0.02);
    close(a.today.importCost, 0.02 * p.importPrice, 1e-4);

    // restart the flows: the node is created again and restores the account from context
    await helper._redNodes.stopFlows();
    await helper._redNodes.startFlows();
    const again = nextMessage(helper.getNode('account'));
    helper.getNode('t').receive({ payload: 'refresh' });
    close((await again).payload.today.importKWh, 0.02);
  });

  it('without prices the fixed fallback applies (yellow), a peak bills the capacity component, bad messages error', async () => {
    // 48 EUR per kW per year: 4 EUR per kW and month
    await helper.load([tariffNode, catchNode], flow({ capacityRate: 48, capacityMinKW: 2.5 }));
    const t = helper.getNode('t');
    const got = nextMessage(helper.getNode('prices'));
    const refreshed = nextMessage(helper.getNode('account'));
    t.receive({ payload: 'refresh' });
    const p = (await got).payload;
    await refreshed;
    assert.deepEqual([p.source, p.importPrice, p.exportPrice], ['fallback', 0.3, 0.05]);
    const acc = nextMessage(helper.getNode('account'));
    t.receive({ payload: { kind: 'peak-shaving-state', monthPeakW: 4200 } });
    close((await acc).payload.month.capacityCost, 16.8); // a month peak alone: 4.2 kW × 48 / 12
    // a peak-shaving state with its 12-month account and rate: its billed mean and monthly cost
    const acc2 = nextMessage(helper.getNode('account'));
    const account = { months: [], billedMeanW: 3100, floorW: 2500, rateEurPerKWYear: 49.4, costPerYearEur: 153.14, costPerMonthEur: 12.76 };
    t.receive({ payload: { kind: 'peak-shaving-state', monthKey: 'x', monthPeakW: 4200, account } });
    const m = (await acc2).payload.month;
    assert.deepEqual([m.capacityCost, m.billedMeanKW, m.capacityRate, m.capacityFrom, m.peakKW], [12.76, 3.1, 49.4, 'peak-shaving', 4.2]);
    const err = nextMessage(helper.getNode('caught'));
    t.receive({ payload: [{ start: 'yesterday', price: 3 }] });
    assert.match((await err).error.message, /payload\[0\]\.start/);
  });

  describe('CSV file (read at deploy)', () => {
    let dir;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-tariff-csv-'))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    /** A CSV in the format of the shared day-ahead files: this quarter and the next 7, 100 + 10 i EUR/MWh. */
    function csv(name, edit = (l) => l) {
      const q0 = Math.floor(Date.now() / Q) * Q;
      const lines = ['interval_start_utc,duration_min,price_eur_per_mwh', ...Array.from({ length: 8 }, (_, i) => `${new Date(q0 + i * Q).toISOString()},15,${100 + 10 * i}`)];
      const file = path.join(dir, name);
      fs.writeFileSync(file, edit(lines).join('\n') + '\n');
      return { file, q0 };
    }
    const loaded = async (extra) => {
      await helper.load([tariffNode, catchNode], flow(extra));
      return helper.getNode('t');
    };
    const errorsLogged = () => helper.log().args.filter((a) => a[0] && a[0].level === 20).map((a) => String(a[0].msg));

    it('a valid file: its slots are the prices (through the NL formula), no error', async () => {
      const { file, q0 } = csv('ok.csv');
      const t = await loaded({ csvFile: file });
      const got = nextMessage(helper.getNode('prices'), (m) => m.payload.source === 'dynamic');
      t.receive({ payload: 'refresh' });
      const p = (await got).payload;
      close(p.importPrice, (0.1 + 0.02 + 0.0916) * 1.21);
      assert.equal(p.slots.length, 8);
      close(p.slots[7].importPrice, (0.17 + 0.02 + 0.0916) * 1.21);
      assert.deepEqual(p.slot, { start: q0, end: q0 + Q });
      assert.deepEqual(errorsLogged(), []);
    });

    it('a malformed line: an error naming the file and the line; the node runs on with the fixed prices (red status) and still books the account', async () => {
      const { file } = csv('bad.csv', (l) => [...l.slice(0, 4), 'not a time,15,abc', ...l.slice(4)]);
      const t = await loaded({ csvFile: file });
      const errors = errorsLogged();
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.ok(errors[0].includes(file) && /csv line 5: needs a time and a price/.test(errors[0]), errors[0]);
      const calls = statusSpy(t);
      const got = nextMessage(helper.getNode('prices'));
      t.receive({ payload: 'refresh' });
      const p = (await got).payload;
      assert.deepEqual([p.source, p.importPrice, p.exportPrice], ['fallback', 0.3, 0.05]);
      await waitForStatus(calls, { fill: 'red', text: /^CSV not read · 0\.3000 \/ 0\.0500/ });
      const booked = nextMessage(helper.getNode('account'), (m) => m.payload.today.importKWh > 0);
      t.receive({ payload: { importWh: 1000, exportWh: 0, timestamp: Date.now() - 2000 } });
      t.receive({ payload: { importWh: 1010, exportWh: 0, timestamp: Date.now() - 1000 } });
      t.receive({ payload: 'refresh' });
      close((await booked).payload.today.importCost, 0.01 * 0.3);
      // prices from a message still work
      const dyn = nextMessage(helper.getNode('prices'), (m) => m.payload.source === 'dynamic');
      t.receive({ payload: [{ start: new Date(Math.floor(Date.now() / Q) * Q).toISOString(), price: 200 }] });
      close((await dyn).payload.importPrice, (0.2 + 0.02 + 0.0916) * 1.21);
    });

    it('a missing file: a clear error naming it; the node keeps running on the fixed prices', async () => {
      const file = path.join(dir, 'missing.csv');
      const t = await loaded({ csvFile: file });
      const errors = errorsLogged();
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.ok(errors[0].startsWith(`CSV price file not read, running on messages and the fixed prices: ${file}: `) && /ENOENT|no such file/.test(errors[0]), errors[0]);
      const got = nextMessage(helper.getNode('prices'));
      t.receive({ payload: 'refresh' });
      assert.deepEqual([(await got).payload.source, (await got).payload.importPrice], ['fallback', 0.3]);
    });
  });
});
