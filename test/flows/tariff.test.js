'use strict';
// tariff in a real Node-RED runtime: day-ahead prices in a message → current NL consumer prices
// and the coming slots; meter counters → the cost account; the account survives a restart of the
// flows (kept in context); an invalid message ends in an error.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const tariffNode = require(path.join(dist, 'nodes/tariff/tariff.js'));
const { catchNode, catcher, nextMessage } = require('../helpers');
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
    await helper.load([tariffNode, catchNode], flow({ capacityRate: 4, capacityMinKW: 2.5 }));
    const t = helper.getNode('t');
    const got = nextMessage(helper.getNode('prices'));
    const refreshed = nextMessage(helper.getNode('account'));
    t.receive({ payload: 'refresh' });
    const p = (await got).payload;
    await refreshed;
    assert.deepEqual([p.source, p.importPrice, p.exportPrice], ['fallback', 0.3, 0.05]);
    const acc = nextMessage(helper.getNode('account'));
    t.receive({ payload: { kind: 'peak-shaving-state', monthPeakW: 4200 } });
    close((await acc).payload.month.capacityCost, 16.8);
    const err = nextMessage(helper.getNode('caught'));
    t.receive({ payload: [{ start: 'yesterday', price: 3 }] });
    assert.match((await err).error.message, /payload\[0\]\.start/);
  });
});
