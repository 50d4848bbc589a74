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

describe('peak-shaving node with zero export, context store, status', () => {
  const zeNode = require(path.join(dist, 'nodes/zero-export/zero-export.js'));
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
  });

  it('its band and a planner\'s band reach one zero-export node and intersect (each grid-target carries its source)', async () => {
    await helper.load(
      [peakNode, zeNode, catchNode],
      [
        { id: 'ps', type: 'peak-shaving', desiredPeak: 2500, wires: [['ze', 'target'], ['limit'], []] },
        { id: 'target', type: 'helper' },
        { id: 'limit', type: 'helper' },
        { id: 'ze', type: 'zero-export', units: [{ label: 'B', maxChargeW: 2200, maxDischargeW: 1700, capacityWh: 5200 }], latencyMinS: 0, latencyMaxS: 0, rampWPerS: 1000000, outputs: 2, wires: [[], ['zs']] },
        { id: 'zs', type: 'helper' },
        ...catcher(),
      ],
    );
    const ps = helper.getNode('ps');
    const ze = helper.getNode('ze');
    const targets = collect(helper.getNode('target'));
    const limits = collect(helper.getNode('limit'));
    const zs = collect(helper.getNode('zs'));
    const caught = collect(helper.getNode('caught'));
    // A schedule's charge: peak shaving's band is [the limit − margin, site max] (the import never above the limit).
    ps.receive({ payload: { kind: 'mode', mode: 'charge', until: Date.now() + 600_000 } });
    const battery = { kind: 'battery', source: 'sessy', serial: 'B', soc: 50, power: 0, state: 'ready', limits: { maxChargeW: 2200, maxDischargeW: 1700 }, timestamp: Date.now() };
    for (const n of [ps, ze]) n.receive({ payload: battery });
    for (const n of [ps, ze]) n.receive({ topic: 'grid', payload: 1000 });
    await waitFor(() => targets.some((m) => m.payload.minW === 2400), 5000, 'the charge band');
    // A planner's band from another source: [−500, 3000].
    ze.receive({ payload: { kind: 'grid-target', minW: -500, maxW: 3000, until: Date.now() + 600_000, reason: 'planner slot', source: 'planner' } });
    ze.receive({ topic: 'grid', payload: 1000 });
    ps.receive({ topic: 'grid', payload: 1000 });
    await waitFor(() => zs.some((m) => m.payload.band && m.payload.band.maxW === 3000 && m.payload.band.minW === 2400), 8000, 'the intersection [2400, 3000] in zero export').catch((e) =>
      assert.fail(`${e.message}; bands ${JSON.stringify(zs.slice(-2).map((m) => m.payload.band))}; errors ${JSON.stringify(caught.map((m) => m.error.message))}`),
    );
    assert.ok(targets.length > 0 && targets.every((m) => m.payload.source === 'peak-shaving:ps'), 'every grid-target names its source');
    assert.ok(limits.length > 0 && limits.every((m) => m.payload.source === 'peak-shaving:ps' && m.payload.kind === 'grid-limit'), 'every grid-limit too');
    assert.equal(caught.length, 0, JSON.stringify(caught.map((m) => m.error.message)));
  });

  it('the month peak lives in the configured context store and comes back from it after a restart', async () => {
    helper.settings({ contextStorage: { default: { module: 'memory' }, keep: { module: 'memory' } } });
    await helper.load([peakNode, catchNode], [{ id: 'ps', type: 'peak-shaving', desiredPeak: 2500, store: 'keep', wires: [[], [], ['state']] }, { id: 'state', type: 'helper' }, ...catcher()]);
    await helper._redNodes.loadContextsPlugin();
    const ps = helper.getNode('ps');
    ps.receive({ topic: 'grid', payload: 500 });
    await waitFor(() => ps.context().get('monthPeak', 'keep'), 5000, 'the month peak in the store "keep"');
    assert.equal(ps.context().get('monthPeak'), undefined, 'not in the default store');
    const monthKey = ps.context().get('monthPeak', 'keep').monthKey;
    ps.context().set('monthPeak', { monthKey, monthPeakW: 6100 }, 'keep');
    await helper._redNodes.stopFlows();
    await helper._redNodes.startFlows();
    const again = helper.getNode('ps');
    const st = nextMessage(helper.getNode('state'));
    again.receive({ topic: 'grid', payload: 500 });
    assert.equal((await st).payload.limitW, 6100, 'restored from "keep"');
  });

  it('status: stale battery and stale meter are yellow rings saying what holds, off is grey, a mode override shows its end; no capacity warns once', async () => {
    await helper.load([peakNode, catchNode], [{ id: 'ps', type: 'peak-shaving', desiredPeak: 2500, meterTimeout: 2, batteryTimeout: 5, wires: [[], [], ['state']] }, { id: 'state', type: 'helper' }, ...catcher()]);
    const ps = helper.getNode('ps');
    const status = statusSpy(ps);
    const warnings = [];
    ps.warn = (w) => warnings.push(String(w));
    const states = collect(helper.getNode('state'));
    ps.receive({ payload: { kind: 'battery', serial: 'A', soc: 80, power: 0, timestamp: Date.now() } });
    ps.receive({ payload: { kind: 'battery', serial: 'A', soc: 80, power: 0, timestamp: Date.now() } });
    const feed = setInterval(() => ps.receive({ topic: 'grid', payload: 800 }), 500);
    try {
      await waitForStatus(status, { fill: 'green', shape: 'dot', text: /kW · balancing$/ }, 5000);
      await waitForStatus(status, { fill: 'yellow', shape: 'ring', text: /^battery stale \d+ s → limiting$/ }, 12_000);
      assert.ok(states.some((m) => m.payload.reasons.some((r) => /^battery stale \d+ s → SoC unknown: peak limiting$/.test(r))));
      const until = Date.now() + 3_600_000;
      const hm = new Date(until).toLocaleTimeString('en-GB', { timeZone: 'Europe/Brussels', hour: '2-digit', minute: '2-digit' });
      ps.receive({ payload: { kind: 'mode', mode: 'charge', until } });
      await waitForStatus(status, { text: new RegExp(`kW · charge to ${hm}$`) }, 3000, { latest: true });
      ps.receive({ topic: 'enable', payload: 'off' });
      await waitForStatus(status, { fill: 'grey', shape: 'ring', text: /^off · / }, 3000, { latest: true });
      ps.receive({ topic: 'enable', payload: 1 });
    } finally {
      clearInterval(feed);
    }
    await waitForStatus(status, { fill: 'yellow', shape: 'ring', text: 'meter stale → 2.50 kW static' }, 6000);
    assert.equal(warnings.length, 1, `one warning: ${JSON.stringify(warnings)}`);
    assert.match(warnings[0], /capacity unknown → fixed SoC bands.*Set Capacity/);
    assert.equal(states.at(-1).payload.reserveBasis, 'capacity unknown → fixed SoC bands');
  });
});
