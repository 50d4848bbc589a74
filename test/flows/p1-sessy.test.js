'use strict';
// A p1-meter and a sessy-battery in one flow against the virtual home: the household (constant 500 W
// load, no PV) behind a simulated DSMR 5 meter, and one simulated Sessy whose AC power is a source of
// that household. The meter's power must follow the battery's setpoint: grid = load − battery.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { VirtualHome } = require('../../dist/lib/sim/home');

const p1Node = require(path.join(__dirname, '../../dist/nodes/p1-meter/p1-meter.js'));
const dongleNode = require(path.join(__dirname, '../../dist/nodes/sessy-dongle/sessy-dongle.js'));
const batteryNode = require(path.join(__dirname, '../../dist/nodes/sessy-battery/sessy-battery.js'));
const { nextMessage } = require('../helpers');
helper.init(require.resolve('node-red'));

const LOAD = 500;

describe('p1-meter and sessy-battery in one flow (virtual home)', () => {
  const home = new VirtualHome();
  let ep;
  before(async () => {
    await new Promise((r) => helper.startServer(r));
    ep = await home.start({ loadFile: LOAD, pvFile: null, sessyBatteries: [{ socPct: 60 }] });
  });
  after(async () => {
    await helper.unload();
    await home.stop();
    await new Promise((r) => helper.stopServer(r));
  });

  it('the meter sees the battery: charge 1000 W → +1500 W import, discharge 300 W → +200 W, NOM → towards 0 W', async () => {
    const unit = ep.sessyBatteries[0];
    // Skip the 60 s start-up wait of the simulated unit (it starts in NOM).
    home.sessyBatteries[0].systemState = 'SYSTEM_STATE_RUNNING_SAFE';
    await helper.load(
      [p1Node, dongleNode, batteryNode],
      [
        { id: 'tab', type: 'tab' },
        { id: 'p1', z: 'tab', type: 'p1-meter', source: 'tcp', host: ep.p1Tcp.host, port: ep.p1Tcp.port, wires: [['meter']] },
        { id: 'meter', z: 'tab', type: 'helper' },
        { id: 'dongle', type: 'sessy-dongle', host: unit.url, pollInterval: 1, timeout: 2 },
        { id: 'battery', z: 'tab', type: 'sessy-battery', dongle: 'dongle', wires: [['bat']] },
        { id: 'bat', z: 'tab', type: 'helper' },
      ],
      { dongle: { user: unit.serial, password: unit.password } },
    );
    const meter = helper.getNode('meter');
    const bat = helper.getNode('bat');
    const battery = helper.getNode('battery');
    const near = (a, b, tol) => Math.abs(a - b) <= tol;

    await nextMessage(bat, (m) => m.payload.state === 'ready', 10000, 'ready battery');

    // The switch to API starts the unit's 60 s safety wait: the node reports it, and sends the
    // setpoint again once the unit runs (here at once: the test ends the wait).
    battery.receive({ payload: { kind: 'battery-setpoint', power: -1000 } });
    const cmd = await nextMessage(bat, (m) => m.command, 10000, 'command reply');
    assert.equal(cmd.command.sent, -1000);
    if (cmd.payload.state === 'starting') {
      assert.ok(cmd.payload.startupRemainingS > 50, `start-up wait reported (${cmd.payload.startupRemainingS} s)`);
      home.sessyBatteries[0].systemState = 'SYSTEM_STATE_RUNNING_SAFE';
    }
    const b1 = await nextMessage(bat, (m) => near(m.payload.power, -1000, 5), 10000, 'battery at −1000 W');
    assert.equal(b1.payload.setpoint, -1000);
    const m1 = await nextMessage(meter, (m) => near(m.payload.power, LOAD + 1000, 15), 10000, 'meter at +1500 W');
    assert.equal(m1.payload.kind, 'meter');

    battery.receive({ topic: 'setpoint', payload: 300 });
    await nextMessage(bat, (m) => near(m.payload.power, 300, 5), 10000, 'battery at +300 W');
    await nextMessage(meter, (m) => near(m.payload.power, LOAD - 300, 15), 10000, 'meter at +200 W');

    // Hand back to the unit's own net-zero strategy: it drives the grid towards 0 (the simulated
    // NOM loop halves the error every 2 s).
    battery.receive({ topic: 'strategy', payload: 'nom' });
    await nextMessage(bat, (m) => m.command, 10000, 'strategy reply');
    home.sessyBatteries[0].systemState = 'SYSTEM_STATE_RUNNING_SAFE';
    await nextMessage(meter, (m) => Math.abs(m.payload.power) <= 130, 15000, 'meter near 0 W under NOM');
    const b3 = await nextMessage(bat, () => true, 5000);
    assert.equal(b3.payload.strategy, 'POWER_STRATEGY_NOM');
    assert.ok(b3.payload.power >= 370, `battery covers the load itself (${b3.payload.power} W)`);
  });
});
