'use strict';
// EV charging and zero export on one site (DESIGN.md §4.1): p1-meter → zero-export → Sessy and
// p1-meter → ev-charging → ENECTOR, the charger's readings to both. Under "don't use the home
// battery" (ev-charging) and "leave the car's power to the grid" (zero export) the home battery is
// not drained into the car at night: the car stops after its hold, the battery covers the house only.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const p1Node = require(path.join(dist, 'nodes/p1-meter/p1-meter.js'));
const dongleNode = require(path.join(dist, 'nodes/sessy-dongle/sessy-dongle.js'));
const batteryNode = require(path.join(dist, 'nodes/sessy-battery/sessy-battery.js'));
const zeNode = require(path.join(dist, 'nodes/zero-export/zero-export.js'));
const evNode = require(path.join(dist, 'nodes/ev-charging/ev-charging.js'));
const linkNode = require(path.join(dist, 'nodes/modbus-link/modbus-link.js'));
const chargerNode = require(path.join(dist, 'nodes/enector-charger/enector-charger.js'));
const { VirtualHome } = require(path.join(dist, 'lib/sim/home'));
const { catchNode, catcher, collect, waitFor } = require('../helpers');
helper.init(require.resolve('node-red'));

describe('ev-charging and zero-export on one site', () => {
  let home;
  before(() => new Promise((r) => helper.startServer(r)));
  after(async () => {
    await helper.unload();
    if (home) await home.stop();
    await new Promise((r) => helper.stopServer(r));
  });

  it('at night the home battery does not feed the car; the car stops after its hold', { timeout: 90_000 }, async () => {
    home = new VirtualHome();
    const ep = await home.start({ loadFile: 500, pvFile: null, sessyBatteries: [{ socPct: 80 }], enector: { gatewayPort: 0, car: { rampAps: 100 } } });
    home.sessyBatteries[0].strategy = 'POWER_STRATEGY_API';
    const unit = ep.sessyBatteries[0];
    await helper.load(
      [p1Node, dongleNode, batteryNode, zeNode, evNode, linkNode, chargerNode, catchNode],
      [
        { id: 'p1', type: 'p1-meter', source: 'tcp', host: ep.p1Tcp.host, port: ep.p1Tcp.port, wires: [['ze', 'ev']] },
        { id: 'ze', type: 'zero-export', units: [{ label: 'Sessy', capacityWh: 5200 }], leaveChargerToGrid: true, outputs: 2, wires: [['battery'], []] },
        { id: 'dongle', type: 'sessy-dongle', host: unit.url.replace(/^http:\/\//, ''), pollInterval: 1, timeout: 2 },
        { id: 'battery', type: 'sessy-battery', dongle: 'dongle', wires: [['ze', 'ev', 'bat']] },
        { id: 'bat', type: 'helper' },
        { id: 'ev', type: 'ev-charging', mode: 'power', phaseUsage: 'standard', batteryPolicy: 'dont', startDelay: 0, hold: 5, wait: 60, wires: [['wb'], ['evstate']] },
        { id: 'evstate', type: 'helper' },
        { id: 'link', type: 'modbus-link', transport: 'rtu-over-tcp', host: '127.0.0.1', port: ep.enector.gateway.port, timeout: 300 },
        { id: 'wb', type: 'enector-charger', link: 'link', pollInterval: 1, heartbeat: 2, wires: [['ev', 'ze']] },
        ...catcher(),
      ],
      { dongle: { user: unit.serial, password: unit.password } },
    );
    const bat = collect(helper.getNode('bat'));
    // Power mode first: the car charges from the grid at full power (that is what power mode is for).
    await waitFor(() => home.enector.car.currentA >= 15, 20_000, 'the car charging in power mode');
    // Zero export leaves the car's 11 kW to the grid: the battery covers only the 500 W house.
    // (Transients while the car ramps: the meter sees the car a moment before its reading arrives.)
    await new Promise((r) => setTimeout(r, 15000));
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const recent = bat.slice(-8).map((m) => m.payload.power);
    assert.ok(median(recent) < 900, `battery ${recent} W: not discharging into the car (11 kW)`);
    // Solar Pure at night: no surplus (the battery's discharge is not surplus under "don't"): the car stops.
    helper.getNode('ev').receive({ payload: { kind: 'mode', mode: 'solar-pure' } });
    await waitFor(() => home.enector.car.currentA === 0, 30_000, 'the car stops after the hold');
    await new Promise((r) => setTimeout(r, 5000));
    const after = bat.slice(-5).map((m) => m.payload.power);
    assert.ok(median(after) < 900, `battery ${after} W`);
  });
});
