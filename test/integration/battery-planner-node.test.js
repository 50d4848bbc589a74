'use strict';
// The battery-planner node in a real Node-RED runtime (no devices): the load history it learns
// from meter and battery readings goes into its plan and into the node's context, and the clear-sky PV forecast fills the slots no PV message covers.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const plannerNode = require(path.join(dist, 'nodes/battery-planner/battery-planner.js'));
const { clearSkyForecast } = require(path.join(dist, 'lib/control/planner/clear-sky'));
const { historyLoadW, restoreHistory } = require(path.join(dist, 'lib/control/planner/load-history'));
const { catchNode, catcher, collect, waitFor } = require('../helpers');
helper.init(require.resolve('node-red'));

const Q = 15 * 60_000;
const WEEK = 7 * 24 * 3_600_000;

function flow(extra = {}) {
  return [
    { id: 'plan', type: 'battery-planner', loadW: 400, pvForecast: 'none', dryRun: true, ...extra, wires: [[], ['plans']] },
    { id: 'plans', type: 'helper' },
    ...catcher(),
  ];
}
/** Prices for the next two hours, in the tariff node's output form. */
function prices(q0) {
  return { payload: { kind: 'tariff', slots: [{ start: q0, end: q0 + 8 * Q, importPrice: 0.3, exportPrice: 0.1 }] } };
}

describe('battery-planner node', () => {
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(() => helper.unload());

  it('learns the household load (grid + battery) from readings a week ago, plans with it, and keeps it in context', { timeout: 30_000 }, async () => {
    await helper.load([plannerNode, catchNode], flow());
    const q0 = Math.floor(Date.now() / Q) * Q;
    const plan = helper.getNode('plan');
    // a week ago, from one quarter before now's quarter to one after: grid 1100 W, the battery discharging 200 W
    for (let t = q0 - WEEK - Q; t <= q0 - WEEK + 2 * Q; t += 60_000) {
      plan.receive({ payload: { kind: 'battery', source: 'sessy', timestamp: t, soc: 50, power: 200 } });
      plan.receive({ payload: { kind: 'meter', source: 'p1', timestamp: t, power: 1100 } });
    }
    const plans = collect(helper.getNode('plans'));
    const caught = collect(helper.getNode('caught'));
    plan.receive(prices(q0));
    await waitFor(() => plans.length, 5000, 'a plan');
    const loads = plans.at(-1).payload.slots.map((s) => s.loadW);
    assert.deepEqual(loads.slice(0, 3), [1300, 1300, 400], 'the two learnt quarters, then the constant');
    assert.deepEqual(caught, []);

    // What a restart restores: the state in the node's context, as plain JSON (the test helper wipes
    // context between flows, so the restore itself is checked on that state).
    const saved = JSON.parse(JSON.stringify(plan.context().get('loadHistory')));
    const restored = restoreHistory(saved);
    assert.deepEqual([q0, q0 + Q, q0 + 2 * Q].map((t) => historyLoadW(restored, t, 'Europe/Amsterdam', 4)), [1300, 1300, undefined]);
  });

  it('clear-sky PV from the panel groups where no PV message covers a slot; the location from settings.js when blank', { timeout: 30_000 }, async () => {
    const site = { latitude: 52.37, longitude: 4.9, groups: [{ count: 10, panelWp: 400, azimuth: 180, tilt: 35 }], systemLoss: 0.14 };
    helper.settings({ homeEnergy: { latitude: 52.37, longitude: 4.9 } });
    try {
      await helper.load([plannerNode, catchNode], flow({ pvForecast: 'auto', panelGroups: site.groups, latitude: '', longitude: '' }));
    } finally {
      helper.settings({});
    }
    const plans = collect(helper.getNode('plans'));
    const q0 = Math.floor(Date.now() / Q) * Q;
    helper.getNode('plan').receive({ payload: { kind: 'pv-forecast', slots: [{ start: q0, end: q0 + Q, w: 777 }] } });
    helper.getNode('plan').receive(prices(q0));
    await waitFor(() => plans.length, 5000, 'a plan');
    const pv = plans.at(-1).payload.slots.map((s) => s.pvW);
    assert.equal(pv[0], 777);
    assert.deepEqual(pv.slice(1), clearSkyForecast(site, q0 + Q, q0 + 8 * Q).map((s) => s.w));
  });

  it('a clear-sky setting without a location is a configuration error naming the field', { timeout: 10_000 }, async () => {
    await helper.load([plannerNode, catchNode], flow({ pvForecast: 'clear-sky', panelGroups: [{ count: 4, panelWp: 400, azimuth: 180, tilt: 30 }] }));
    const plan = helper.getNode('plan');
    const caught = collect(helper.getNode('caught'));
    plan.receive({ topic: 'refresh', payload: 'refresh' });
    await waitFor(() => caught.length, 5000, 'an error');
    assert.match(caught[0].error.message, /config\.latitude: .*location/);
  });
});
