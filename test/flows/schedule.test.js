'use strict';
// schedule in a real Node-RED runtime: the mode on deploy and after an override, both outputs,
// an invalid message ending in an error, schedule → ev-charging switching the EV mode, and
// schedule → zero-export switching the battery mode, a grid-target band and a grid-limit across a
// boundary (an override's end is one: the schedule sends the table's value then).
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const scheduleNode = require(path.join(dist, 'nodes/schedule/schedule.js'));
const evNode = require(path.join(dist, 'nodes/ev-charging/ev-charging.js'));
const zeNode = require(path.join(dist, 'nodes/zero-export/zero-export.js'));
const { catchNode, catcher, nextMessage, waitFor } = require('../helpers');
helper.init(require.resolve('node-red'));

/** A table that plays `mode` every hour of the week. */
const whole = (mode) => JSON.stringify(Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => mode)));

describe('schedule flow', () => {
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(() => helper.unload());

  it('sends the mode with until on deploy, the week on output 2, and follows an override', async () => {
    const flow = [
      { id: 's', type: 'schedule', output: 'mode', valueType: 'text', cellMinutes: '60', table: '', default: 'solar-pure', timeZone: 'Europe/Brussels', topic: 'tm', wires: [['o1'], ['o2']] },
      { id: 'o1', type: 'helper' },
      { id: 'o2', type: 'helper' },
      ...catcher(),
    ];
    await helper.load([scheduleNode, catchNode], flow);
    // The deploy message may already be out: ask again to be sure of one.
    const m1 = nextMessage(helper.getNode('o1'));
    const w1 = nextMessage(helper.getNode('o2'));
    helper.getNode('s').receive({ payload: 'refresh' });
    const [a, w] = await Promise.all([m1, w1]);
    assert.equal(a.topic, 'tm');
    assert.equal(a.payload.kind, 'mode');
    assert.equal(a.payload.mode, 'solar-pure');
    assert.ok(a.payload.until > Date.now() + 7 * 24 * 3_600_000, 'a constant table holds 8 days');
    assert.equal(w.payload.kind, 'schedule-week');
    assert.equal(w.payload.intervals.length, 1);

    const until = Date.now() + 3_600_000;
    const m2 = nextMessage(helper.getNode('o1'));
    helper.getNode('s').receive({ payload: { kind: 'override', value: 'power', until } });
    const b = await m2;
    assert.deepEqual(b.payload, { kind: 'mode', mode: 'power', until, reason: 'override', source: 'schedule:s' });

    const err = nextMessage(helper.getNode('caught'));
    helper.getNode('s').receive({ payload: { kind: 'override', value: 'power', until: 'soon' } });
    assert.match((await err).error.message, /payload\.until/);
  });

  it('a bad config shows a red status and errors every message', async () => {
    const flow = [{ id: 's', type: 'schedule', timeZone: 'Nowhere/City', wires: [[], []] }, ...catcher()];
    await helper.load([scheduleNode, catchNode], flow);
    const err = nextMessage(helper.getNode('caught'));
    helper.getNode('s').receive({ payload: 'refresh' });
    assert.match((await err).error.message, /timeZone/);
  });

  it('schedule → ev-charging: the EV controller takes the scheduled mode, then an override', async () => {
    const flow = [
      { id: 's', type: 'schedule', output: 'mode', valueType: 'text', table: whole('lock'), default: 'solar-pure', timeZone: 'Europe/Amsterdam', wires: [['ev'], []] },
      { id: 'ev', type: 'ev-charging', mode: 'solar-pure', wires: [[], ['state']] },
      { id: 'state', type: 'helper' },
      ...catcher(),
    ];
    await helper.load([scheduleNode, evNode, catchNode], flow);
    const state = helper.getNode('state');
    const seen = [];
    state.on('input', (m) => seen.push(m.payload));
    helper.getNode('s').receive({ payload: 'refresh' });
    await waitFor(() => seen.some((p) => p.activeMode === 'lock'), 5000, 'ev-charging in lock');
    helper.getNode('s').receive({ payload: { kind: 'override', value: 'power', until: Date.now() + 600_000 } });
    await waitFor(() => seen.at(-1)?.activeMode === 'power', 5000, 'ev-charging in power');
    helper.getNode('s').receive({ payload: { kind: 'override', clear: true } });
    await waitFor(() => seen.at(-1)?.activeMode === 'lock', 5000, 'ev-charging back in lock');
  });

  /**
   * A zero-export node 'ze' (one unit, no latency) fed by `schedules`, with a 1500 W house load: the
   * test plays meter and battery every 200 ms from the last setpoint (grid = 1500 − setpoint).
   */
  async function withZeroExport(schedules) {
    const flow = [
      ...schedules.map((x) => ({ type: 'schedule', valueType: 'text', cellMinutes: '60', table: '', timeZone: 'Europe/Amsterdam', ...x, wires: [['ze'], []] })),
      { id: 'ze', type: 'zero-export', units: [{ label: 'A', serial: '', topic: '', maxChargeW: '', maxDischargeW: '', capacityWh: '' }], latencyMinS: 0, latencyMaxS: 0, rampWPerS: 1000000, outputs: 2, wires: [['u'], ['st']] },
      { id: 'u', type: 'helper' },
      { id: 'st', type: 'helper' },
      ...catcher(),
    ];
    await helper.load([scheduleNode, zeNode, catchNode], flow);
    const ze = helper.getNode('ze');
    let setpoint = 0;
    helper.getNode('u').on('input', (m) => {
      if (m.payload.kind === 'battery-setpoint') setpoint = m.payload.power;
    });
    const errors = [];
    helper.getNode('caught').on('input', (m) => errors.push(m.error.message));
    const play = () => {
      const now = Date.now();
      ze.receive({ payload: { kind: 'battery', timestamp: now, source: 'sessy', soc: 50, power: setpoint, state: 'ready', limits: { maxChargeW: 2200, maxDischargeW: 1700 } } });
      ze.receive({ payload: { kind: 'meter', timestamp: now, source: 'p1', power: 1500 - setpoint } });
    };
    const timer = setInterval(play, 200);
    return { ze, state: () => ze.zeroExport(), setpoint: () => setpoint, errors, stop: () => clearInterval(timer) };
  }

  it('schedule → zero-export: mode hold and charge switch the battery, and at the boundary it balances again', async () => {
    const z = await withZeroExport([{ id: 's', output: 'mode', default: 'balance' }]);
    try {
      await waitFor(() => z.setpoint() === 1500 && z.state()?.batteryMode.mode === 'balance', 5000, 'balance: the battery supplies the 1500 W load');
      const s = helper.getNode('s');
      s.receive({ payload: { kind: 'override', value: 'hold', until: Date.now() + 1500 } });
      await waitFor(() => z.setpoint() === 0 && z.state().batteryMode.mode === 'hold', 3000, 'hold: 0 W');
      assert.equal(z.state().batteryMode.reason, 'override');
      // The override ends: the schedule sends its table value (balance), zero export balances again.
      await waitFor(() => z.setpoint() === 1500 && z.state().batteryMode.mode === 'balance', 5000, 'balance again after the boundary');
      s.receive({ payload: { kind: 'override', value: 'charge', until: Date.now() + 60_000 } });
      await waitFor(() => z.setpoint() === -1000, 3000, 'charge: −1000 W (the default charge power)');
      await waitFor(() => z.state().gridW === 2500, 2000, 'grid +2500 W: load and charging from the grid');
      assert.deepEqual(z.errors, []);
    } finally {
      z.stop();
    }
  });

  it('schedule → zero-export: a grid-target band and a grid-limit from two schedules, each with its own source', async () => {
    const z = await withZeroExport([
      { id: 'band', output: 'grid-target', default: '0' },
      { id: 'sm', output: 'mode', default: 'hold' },
    ]);
    try {
      // hold + the band's point 0 W: the band binds, the battery covers the load.
      await waitFor(() => z.setpoint() === 1500 && z.state()?.band.source === 'grid-target', 5000, 'point target 0 W from the schedule');
      helper.getNode('band').receive({ payload: { kind: 'override', value: '0..500', until: Date.now() + 1500 } });
      await waitFor(() => z.setpoint() === 1000, 3000, 'band 0…500 W: 1000 W from the battery');
      assert.deepEqual([z.state().band.minW, z.state().band.maxW, z.state().band.reason], [0, 500, 'override']);
      await waitFor(() => z.setpoint() === 1500 && z.state().band.maxW === 0, 5000, 'the point target again after the boundary');
    } finally {
      z.stop();
    }
    await helper.unload();
    const l = await withZeroExport([
      { id: 'lim', output: 'grid-limit', default: '1000' },
      { id: 'sm', output: 'mode', default: 'hold' },
    ]);
    try {
      await waitFor(() => l.setpoint() === 500 && l.state()?.gridLimit?.maxImportW === 1000, 5000, 'hold with a 1000 W import limit: 500 W from the battery').catch((e) => {
        throw new Error(`${e.message} ${JSON.stringify([l.setpoint(), l.errors, l.state()?.summary, l.state()?.batteryMode, l.state()?.gridLimit])}`);
      });
      helper.getNode('lim').receive({ payload: { kind: 'override', value: '200', until: Date.now() + 60_000 } });
      await waitFor(() => l.setpoint() === 1300, 3000, 'limit 200 W: 1300 W');
      assert.deepEqual(l.errors, []);
    } finally {
      l.stop();
    }
  });
});
