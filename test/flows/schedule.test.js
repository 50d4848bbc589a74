'use strict';
// schedule in a real Node-RED runtime: the mode on deploy and after an override, both outputs,
// an invalid message ending in an error, and schedule → ev-charging switching the EV mode.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const scheduleNode = require(path.join(dist, 'nodes/schedule/schedule.js'));
const evNode = require(path.join(dist, 'nodes/ev-charging/ev-charging.js'));
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
    assert.deepEqual(b.payload, { kind: 'mode', mode: 'power', until, reason: 'override' });

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
});
