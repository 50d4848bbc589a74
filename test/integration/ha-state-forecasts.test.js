'use strict';
// ha-state's attribute kinds in a real Node-RED runtime against the fake Home Assistant websocket
// server: a Nord Pool price sensor (raw_today in c/kWh) → tariff gives the current price, a Solcast
// sensor (detailedForecast in kW) → battery-planner plans with that PV; a sensor whose attributes do
// not fit is warned about and nothing is sent. The attribute values are our own numbers.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { FakeHa } = require('./ha-fake-server');
const fs = require('node:fs');
const { catchNode, catcher, collect, nextMessage, statusSpy, waitFor, waitForStatus } = require('../helpers');

const dist = path.join(__dirname, '../../dist');
const nodes = ['ha-server/ha-server', 'ha-state/ha-state', 'tariff/tariff', 'battery-planner/battery-planner'].map((n) => require(path.join(dist, `nodes/${n}.js`)));
const core = ['common/90-comment.js', 'common/21-debug.js', 'function/89-delay.js'].map((f) => require(`@node-red/nodes/core/${f}`));
helper.init(require.resolve('node-red'));

const H = 3_600_000;
const HALF = H / 2;
const Q = H / 4;
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', '+00:00');

describe('ha-state prices and PV forecast → tariff and battery-planner', () => {
  let ha;
  const h0 = Math.floor(Date.now() / H) * H;
  const c0 = Math.floor(Date.now() / HALF) * HALF;
  /** c/kWh per hour from two hours ago: the current hour costs 12.34 c/kWh, and so does the next (a test that crosses the hour sees the same price). */
  const cents = [9.5, 10.25, 12.34, 12.34, 7.75, 11, 13, 8];
  const kw = [0.8, 1.6, 2.4, 3.1, 2.2, 1.05, 0.4, 0];
  before(async () => {
    ha = new FakeHa({ token: 't' });
    await ha.start();
    // custom-components/nordpool attributes: raw_today [{start, end, value}], unit c/kWh (price_in_cents).
    ha.set('sensor.nordpool_kwh_nl_eur_3_10_0', '12.34', {
      unit_of_measurement: 'c/kWh', currency: 'EUR', unit: 'kWh', price_in_cents: true, device_class: 'monetary',
      raw_today: cents.map((v, i) => ({ start: iso(h0 + (i - 2) * H), end: iso(h0 + (i - 1) * H), value: v })),
      raw_tomorrow: [],
    });
    // BJReplay/ha-solcast-solar attributes: detailedForecast [{period_start, pv_estimate kW, …}] per 30 min.
    ha.set('sensor.solcast_pv_forecast_forecast_today', '14.2', {
      unit_of_measurement: 'kWh', device_class: 'energy',
      detailedForecast: kw.map((v, i) => ({ period_start: iso(c0 + i * HALF), pv_estimate: v, pv_estimate10: v / 2, pv_estimate90: v * 1.2 })),
    });
    ha.set('sensor.grid_power', '250', { unit_of_measurement: 'W' });
    await new Promise((r) => helper.startServer(r));
  });
  after(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    await ha.stop();
  });
  afterEach(() => helper.unload());

  const flow = () => ({
    nodes: [
      { id: 'srv', type: 'ha-server', url: ha.url },
      { id: 'hp', type: 'ha-state', server: 'srv', entity: 'sensor.nordpool_kwh_nl_eur_3_10_0', as: 'prices', staleAfter: 0, wires: [['t1', 'outRaw']] },
      { id: 'hf', type: 'ha-state', server: 'srv', entity: 'sensor.solcast_pv_forecast_forecast_today', as: 'pv-forecast', staleAfter: 0, wires: [['p1', 'outPv']] },
      {
        id: 't1', type: 'tariff', source: 'dynamic', unit: 'EUR/kWh', timeZone: 'Europe/Amsterdam', importPrice: 0.3, exportPrice: 0.05,
        importFactor: 1, importMarkup: 0, energyTax: 0, networkImport: 0, vatPct: 0, netMetering: false, exportFactor: 1, exportMarkup: 0, exportVatPct: 0, horizon: 48,
        wires: [['outPrices', 'p1'], []],
      },
      { id: 'p1', type: 'battery-planner', loadW: 400, pvForecast: 'message', dryRun: true, wires: [[], ['outPlans']] },
      { id: 'outRaw', type: 'helper' },
      { id: 'outPv', type: 'helper' },
      { id: 'outPrices', type: 'helper' },
      { id: 'outPlans', type: 'helper' },
      ...catcher(),
    ],
    creds: { srv: { token: 't' } },
  });

  it('Nord Pool c/kWh → tariff: the current price is the current hour at 12.34 c/kWh; Solcast → the planner plans with its W', { timeout: 30_000 }, async () => {
    const f = flow();
    await helper.load([...nodes, catchNode], f.nodes, f.creds);
    const caught = collect(helper.getNode('caught'));
    const prices = collect(helper.getNode('outPrices'));
    const plans = collect(helper.getNode('outPlans'));
    const raw = await nextMessage(helper.getNode('outRaw'), 5000, 'the prices message');
    assert.deepEqual([raw.topic, raw.unit, raw.format, raw.payload.kind, raw.payload.unit, raw.payload.slots.length], ['prices', 'EUR/MWh', 'nordpool', 'prices', 'EUR/MWh', 8]);
    assert.equal(raw.attributes.price_in_cents, true, 'the raw attributes ride along');
    await waitFor(() => prices.some((m) => m.payload.source === 'dynamic'), 5000, 'a dynamic tariff');
    const t = prices.filter((m) => m.payload.source === 'dynamic').at(-1).payload;
    assert.equal(t.spot, 123.4, '12.34 c/kWh = 123.4 EUR/MWh');
    assert.ok(Math.abs(t.importPrice - 0.1234) < 1e-12, `no markups, no VAT: the spot in EUR/kWh (${t.importPrice})`);
    assert.deepEqual([t.slot.start, t.slot.end], [h0, h0 + H]);

    await waitFor(() => plans.some((m) => m.payload.slots.some((s) => s.pvW > 0)), 10_000, 'a plan with the PV forecast');
    const slots = plans.at(-1).payload.slots;
    const byStart = new Map(slots.map((s) => [s.start, s.pvW]));
    // every planned quarter inside a Solcast half hour has that half hour's kW × 1000
    let checked = 0;
    for (let i = 0; i < kw.length; i++) for (const q of [c0 + i * HALF, c0 + i * HALF + Q]) if (byStart.has(q)) {
      assert.equal(byStart.get(q), kw[i] * 1000, `pvW at +${(q - c0) / Q} quarters`);
      checked++;
    }
    assert.ok(checked >= 8, `${checked} planned quarters checked against the forecast`);
    assert.deepEqual(caught, [], 'neither the tariff nor the planner rejected a message');
  });

  it('example 23 as shipped (only the HA URL and token set): the NL tariff prices the current hour, the planner plans with the Solcast PV', { timeout: 30_000 }, async () => {
    const file = path.join(__dirname, '../../examples/23 - Home Assistant prices and PV forecast drive the planner.json');
    const ex = JSON.parse(fs.readFileSync(file, 'utf8')).map((n) => (n.type === 'ha-server' ? { ...n, url: ha.url } : n));
    const server = ex.find((n) => n.type === 'ha-server');
    const tariffId = ex.find((n) => n.type === 'tariff').id;
    const plannerId = ex.find((n) => n.type === 'battery-planner').id;
    // helper nodes on the tariff's and the planner's outputs, next to the example's own
    for (const n of ex) {
      if (n.id === tariffId) n.wires[0].push('outPrices');
      if (n.id === plannerId) n.wires[1].push('outPlans');
    }
    const z = ex.find((n) => n.type === 'tab').id;
    const extra = [{ id: 'outPrices', type: 'helper' }, { id: 'outPlans', type: 'helper' }, ...catcher()].map((n) => ({ ...n, z }));
    await helper.load([...nodes, ...core, catchNode], [...ex, ...extra], { [server.id]: { token: 't' } });
    const caught = collect(helper.getNode('caught'));
    const prices = collect(helper.getNode('outPrices'));
    const plans = collect(helper.getNode('outPlans'));
    await waitFor(() => prices.some((m) => m.payload.source === 'dynamic'), 5000, 'a dynamic tariff');
    const t = prices.filter((m) => m.payload.source === 'dynamic').at(-1).payload;
    // NL preset of the example: (spot/1000 + markup 0.02 + energy tax 0.0916) × 1.21
    assert.equal(t.spot, 123.4);
    assert.ok(Math.abs(t.importPrice - (0.1234 + 0.02 + 0.0916) * 1.21) < 1e-9, String(t.importPrice));
    await waitFor(() => plans.some((m) => m.payload.slots.some((s) => s.pvW > 0)), 10_000, 'a plan with the PV forecast');
    const first = plans.at(-1).payload.slots.find((s) => s.start >= c0 && s.start < c0 + HALF);
    if (first) assert.equal(first.pvW, kw[0] * 1000);
    assert.deepEqual(caught, []);
  });

  it('attributes that do not fit: a warning naming the entity and the problem, the status says so, nothing is sent', { timeout: 15_000 }, async () => {
    const f = flow();
    f.nodes[1].entity = 'sensor.grid_power'; // a power sensor read as prices: it has no price list
    await helper.load([...nodes, catchNode], f.nodes, f.creds);
    const status = statusSpy(helper.getNode('hp'));
    const raw = collect(helper.getNode('outRaw'));
    await waitForStatus(status, { fill: 'yellow', text: /not usable/ }, 5000);
    const warnings = helper.log().args.map((a) => a[0]).filter((e) => e.id === 'hp' && e.level === 30).map((e) => String(e.msg));
    assert.ok(warnings.some((m) => /^sensor\.grid_power: no price list in the attributes/.test(m)), warnings.join('\n'));
    assert.equal(raw.length, 0);
  });
});
