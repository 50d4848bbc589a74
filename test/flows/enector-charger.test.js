'use strict';
// enector-charger inside a real Node-RED runtime with a modbus-link config node, against the ENECTOR
// simulator (with a car) behind an RTU-over-TCP gateway on loopback.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const chargerNode = require(path.join(dist, 'nodes/enector-charger/enector-charger.js'));
const linkNode = require(path.join(dist, 'nodes/modbus-link/modbus-link.js'));
const { EnectorSim } = require(path.join(dist, 'lib/sim/enector-sim'));
const { KsemRestSim } = require(path.join(dist, 'lib/sim/ksem-rest-sim'));
const { validator } = require(path.join(dist, 'lib/api/validate'));
const { chargerReadingSchema } = require(path.join(dist, 'lib/api/charger-schemas'));
const { catchNode, catcher, collect, nextMessage, statusSpy, waitFor, waitForStatus } = require('../helpers');
helper.init(require.resolve('node-red'));

const checkReading = validator(chargerReadingSchema, 'payload');

describe('enector-charger node', () => {
  let sim;
  let gw;
  before(async () => {
    await new Promise((r) => helper.startServer(r));
    sim = new EnectorSim({ car: { rampAps: 100 }, tickMs: 100 });
    sim.car.plugIn();
    gw = await sim.startGateway();
  });
  after(async () => {
    await sim.stop();
    await new Promise((r) => helper.stopServer(r));
  });
  afterEach(async () => {
    await helper.unload();
    sim.server.clearFaults();
  });

  const flow = (cfg = {}) => [
    { id: 'link', type: 'modbus-link', transport: 'rtu-over-tcp', host: '127.0.0.1', port: gw.port, timeout: 300 },
    { id: 'wb', type: 'enector-charger', link: 'link', pollInterval: 1, wires: [['out']], ...cfg },
    { id: 'out', type: 'helper' },
    ...catcher(),
  ];

  it('emits valid charger readings and charges on a charger-setpoint; the reply carries the command', async () => {
    await helper.load([linkNode, chargerNode, catchNode], flow());
    const wb = helper.getNode('wb');
    const status = statusSpy(wb);
    const out = collect(helper.getNode('out'));
    await waitFor(() => out.length >= 1, 5000, 'a reading');
    assert.equal(checkReading(out[0].payload), null);
    assert.equal(out[0].payload.state, 'paused');
    assert.equal(out[0].payload.serial, '1234567890ABCDEF');
    wb.receive({ payload: { kind: 'charger-setpoint', enabled: true, currentA: 40 } });
    const reply = await nextMessage(helper.getNode('out'), (m) => m.command);
    assert.deepEqual(reply.command, { requested: 40, sent: 16, clamped: true, reason: 'above the 16 A limit' });
    await waitForStatus(status, { fill: 'green', text: /^charging 11\.0 kW 3p/ }, 8000);
    assert.equal(sim.state.release, 1);
    assert.equal(sim.state.currentLimit, 16);
    assert.ok(sim.heartbeats.length >= 1);
  });

  it('rejects an invalid command with done(err) naming the field; writes nothing', async () => {
    await helper.load([linkNode, chargerNode, catchNode], flow());
    const before = sim.log.filter((l) => l.address !== 0x0d00).length;
    helper.getNode('wb').receive({ payload: { kind: 'charger-setpoint', enabled: true, currentA: '0x10' } });
    const err = await nextMessage(helper.getNode('caught'));
    assert.match(err.error.message, /payload\.currentA: must be number/);
    helper.getNode('wb').receive({ payload: { kind: 'charger-setpoint', enabled: true, currentA: 10n } });
    const err2 = await nextMessage(helper.getNode('caught'));
    assert.match(err2.error.message, /currentA/);
    assert.equal(sim.log.filter((l) => l.address !== 0x0d00).length, before);
  });

  it('a configuration error shows red and refuses input', async () => {
    await helper.load([linkNode, chargerNode, catchNode], flow({ unit: 300 }));
    helper.getNode('wb').receive({ payload: 'x' });
    const err = await nextMessage(helper.getNode('caught'));
    assert.match(err.error.message, /config\.unit: must be <= 247/);
  });

  it('a dead box turns red with the reason and recovers by itself', async () => {
    await helper.load([linkNode, chargerNode, catchNode], flow({ staleAfter: 2 }));
    const wb = helper.getNode('wb');
    const status = statusSpy(wb);
    await waitForStatus(status, { fill: 'green' }, 5000);
    sim.server.setFaults({ timeout: true }, 50);
    await waitForStatus(status, { fill: 'red', text: /timeout/ }, 8000);
    sim.server.clearFaults();
    await waitForStatus(status, { fill: 'green' }, 8000, { latest: true });
  });

  it('on close the heartbeat stops (the box falls back after 10 s by itself)', async () => {
    await helper.load([linkNode, chargerNode, catchNode], flow({ heartbeat: 2 }));
    await waitFor(() => sim.heartbeats.length >= 2, 6000, 'heartbeats');
    await helper.unload();
    const n = sim.heartbeats.length;
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(sim.heartbeats.length, n, 'no heartbeat after close');
  });

  it('behind a KSEM: readings over the REST API, a mode message sets the charge mode, a charger-setpoint is refused with the reason', async () => {
    const box = new EnectorSim({ car: { rampAps: 100 }, tickMs: 100 });
    box.car.plugIn();
    const ksem = new KsemRestSim({ enector: box, tickMs: 200 });
    const ep = await ksem.start();
    try {
      await helper.load([linkNode, chargerNode, catchNode], [
        { id: 'wb', type: 'enector-charger', topology: 'ksem', url: ep.url, pollInterval: 1, wires: [['out']] },
        { id: 'out', type: 'helper' },
        ...catcher(),
      ], { wb: { password: ep.password } });
      const out = collect(helper.getNode('out'));
      await waitFor(() => out.length >= 1, 5000, 'a reading');
      assert.equal(out[0].payload.source, 'enector-ksem');
      helper.getNode('wb').receive({ payload: { kind: 'mode', mode: 'power' } });
      const reply = await nextMessage(helper.getNode('out'), (m) => m.command);
      assert.deepEqual(reply.command, { chargeMode: 'grid' });
      await waitFor(() => box.state.currentLimit === 16 && box.state.release === 1, 5000, 'the KSEM drives the box at 16 A');
      helper.getNode('wb').receive({ payload: { kind: 'charger-setpoint', enabled: true, currentA: 8 } });
      const err = await nextMessage(helper.getNode('caught'));
      assert.match(err.error.message, /behind a KSEM the box is controlled by the KSEM: send a mode message/);
    } finally {
      await helper.unload();
      await ksem.stop();
      await box.stop();
    }
  });
});
