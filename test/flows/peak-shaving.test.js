'use strict';
// peak-shaving in a real Node-RED runtime: the Belgian virtual meter (e-MUCS over TCP) drives it;
// outputs are checked on helper nodes; the month peak survives a redeploy through the node context.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const peakNode = require(path.join(dist, 'nodes/peak-shaving/peak-shaving.js'));
const p1Node = require(path.join(dist, 'nodes/p1-meter/p1-meter.js'));
const { VirtualHome } = require(path.join(dist, 'lib/sim/home'));
const { catchNode, catcher, collect, nextMessage, statusSpy, waitFor, waitForStatus } = require('../helpers');
helper.init(require.resolve('node-red'));

describe('peak-shaving node', () => {
  let home;
  let ep;
  before(async () => {
    await new Promise((r) => helper.startServer(r));
    home = new VirtualHome();
    ep = await home.start({ profiles: ['BE'], loadFile: 4000, pvFile: null });
  });
  after(async () => {
    await home.stop();
    await new Promise((r) => helper.stopServer(r));
  });
  afterEach(() => helper.unload());

  const flow = (cfg = {}) => [
    { id: 'p1', type: 'p1-meter', source: 'tcp', host: '127.0.0.1', port: ep.p1Tcp.port, wires: [['peak']] },
    { id: 'peak', type: 'peak-shaving', desiredPeak: 2500, wires: [['target'], ['limit'], ['state']], ...cfg },
    { id: 'target', type: 'helper' },
    { id: 'limit', type: 'helper' },
    { id: 'state', type: 'helper' },
    ...catcher(),
  ];

  it('a 4 kW plateau from the e-MUCS meter with a low battery: peak limiting bands and a limit for the car', async () => {
    await helper.load([p1Node, peakNode, catchNode], flow());
    const peak = helper.getNode('peak');
    const status = statusSpy(peak);
    peak.receive({ payload: { kind: 'battery', serial: 'A', soc: 25, capacityWh: 5000, power: 0, timestamp: Date.now() } });
    const targets = collect(helper.getNode('target'));
    const limits = collect(helper.getNode('limit'));
    await waitFor(() => limits.length >= 1 && targets.length >= 1, 8000, 'constraint messages');
    assert.equal(targets.at(-1).payload.kind, 'grid-target');
    assert.equal(targets.at(-1).payload.minW, 0, 'peak limiting: no export, deficits from the grid');
    assert.equal(limits.at(-1).payload.kind, 'grid-limit');
    const st = await nextMessage(helper.getNode('state'), (m) => m.payload.quarterAverageW !== null);
    assert.equal(st.payload.band, 'limiting');
    assert.equal(st.payload.limitW >= 2500, true);
    await waitForStatus(status, { text: /kW · limiting$/ }, 5000);
  });

  it('rejects an invalid message with done(err) naming the field, and a bad config', async () => {
    await helper.load([p1Node, peakNode, catchNode], flow());
    helper.getNode('peak').receive({ topic: 'soc', payload: 140 });
    const err = await nextMessage(helper.getNode('caught'));
    assert.match(err.error.message, /topic "soc" needs a number 0–100/);
    await helper.unload();
    await helper.load([p1Node, peakNode, catchNode], flow({ minSoc: 90, peakBuffer: 20 }));
    helper.getNode('peak').receive({ topic: 'grid', payload: 100 });
    const err2 = await nextMessage(helper.getNode('caught'));
    assert.match(err2.error.message, /config\.peakBuffer: minimum SoC \+ peak buffer must be at most 100 %/);
  });

  it('the month peak is written to the node context (and read back on start)', async () => {
    await helper.load([p1Node, peakNode, catchNode], flow());
    const peak = helper.getNode('peak');
    await waitFor(() => peak.context().get('monthPeak'), 5000, 'context written');
    const saved = peak.context().get('monthPeak');
    assert.equal(saved.monthKey, new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Brussels' }).slice(0, 7));
    // A stored peak above the desired one becomes the limit of a new node started with it.
    const { PeakShavingController } = require(path.join(dist, 'lib/control/peak-shaving/controller'));
    const c = new PeakShavingController({ desiredPeakW: 2500 });
    const r = c.step({ meter: { power: 100, timestamp: Date.now() }, restore: { monthKey: saved.monthKey, monthPeakW: 6100 } }, Date.now());
    assert.equal(r.state.limitW, 6100);
  });
});
