'use strict';
// ev-charging in a real Node-RED runtime against the virtual home: p1-meter (DSMR over TCP) and
// ksem-meter (Modbus TCP) → ev-charging → enector-charger (the ENECTOR simulator with a car on the
// same household, behind an RTU-over-TCP gateway), the charger wired back into the controller.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const evNode = require(path.join(dist, 'nodes/ev-charging/ev-charging.js'));
const chargerNode = require(path.join(dist, 'nodes/enector-charger/enector-charger.js'));
const linkNode = require(path.join(dist, 'nodes/modbus-link/modbus-link.js'));
const p1Node = require(path.join(dist, 'nodes/p1-meter/p1-meter.js'));
const ksemNode = require(path.join(dist, 'nodes/ksem-meter/ksem-meter.js'));
const { VirtualHome } = require(path.join(dist, 'lib/sim/home'));
const { EnectorSim } = require(path.join(dist, 'lib/sim/enector-sim'));
const { catchNode, catcher, collect, nextMessage, statusSpy, waitFor, waitForStatus } = require('../helpers');
helper.init(require.resolve('node-red'));

describe('ev-charging with the virtual home', () => {
  let home;
  let ep;
  let sim;
  let gw;
  let pv = 7500;
  before(async () => {
    await new Promise((r) => helper.startServer(r));
    home = new VirtualHome();
    ep = await home.start({ loadFile: 500, pvFile: () => pv, ksem: { port: 0 } });
    sim = new EnectorSim({ household: home.household, car: { rampAps: 100 }, tickMs: 200, phaseSwitchPauseS: 2 });
    sim.car.plugIn();
    gw = await sim.startGateway();
  });
  after(async () => {
    await sim.stop();
    await home.stop();
    await new Promise((r) => helper.stopServer(r));
  });
  afterEach(async () => {
    await helper.unload();
    pv = 7500;
  });

  const nodes = (meter, ev = {}) => [
    { id: 'link', type: 'modbus-link', transport: 'rtu-over-tcp', host: '127.0.0.1', port: gw.port, timeout: 300 },
    ...meter,
    { id: 'ev', type: 'ev-charging', mode: 'solar-pure', phaseUsage: 'automatic', startDelay: 1, wires: [['wb'], ['state']], ...ev },
    { id: 'wb', type: 'enector-charger', link: 'link', pollInterval: 1, heartbeat: 2, allowPhaseSwitching: true, wires: [['ev', 'out']] },
    { id: 'state', type: 'helper' },
    { id: 'out', type: 'helper' },
    ...catcher(),
  ];

  it('p1-meter → ev-charging → enector-charger: the car charges on the PV surplus, on 3 phases, without grid import', async () => {
    const flow = nodes([{ id: 'p1', type: 'p1-meter', source: 'tcp', host: '127.0.0.1', port: ep.p1Tcp.port, wires: [['ev']] }]);
    await helper.load([linkNode, p1Node, evNode, chargerNode, catchNode], flow);
    const status = statusSpy(helper.getNode('ev'));
    const states = collect(helper.getNode('state'));
    await waitFor(() => sim.car.currentA >= 8, 25_000, 'the car charging');
    await waitForStatus(status, { fill: 'green', text: /^solar-pure · \d+(\.\d)? A 3p · surplus/ }, 10_000);
    // a rising surplus is followed in steps at most every 5 s (the controller's cloud filter)
    await waitFor(() => sim.car.draw().powerW > 5000, 30_000, 'the car on most of the 7 kW surplus');
    await new Promise((r) => setTimeout(r, 2000));
    const grid = home.household.gridW();
    assert.ok(grid < 300, `grid ${grid} W: the car uses the surplus, little import`);
    const last = states.at(-1).payload;
    assert.equal(last.kind, 'ev-charging-state');
    assert.equal(last.phases, 3);
    assert.ok(last.counters.solarWh >= 0 && last.counters.starts === 1, JSON.stringify(last.counters));
  });

  it('ksem-meter → ev-charging → enector-charger; a lock mode message stops the car, an invalid one is refused', async () => {
    const flow = nodes([
      { id: 'klink', type: 'modbus-link', transport: 'tcp', host: '127.0.0.1', port: ep.ksem.port, timeout: 500 },
      { id: 'ksem', type: 'ksem-meter', mode: 'poll', link: 'klink', pollInterval: 1, wires: [['ev']] },
    ]);
    await helper.load([linkNode, ksemNode, evNode, chargerNode, catchNode], flow);
    await waitFor(() => sim.car.currentA >= 8, 25_000, 'the car charging');
    helper.getNode('ev').receive({ payload: { kind: 'mode', mode: 'lock', until: Date.now() + 60_000 } });
    await waitFor(() => sim.state.release === 0, 8000, 'release 0');
    helper.getNode('ev').receive({ payload: { kind: 'mode', mode: 'turbo' } });
    const err = await nextMessage(helper.getNode('caught'));
    assert.match(err.error.message, /payload\.mode: must be one of "lock", "power", "solar-pure", "solar-plus", "time"/);
  });

  it('a stale meter: the car goes to its minimum current and the status turns red with the reason', async () => {
    const flow = nodes([], { meterTimeout: 3 });
    await helper.load([linkNode, evNode, chargerNode, catchNode], flow);
    const ev = helper.getNode('ev');
    const status = statusSpy(ev);
    // Only a single grid reading by topic (Home Assistant style), then silence.
    ev.receive({ topic: 'grid', payload: -7000 });
    await waitForStatus(status, { fill: 'red', text: /stale/ }, 15_000);
    assert.ok(sim.state.release === 0 || sim.state.currentLimit <= 6.01, 'minimum or paused');
  });
});
