'use strict';
// Time and money in a real Node-RED runtime.
//   1. The virtual home (lib/sim/home.ts) on loopback: tariff + battery-planner → zero-export →
//      sessy-battery, the P1 meter and the battery readings wired into the planner and zero
//      export. Day-ahead prices with a cheap now and a dear later go into the tariff node; the
//      planner's plan (output 2) charges from the grid now, its grid-target (output 1) goes to zero
//      export, and the meter and the battery then follow the plan's current slot.
//   2. schedule → ev-charging: the schedule's mode at deploy, then a one-shot override, switch the
//      EV controller's mode (its state output).
// Times are wall-clock bounds for a closed loop through real sockets, not performance figures.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const { VirtualHome } = require(path.join(dist, 'lib/sim/home'));
const p1Node = require(path.join(dist, 'nodes/p1-meter/p1-meter.js'));
const dongleNode = require(path.join(dist, 'nodes/sessy-dongle/sessy-dongle.js'));
const batteryNode = require(path.join(dist, 'nodes/sessy-battery/sessy-battery.js'));
const zeNode = require(path.join(dist, 'nodes/zero-export/zero-export.js'));
const tariffNode = require(path.join(dist, 'nodes/tariff/tariff.js'));
const plannerNode = require(path.join(dist, 'nodes/battery-planner/battery-planner.js'));
const scheduleNode = require(path.join(dist, 'nodes/schedule/schedule.js'));
const evNode = require(path.join(dist, 'nodes/ev-charging/ev-charging.js'));
const { catchNode, catcher, collect, waitFor } = require('../helpers');
helper.init(require.resolve('node-red'));

const Q = 15 * 60_000;
const LOAD_W = 500;

describe('battery planner and schedule in a flow', () => {
  let home;
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(async () => {
    await helper.unload();
    if (home) await home.stop();
    home = undefined;
  });

  it('tariff + battery-planner → zero-export → sessy-battery: the plan charges in the cheap quarter and the battery follows it', { timeout: 90_000 }, async () => {
    home = new VirtualHome();
    const ep = await home.start({ loadFile: LOAD_W, pvFile: null, sessyBatteries: [{ socPct: 30 }] });
    home.sessyBatteries[0].strategy = 'POWER_STRATEGY_API';
    const unit = ep.sessyBatteries[0];
    await helper.load(
      [p1Node, dongleNode, batteryNode, zeNode, tariffNode, plannerNode, catchNode],
      [
        { id: 'p1', type: 'p1-meter', source: 'tcp', host: ep.p1Tcp.host, port: ep.p1Tcp.port, wires: [['ze', 'plan', 'grid']] },
        { id: 'grid', type: 'helper' },
        { id: 'tar', type: 'tariff', source: 'dynamic', preset: 'spot', unit: 'EUR/kWh', wires: [['plan', 'prices'], []] },
        { id: 'prices', type: 'helper' },
        {
          id: 'plan',
          type: 'battery-planner',
          capacityWh: 5200,
          chargeW: 2200,
          dischargeW: 1700,
          minSoc: 5,
          maxSoc: 100,
          loadW: LOAD_W,
          wear: 0,
          pvForecast: 'none',
          wires: [['ze', 'targets'], ['plans']],
        },
        { id: 'targets', type: 'helper' },
        { id: 'plans', type: 'helper' },
        { id: 'ze', type: 'zero-export', units: [{ label: 'Sessy', maxChargeW: 2200, maxDischargeW: 1700, capacityWh: 5200 }], outputs: 2, wires: [['battery'], ['zstatus']] },
        { id: 'zstatus', type: 'helper' },
        { id: 'dongle', type: 'sessy-dongle', host: unit.url.replace(/^http:\/\//, ''), pollInterval: 1, timeout: 2 },
        { id: 'battery', type: 'sessy-battery', dongle: 'dongle', wires: [['ze', 'plan', 'bat']] },
        { id: 'bat', type: 'helper' },
        ...catcher(),
      ],
      { dongle: { user: unit.serial, password: unit.password } },
    );
    const grid = collect(helper.getNode('grid'));
    const bat = collect(helper.getNode('bat'));
    const plans = collect(helper.getNode('plans'));
    const targets = collect(helper.getNode('targets'));
    const caught = collect(helper.getNode('caught'));
    await waitFor(() => bat.some((m) => m.payload.kind === 'battery' && typeof m.payload.soc === 'number'), 15_000, 'a battery reading with its SoC');

    // Day-ahead prices: this quarter and the next at 0.02 EUR/kWh, then an hour at 0.60, then 0.20.
    const q0 = Math.floor(Date.now() / Q) * Q;
    const price = (i) => (i < 2 ? 0.02 : i < 6 ? 0.6 : 0.2);
    const slots = Array.from({ length: 12 }, (_, i) => ({ start: new Date(q0 + i * Q).toISOString(), end: new Date(q0 + (i + 1) * Q).toISOString(), price: price(i) }));
    helper.getNode('tar').receive({ payload: slots });
    await waitFor(() => plans.length > 0, 10_000, 'a plan');
    const plan = plans.at(-1).payload;
    assert.equal(plan.kind, 'battery-plan');
    assert.equal(plan.slots.length, 12 - (plan.slots[0].start === q0 ? 0 : 1), 'one slot per quarter, as far as the prices go');
    const first = plan.slots[0];
    assert.equal(first.action, 'charge-grid');
    assert.ok(Math.abs(first.batteryW + 2200) < 5, `full charge power (${first.batteryW} W, on the planner's energy grid)`);
    assert.ok(Math.abs(first.gridW - first.loadW + first.batteryW) < 1e-6, 'grid = load − PV − battery');
    assert.deepEqual([first.loadW, first.pvW], [LOAD_W, 0]);
    const dear = plan.slots.filter((s) => s.start >= q0 + 2 * Q && s.start < q0 + 6 * Q);
    assert.ok(dear.length === 4 && dear.every((s) => s.batteryW > LOAD_W), 'it discharges to the grid while the price is high');
    assert.ok(plan.savingEur > 0.3, `saving ${plan.savingEur} EUR`);
    const target = targets.at(-1).payload;
    assert.deepEqual([target.kind, target.minW, target.maxW], ['grid-target', Math.round(first.gridW), Math.round(first.gridW)]);
    assert.ok(target.until > Date.now() && target.until % Q === 0);

    // Followed: the meter holds the plan's grid power and the battery charges at the planned 2.2 kW.
    try {
      await waitFor(() => grid.length > 5 && grid.slice(-5).every((m) => Math.abs(m.payload.power - first.gridW) <= 100), 45_000, `the grid at the planned ${first.gridW} W`);
      await waitFor(() => bat.length > 3 && bat.slice(-3).every((m) => Math.abs(m.payload.power - first.batteryW) <= 120), 15_000, 'the battery at the planned −2200 W');
    } catch (e) {
      throw new Error(`${e.message}; grid ${JSON.stringify(grid.slice(-6).map((m) => m.payload.power))}; battery ${JSON.stringify(bat.slice(-3).map((m) => m.payload.power))}; errors ${JSON.stringify(caught.map((m) => m.error.message).slice(0, 3))}`, { cause: e });
    }
    assert.equal(helper.getNode('ze').zeroExport().mode, 'active');
    assert.deepEqual(caught.map((m) => m.error.message), []);
  });

  it('schedule → ev-charging: the mode at deploy, then a one-shot override until the next boundary', { timeout: 30_000 }, async () => {
    // solar-plus in every hour but this local hour and the next (empty: the default solar-pure)
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', hour: 'numeric', hourCycle: 'h23' }).format(new Date()));
    const table = Array.from({ length: 7 }, () => Array.from({ length: 24 }, (_, h) => (h === hour || h === (hour + 1) % 24 ? null : 'solar-plus')));
    await helper.load(
      [scheduleNode, evNode, catchNode],
      [
        { id: 'sched', type: 'schedule', output: 'mode', default: 'solar-pure', table: JSON.stringify(table), timeZone: 'Europe/Amsterdam', wires: [['ev', 'modes'], []] },
        { id: 'modes', type: 'helper' },
        { id: 'ev', type: 'ev-charging', mode: 'power', phaseUsage: 'standard', wires: [[], ['evstate']] },
        { id: 'evstate', type: 'helper' },
        ...catcher(),
      ],
    );
    const modes = collect(helper.getNode('modes'));
    const states = collect(helper.getNode('evstate'));
    const caught = collect(helper.getNode('caught'));
    await waitFor(() => states.some((m) => m.payload.activeMode === 'solar-pure'), 10_000, 'ev-charging in the schedule\'s solar-pure').catch((e) => {
      throw new Error(`${e.message}; modes ${JSON.stringify(modes.map((m) => m.payload))}; states ${JSON.stringify(states.map((m) => m.payload).slice(-2))}; errors ${JSON.stringify(caught.map((m) => m.error.message))}`);
    });
    assert.equal(modes[0].payload.kind, 'mode');
    assert.ok(modes[0].payload.until > Date.now() && modes[0].payload.until % 3_600_000 === 0, 'until the next full hour that is not empty');
    helper.getNode('sched').receive({ payload: { kind: 'override', value: 'lock', until: 'next' } });
    await waitFor(() => states.some((m) => m.payload.activeMode === 'lock'), 10_000, 'ev-charging locked by the override');
    assert.equal(modes.at(-1).payload.mode, 'lock');
    assert.equal(modes.at(-1).payload.until, modes[0].payload.until, 'the override lasts until the next boundary');
    assert.deepEqual(caught.map((m) => m.error.message), []);
  });
});
