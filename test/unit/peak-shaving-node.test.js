'use strict';
// The peak-shaving node's run-time desired peak: `{ topic: "desired-peak", payload: W }` (a number or
// decimal text) overrides the configured value until redeploy, the state's desiredPeakW is the one in
// force; an invalid value is an error and changes nothing.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const peakNode = require(path.join(__dirname, '../../dist/nodes/peak-shaving/peak-shaving.js'));
const { catchNode, catcher, collect, nextMessage, waitFor } = require('../helpers');
const { peakInputFromMessage } = require(path.join(__dirname, '../../dist/lib/control/peak-shaving/inputs'));
const { BatteryBook } = require(path.join(__dirname, '../../dist/lib/control/battery-book'));
helper.init(require.resolve('node-red'));

describe('peak-shaving: desired peak at run time', () => {
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(() => helper.unload());

  it('parses a number or decimal text; rejects the rest naming the topic and the range', () => {
    const b = new BatteryBook();
    assert.deepEqual(peakInputFromMessage({ topic: 'desired-peak', payload: 3200 }, 0, b), { inputs: { desiredPeakW: 3200 } });
    assert.deepEqual(peakInputFromMessage({ topic: 'desired-peak', payload: ' 3500.5 ' }, 0, b), { inputs: { desiredPeakW: 3500.5 } });
    for (const bad of ['abc', '0x10', -1, 100_001, null, true, '']) {
      const r = peakInputFromMessage({ topic: 'desired-peak', payload: bad }, 0, b);
      assert.match(r.error, /topic "desired-peak" needs a number of W, 0–100000/, JSON.stringify(bad));
    }
  });

  it('a message changes the desired peak in force and the state says so; an invalid one is an error and changes nothing', async () => {
    await helper.load([peakNode, catchNode], [{ id: 'peak', type: 'peak-shaving', desiredPeak: 2500, wires: [[], [], ['state']] }, { id: 'state', type: 'helper' }, ...catcher()]);
    const peak = helper.getNode('peak');
    const states = collect(helper.getNode('state'));
    const caught = collect(helper.getNode('caught'));
    peak.receive({ topic: 'grid', payload: 1000 });
    await waitFor(() => states.length > 0, 5000, 'a state');
    assert.equal(states.at(-1).payload.desiredPeakW, 2500);
    peak.receive({ topic: 'desired-peak', payload: '3000' });
    await waitFor(() => states.some((m) => m.payload.desiredPeakW === 3000), 5000, 'the new desired peak in the state');
    const st = states.find((m) => m.payload.desiredPeakW === 3000).payload;
    assert.equal(st.limitW, 3000);
    assert.match(st.reasons.join(' '), /desired peak 2\.50 kW → 3\.00 kW/);
    peak.receive({ topic: 'desired-peak', payload: 'lots' });
    const err = await nextMessage(helper.getNode('caught'));
    assert.match(err.error.message, /topic "desired-peak" needs a number of W, 0–100000 \(got the text "lots"\); nothing changed/);
    peak.receive({ topic: 'grid', payload: 1000 });
    peak.receive({ topic: 'desired-peak', payload: 2800 });
    await waitFor(() => states.some((m) => m.payload.desiredPeakW === 2800), 5000, 'the next valid one');
    assert.ok(!states.some((m) => m.payload.desiredPeakW !== 2500 && m.payload.desiredPeakW !== 3000 && m.payload.desiredPeakW !== 2800));
    assert.equal(caught.length, 1);
  });
});
