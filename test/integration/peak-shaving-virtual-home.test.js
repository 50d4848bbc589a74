'use strict';
// Peak shaving on the virtual home's Belgian meter with a real zero-export node and a simulated
// Sessy: p1-meter (e-MUCS) → peak-shaving → zero-export → sessy-battery, the battery wired back into
// both, and an ev-charging node taking peak-shaving's grid-limit. With the battery in the peak
// buffer the grid is held at the allowed import (not balanced to 0 W); the car is throttled.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const p1Node = require(path.join(dist, 'nodes/p1-meter/p1-meter.js'));
const dongleNode = require(path.join(dist, 'nodes/sessy-dongle/sessy-dongle.js'));
const batteryNode = require(path.join(dist, 'nodes/sessy-battery/sessy-battery.js'));
const zeNode = require(path.join(dist, 'nodes/zero-export/zero-export.js'));
const peakNode = require(path.join(dist, 'nodes/peak-shaving/peak-shaving.js'));
const evNode = require(path.join(dist, 'nodes/ev-charging/ev-charging.js'));
const { VirtualHome } = require(path.join(dist, 'lib/sim/home'));
const { catchNode, catcher, collect, waitFor } = require('../helpers');
helper.init(require.resolve('node-red'));

describe('peak shaving in the virtual home', () => {
  let home;
  before(() => new Promise((r) => helper.startServer(r)));
  after(async () => {
    await helper.unload();
    if (home) await home.stop();
    await new Promise((r) => helper.stopServer(r));
  });

  it('a 4 kW load with the battery in the peak buffer: the grid is held near the 2.5 kW limit, the car gets a grid-limit', { timeout: 90_000 }, async () => {
    home = new VirtualHome();
    const ep = await home.start({ profiles: ['BE'], loadFile: 4000, pvFile: null, sessyBatteries: [{ socPct: 35 }] });
    home.sessyBatteries[0].strategy = 'POWER_STRATEGY_API';
    const unit = ep.sessyBatteries[0];
    await helper.load(
      [p1Node, dongleNode, batteryNode, zeNode, peakNode, evNode, catchNode],
      [
        { id: 'p1', type: 'p1-meter', source: 'tcp', host: ep.p1Tcp.host, port: ep.p1Tcp.port, wires: [['peak', 'ze', 'ev', 'grid']] },
        { id: 'grid', type: 'helper' },
        { id: 'peak', type: 'peak-shaving', desiredPeak: 2500, minSoc: 10, peakBuffer: 30, wires: [['ze'], ['ev', 'limits'], ['state']] },
        { id: 'state', type: 'helper' },
        { id: 'limits', type: 'helper' },
        { id: 'ze', type: 'zero-export', units: [{ label: 'Sessy', capacityWh: 5200 }], outputs: 2, wires: [['battery'], ['zstatus']] },
        { id: 'zstatus', type: 'helper' },
        { id: 'dongle', type: 'sessy-dongle', host: unit.url.replace(/^http:\/\//, ''), pollInterval: 1, timeout: 2 },
        { id: 'battery', type: 'sessy-battery', dongle: 'dongle', wires: [['ze', 'peak']] },
        { id: 'ev', type: 'ev-charging', mode: 'power', phaseUsage: 'standard', wires: [['evcmd'], ['evstate']] },
        { id: 'evcmd', type: 'helper' },
        { id: 'evstate', type: 'helper' },
        ...catcher(),
      ],
      { dongle: { user: unit.serial, password: unit.password } },
    );
    const grid = collect(helper.getNode('grid'));
    const states = collect(helper.getNode('state'));
    const limits = collect(helper.getNode('limits'));
    const caught = collect(helper.getNode('caught'));
    try {
      await waitFor(() => states.some((m) => m.payload.band === 'limiting'), 15_000, 'peak limiting (SoC 35 %: between 10 + 15 and 10 + 30 %)');
    } catch (e) {
      throw new Error(`${e.message}; states ${JSON.stringify(states.slice(-2).map((m) => m.payload))}; errors ${JSON.stringify(caught.map((m) => m.error.message).slice(0, 3))}`);
    }
    // The battery takes the excess over the allowed import; the grid stays well above 0 W (not balancing).
    await waitFor(() => grid.length > 5 && grid.slice(-5).every((m) => m.payload.power > 1500 && m.payload.power < 2700), 40_000, 'grid held near the limit');
    assert.ok(limits.length >= 1 && limits.at(-1).payload.kind === 'grid-limit');
    assert.ok(limits.at(-1).payload.maxImportW <= 2500, `the car may import at most ${limits.at(-1).payload.maxImportW} W`);
    const evState = collect(helper.getNode('evstate'));
    await waitFor(() => evState.some((m) => m.payload.gridLimitW !== null), 10_000, 'ev-charging took the grid-limit');
  });
});
