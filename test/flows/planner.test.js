'use strict';
// battery-planner in a real Node-RED runtime: tariff (day-ahead prices) → battery-planner, with
// a SoC reading: the plan on output 2 charges in the cheap slots and discharges in the dear ones,
// and output 1 carries the grid-target for the current slot with until = its end.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const tariffNode = require(path.join(dist, 'nodes/tariff/tariff.js'));
const plannerNode = require(path.join(dist, 'nodes/battery-planner/battery-planner.js'));
const { catchNode, catcher, nextMessage } = require('../helpers');
helper.init(require.resolve('node-red'));

const Q = 15 * 60_000;

describe('battery-planner flow', () => {
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(() => helper.unload());

  it('tariff → battery-planner: charge now (cheap), discharge later (dear); the grid-target for now', async () => {
    const flow = [
      { id: 't', type: 'tariff', source: 'dynamic', preset: 'spot', importMarkup: 0, energyTax: 0, networkImport: 0, vatPct: 0, exportMarkup: 0, wires: [['p'], []] },
      { id: 'p', type: 'battery-planner', capacityWh: 10000, chargeW: 2200, dischargeW: 1700, efficiency: 95, minSoc: 5, maxSoc: 100, wear: 0.02, loadW: 0, horizon: 12, wires: [['target'], ['plan']] },
      { id: 'target', type: 'helper' },
      { id: 'plan', type: 'helper' },
      ...catcher(),
    ];
    await helper.load([tariffNode, plannerNode, catchNode], flow);
    helper.getNode('p').receive({ payload: { kind: 'battery', soc: 20 } });
    const q0 = Math.floor(Date.now() / Q) * Q;
    // 4 cheap hours now, then 4 dear hours, then 4 middling ones
    const slots = Array.from({ length: 48 }, (_, i) => ({ start: q0 + i * Q, end: q0 + (i + 1) * Q, price: i < 16 ? 20 : i < 32 ? 300 : 100 }));
    const plan = nextMessage(helper.getNode('plan'), (m) => m.payload.slots.length === 48);
    const target = nextMessage(helper.getNode('target'));
    helper.getNode('t').receive({ payload: slots });
    const p = (await plan).payload;
    assert.equal(p.kind, 'battery-plan');
    assert.equal(p.slots[0].action, 'charge-grid');
    assert.ok(p.slots.slice(16, 32).filter((s) => s.action === 'discharge-grid').length >= 14, 'discharges in the dear hours');
    assert.ok(p.savingEur > 1, `saves ${p.savingEur}`);
    const g = (await target).payload;
    assert.equal(g.kind, 'grid-target');
    assert.equal(g.until, q0 + Q);
    assert.equal(g.minW, g.maxW);
    assert.equal(g.minW, Math.round(p.slots[0].gridW));
    assert.ok(g.minW > 0 && g.minW <= 2200 / 0.95 + 1, `charges from the grid at ${g.minW} W`);

    const err = nextMessage(helper.getNode('caught'));
    helper.getNode('p').receive({ payload: { kind: 'pv-forecast', slots: [{ start: 'soon', w: 1 }] } });
    assert.match((await err).error.message, /payload\.slots\[0\]\.start/);
  });

  it("grid-targets carry the node's source and hold floats; several batteries plan as one; a peak-shaving state's rate (per year) and peak price the imports", async () => {
    const flow = [
      { id: 'p', type: 'battery-planner', capacityWh: 20000, chargeW: 2200, dischargeW: 1700, efficiency: 95, minSoc: 5, maxSoc: 100, wear: 0.05, loadW: 3000, loadForecast: 'constant', pvForecast: 'none', horizon: 2, capacityRate: 0, holdBandW: '', wires: [['target'], ['plan']] },
      { id: 'target', type: 'helper' },
      { id: 'plan', type: 'helper' },
      ...catcher(),
    ];
    await helper.load([plannerNode, catchNode], flow);
    const p = helper.getNode('p');
    // two batteries: 20 % of 5 kWh and 80 % of 15 kWh = 65 % of the 20 kWh planned
    p.receive({ payload: { kind: 'battery', serial: 'a', soc: 20, capacityWh: 5000, power: 0 } });
    p.receive({ payload: { kind: 'battery', serial: 'b', soc: 80, capacityWh: 15000, power: 0 } });
    const q0 = Math.floor(Date.now() / Q) * Q;
    const flat = { kind: 'tariff', slots: Array.from({ length: 8 }, (_, i) => ({ start: q0 + i * Q, end: q0 + (i + 1) * Q, importPrice: 0.3, exportPrice: 0.3 })) };
    const plan = nextMessage(helper.getNode('plan'));
    const target = nextMessage(helper.getNode('target'));
    p.receive({ payload: flat });
    const first = (await plan).payload;
    assert.ok(Math.abs(first.slots[0].socStartPct - 65) < 0.5, String(first.slots[0].socStartPct)); // on the planner's level grid
    assert.ok(first.slots.every((x) => x.action === 'hold'), first.slots.map((x) => x.action).join());
    assert.deepEqual((await target).payload, { kind: 'grid-target', minW: -100000, maxW: 100000, until: q0 + Q, reason: 'plan hold 0 W', source: 'battery-planner:p' });
    // peak shaving: month peak 2.8 kW, 60 EUR/kW/year: each slot importing 3 kW pays 0.2 kW × 60 / 12 = 1 EUR more without a battery
    const again = nextMessage(helper.getNode('plan'));
    p.receive({ payload: { kind: 'peak-shaving-state', monthPeakW: 2800, account: { billedMeanW: 2800, floorW: 2500, rateEurPerKWYear: 60, costPerMonthEur: 14 } } });
    const priced = (await again).payload;
    const n = priced.slots.length;
    assert.ok(Math.abs(priced.noBatteryCostEur - first.noBatteryCostEur - n * 1) < 1e-6, `${priced.noBatteryCostEur} vs ${first.noBatteryCostEur} over ${n} slots`);
    // the battery now covers the 0.2 kW above the peak rather than pay for it
    assert.ok(priced.slots.every((x) => x.gridW <= 2800 + 1), priced.slots.map((x) => Math.round(x.gridW)).join());
  });
});
