'use strict';
// The battery-release command (what zero-export sends with fail safe "release") on both battery
// nodes, in a real Node-RED runtime against their simulators on loopback: sessy-battery goes back
// to the strategy it found, sofar-inverter to its On stop mode; both reply like to any command.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const dongleNode = require(path.join(dist, 'nodes/sessy-dongle/sessy-dongle.js'));
const batteryNode = require(path.join(dist, 'nodes/sessy-battery/sessy-battery.js'));
const sofarNode = require(path.join(dist, 'nodes/sofar-inverter/sofar-inverter.js'));
const linkNode = require(path.join(dist, 'nodes/modbus-link/modbus-link.js'));
const { SessyBatteryServer } = require(path.join(dist, 'lib/sim/sessy-server'));
const { SofarSim } = require(path.join(dist, 'lib/sim/sofar-sim'));
const { catchNode, catcher, collect, nextMessage, waitFor, sleep } = require('../helpers');
helper.init(require.resolve('node-red'));

/** A sessy-battery node on the simulator at `url`, its output on a helper node. */
async function loadSessy(url) {
  await helper.load(
    [dongleNode, batteryNode, catchNode],
    [
      { id: 'd1', type: 'sessy-dongle', host: url.replace(/^http:\/\//, ''), pollInterval: 1, timeout: 1 },
      { id: 'b1', type: 'sessy-battery', dongle: 'd1', wires: [['out']] },
      { id: 'out', type: 'helper' },
      ...catcher(),
    ],
    { d1: { user: 'DSIM0001', password: 'SIMPASS1' } },
  );
  return { b1: helper.getNode('b1'), out: helper.getNode('out') };
}

describe('battery-release on the battery nodes', () => {
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(() => helper.unload());

  it('sessy-battery: back to the strategy found before API (NOM); the reply carries the tag and the strategy', async () => {
    const server = new SessyBatteryServer({ startupMs: 300, latencyMs: 100 });
    const { url } = await server.start();
    try {
      const { b1, out } = await loadSessy(url);
      const caught = collect(helper.getNode('caught'));
      await nextMessage(out, (m) => m.payload.state === 'ready', 5000, 'ready');
      assert.equal(server.strategy, 'POWER_STRATEGY_NOM');
      const tag = { node: 'ze', unit: 'Sessy' };
      let reply = nextMessage(out, (m) => m.command, 5000, 'setpoint reply');
      b1.receive({ topic: 'Sessy', payload: { kind: 'battery-setpoint', power: -800, reason: 'zero-export: control' }, zeroExport: tag });
      assert.equal((await reply).command.sent, -800);
      assert.equal(server.strategy, 'POWER_STRATEGY_API');
      reply = nextMessage(out, (m) => m.command, 5000, 'release reply');
      b1.receive({ topic: 'Sessy', payload: { kind: 'battery-release', reason: 'zero-export: failsafe-meter' }, zeroExport: tag });
      const r = await reply;
      assert.deepEqual(r.command, { type: 'release', strategy: 'POWER_STRATEGY_NOM' });
      assert.deepEqual(r.zeroExport, tag, 'the reply is the command message: zero-export recognises it');
      assert.equal(r.payload.kind, 'battery');
      assert.equal(r.payload.serial, 'DSIM0001');
      assert.equal(server.strategy, 'POWER_STRATEGY_NOM');
      // No more re-sending of the old setpoint: no setpoint POST after the release.
      const posts = () => server.requests.filter((q) => q.path === '/api/v1/power/setpoint').length;
      const n = posts();
      // Released already: a second release (plain topic form) does nothing on the wire.
      const writes = server.requests.filter((q) => q.method === 'POST').length;
      reply = nextMessage(out, (m) => m.command, 5000, 'second release reply');
      b1.receive({ topic: 'release' });
      assert.deepEqual((await reply).command, { type: 'release', strategy: 'POWER_STRATEGY_NOM' });
      await sleep(300);
      assert.equal(server.requests.filter((q) => q.method === 'POST').length, writes, 'nothing written');
      assert.equal(posts(), n);
      // For another serial: ignored.
      b1.receive({ payload: { kind: 'battery-release', serial: 'DOTHER01' } });
      await sleep(200);
      assert.equal(caught.length, 0);
    } finally {
      await helper.unload();
      await server.stop();
    }
  });

  it('sessy-battery: without a strategy to restore, release leaves API at 0 W', async () => {
    const server = new SessyBatteryServer({ startupMs: 300, latencyMs: 100, strategy: 'POWER_STRATEGY_API' });
    const { url } = await server.start();
    try {
      const { b1, out } = await loadSessy(url);
      await nextMessage(out, (m) => m.payload.state === 'ready', 5000, 'ready');
      let reply = nextMessage(out, (m) => m.command, 5000);
      b1.receive({ payload: { kind: 'battery-setpoint', power: 900 } });
      await reply;
      reply = nextMessage(out, (m) => m.command, 5000);
      b1.receive({ payload: { kind: 'battery-release' } });
      assert.deepEqual((await reply).command, { type: 'release', strategy: 'POWER_STRATEGY_API' });
      const sp = server.requests.filter((q) => q.path === '/api/v1/power/setpoint').map((q) => q.body.setpoint);
      assert.deepEqual(sp, [900, 0]);
    } finally {
      await helper.unload();
      await server.stop();
    }
  });

  for (const [onClose, mode] of [
    ['auto', 'auto'],
    ['standby', 'standby'],
    ['none', 'auto'],
  ]) {
    it(`sofar-inverter: release → ${mode} (On stop "${onClose}")`, async () => {
      const sim = new SofarSim({ plant: { rampWPerS: 20000 }, tickMs: 100 });
      const gw = await sim.startGateway();
      try {
        await helper.load(
          [linkNode, sofarNode, catchNode],
          [
            { id: 'link', type: 'modbus-link', transport: 'rtu-over-tcp', host: '127.0.0.1', port: gw.port, timeout: 300 },
            { id: 'sofar', type: 'sofar-inverter', link: 'link', unit: 1, pollInterval: 60, onClose, wires: [['out']] },
            { id: 'out', type: 'helper' },
            ...catcher(),
          ],
        );
        const sofar = helper.getNode('sofar');
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        await waitFor(() => out.length >= 1, 5000, 'first reading');
        sofar.receive({ payload: { kind: 'battery-setpoint', power: -600 } });
        await waitFor(() => sim.mode === 'charge', 3000, 'charging');
        sofar.receive({ payload: { kind: 'battery-release', reason: 'zero-export: disabled' }, zeroExport: { node: 'ze', unit: 'Sofar' } });
        const reply = await waitFor(() => out.find((m) => m.command && m.command.command === mode), 3000, 'release reply');
        assert.deepEqual(reply.zeroExport, { node: 'ze', unit: 'Sofar' });
        assert.equal(reply.payload.kind, 'battery');
        assert.equal(sim.mode, mode);
        const last = sim.log.filter((c) => c.fc === 0x42).at(-1);
        assert.equal(last.result, 0, 'accepted');
        assert.deepEqual(caught.map((m) => m.error.message), []);
      } finally {
        await helper.unload();
        await sim.stop();
      }
    });
  }
});
