'use strict';
// ksem-meter inside a real Node-RED runtime (node-red-node-test-helper) with the modbus-link config
// node, against the KSEM simulator on loopback: poll mode, push mode, faults and recovery without a
// redeploy, configuration errors.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { KsemSimMeter, KsemSimServer, KsemPushClient } = require('../../dist/lib/sim/ksem-sim');
const { Household } = require('../../dist/lib/sim/household');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { validator } = require('../../dist/lib/api/validate');
const { meterReadingSchema } = require('../../dist/lib/api/schemas');

const ksemNode = require(path.join(__dirname, '../../dist/nodes/ksem-meter/ksem-meter.js'));
const linkNode = require(path.join(__dirname, '../../dist/nodes/modbus-link/modbus-link.js'));
const { catchNode, catcher, nextMessage, statusSpy, waitForStatus, freePort, sleep } = require('../helpers');
helper.init(require.resolve('node-red'));

const check = validator(meterReadingSchema, 'payload');

function meter() {
  const clock = new VirtualClock(Date.UTC(2024, 5, 3, 12));
  return new KsemSimMeter({ household: new Household({ clock, load: 3000, pv: 1000 }), clock });
}

const flow = (cfg, linkCfg) => [
  ...(linkCfg ? [{ id: 'ml', type: 'modbus-link', transport: 'tcp', host: '127.0.0.1', timeout: 300, ...linkCfg }] : []),
  { id: 'k', type: 'ksem-meter', name: 'ksem', wires: [['out']], ...cfg },
  { id: 'out', type: 'helper' },
  ...catcher(),
];

describe('ksem-meter node', () => {
  let sim;
  before(async () => {
    await new Promise((r) => helper.startServer(r));
    sim = new KsemSimServer({ meter: meter(), port: 0 });
    await sim.start();
  });
  after(async () => {
    await sim.stop();
    await new Promise((r) => helper.stopServer(r));
  });
  afterEach(async () => {
    sim.fault('none');
    await helper.unload();
  });

  it('polls the KSEM through a modbus-link and sends normalized readings; raw on request; input re-sends', async () => {
    await helper.load([linkNode, ksemNode, catchNode], flow({ mode: 'poll', link: 'ml', unit: 1, pollInterval: 0.2, layout: 'auto', raw: true, topic: 'grid' }, { port: sim.endpoints.port }));
    const k = helper.getNode('k');
    const statuses = statusSpy(k);
    const out = helper.getNode('out');
    const msg = await nextMessage(out);
    assert.equal(msg.topic, 'grid');
    const r = msg.payload;
    assert.equal(check(r), null);
    assert.equal(r.kind, 'meter');
    assert.equal(r.source, 'ksem');
    assert.equal(r.power, 2000);
    assert.equal(r.importPower, 2000);
    assert.equal(r.serial, '74012345');
    assert.equal(r.phases.length, 3);
    assert.equal(msg.raw.layout, 'native');
    assert.equal(msg.raw.values.activePowerPlus, 2000);
    assert.equal(msg.raw.sunspec.models[1].address, 40070);
    // Several readings at the poll period.
    await nextMessage(out);
    await waitForStatus(statuses, { fill: 'green', text: /^\+2000 W · \d+s$/ }, 2000);
    const again = nextMessage(out);
    k.receive({ payload: 'now', extra: 1 });
    const m2 = await again;
    assert.equal(m2.payload.power, 2000);
  });

  it('a timeout turns the status red with the registers named; readings resume without a redeploy', async () => {
    await helper.load([linkNode, ksemNode, catchNode], flow({ mode: 'poll', link: 'ml', pollInterval: 0.2, staleAfter: 0.5 }, { port: sim.endpoints.port }));
    const k = helper.getNode('k');
    const out = helper.getNode('out');
    const statuses = statusSpy(k);
    await nextMessage(out);
    sim.fault('timeout');
    // After the first timeout the poller detects again, so the status names the SunSpec walk's registers.
    await waitForStatus(statuses, { fill: 'red', text: /^timeout, regs \d+–\d+$/ }, 5000);
    sim.fault('none');
    const msg = await nextMessage(out, 8000);
    assert.equal(msg.payload.power, 2000);
    // The link's counters ride along: the timeouts are counted, and the status says so.
    assert.equal(msg.link.key, `tcp://127.0.0.1:${sim.endpoints.port}`);
    assert.equal(msg.link.connected, true);
    assert.ok(msg.link.timeouts >= 1 && msg.link.errors >= msg.link.timeouts, JSON.stringify(msg.link));
    assert.ok(msg.link.requests > msg.link.errors);
    assert.equal(msg.link.queue, 0);
    await waitForStatus(statuses, { fill: 'green', text: / · \d+ err$/ }, 3000, { latest: true });
  });

  it('a dropped connection recovers by itself (link reconnect, layout detected again)', async () => {
    await helper.load([linkNode, ksemNode, catchNode], flow({ mode: 'poll', link: 'ml', pollInterval: 0.2, layout: 'sunspec' }, { port: sim.endpoints.port }));
    const out = helper.getNode('out');
    assert.equal((await nextMessage(out)).payload.power, 2000);
    sim.fault('disconnect');
    await sleep(300);
    const msg = await nextMessage(out, 8000);
    assert.equal(msg.payload.power, 2000);
    assert.match(msg.payload.protocol, /^SunSpec 203/);
  });

  it('push mode: receives a KSEM master and sends readings', async () => {
    const port = await freePort();
    await helper.load([ksemNode, catchNode], flow({ mode: 'push', listenHost: '127.0.0.1', listenPort: port, pushUnit: '' }));
    const k = helper.getNode('k');
    const statuses = statusSpy(k);
    await waitForStatus(statuses, (s) => s.fill === 'yellow' && s.text.includes(`127.0.0.1:${port}`), 3000);
    const client = new KsemPushClient({ meter: meter(), host: '127.0.0.1', port, periodMs: 200 });
    try {
      client.start();
      const msg = await nextMessage(helper.getNode('out'), 5000);
      assert.equal(check(msg.payload), null);
      assert.equal(msg.payload.power, 2000);
      assert.equal(msg.payload.protocol, 'KSEM Modbus master (push)');
      assert.equal(msg.payload.energy.phases.length, 3);
    } finally {
      await client.stop();
    }
  });

  it('push mode: listens on 127.0.0.1 by default; a client not in "Accept from" is refused, shown and sends nothing', async () => {
    const port = await freePort();
    // Only the KSEM at 127.0.0.5 may push; the push client below connects from 127.0.0.1.
    await helper.load([ksemNode, catchNode], flow({ mode: 'push', listenPort: port, allowFrom: '127.0.0.5' }));
    const k = helper.getNode('k');
    const statuses = statusSpy(k);
    await waitForStatus(statuses, { fill: 'yellow', text: `waiting on 127.0.0.1:${port}` }, 3000);
    const out = helper.getNode('out');
    const sent = [];
    out.on('input', (m) => sent.push(m));
    const client = new KsemPushClient({ meter: meter(), host: '127.0.0.1', port, periodMs: 200 });
    try {
      client.start();
      await waitForStatus(statuses, { fill: 'yellow', text: 'refused 127.0.0.1' }, 3000);
      await sleep(500);
      assert.equal(sent.length, 0, 'no reading from a refused client');
      assert.ok(client.counters.errors >= 1);
    } finally {
      await client.stop();
    }
  });

  it('push mode: a port in use is a red status and a logged error, not a crash', async () => {
    const blocker = net.createServer();
    await new Promise((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      await helper.load([ksemNode, catchNode], flow({ mode: 'push', listenHost: '127.0.0.1', listenPort: blocker.address().port }));
      const k = helper.getNode('k');
      const statuses = statusSpy(k);
      await waitForStatus(statuses, { fill: 'red', text: /^port \d+ in use$/ }, 3000);
      const caught = nextMessage(helper.getNode('caught'));
      k.receive({ payload: 1 });
      assert.match((await caught).error.message, /no reading yet: .*cannot listen/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('configuration errors: poll mode without a link, a bad unit id', async () => {
    await helper.load([linkNode, ksemNode, catchNode], flow({ mode: 'poll', link: '' }));
    let caught = nextMessage(helper.getNode('caught'));
    helper.getNode('k').receive({ payload: 1 });
    assert.match((await caught).error.message, /invalid configuration: config\.link/);
    await helper.unload();
    await helper.load([linkNode, ksemNode, catchNode], flow({ mode: 'poll', link: 'ml', unit: 300 }, { port: sim.endpoints.port }));
    caught = nextMessage(helper.getNode('caught'));
    helper.getNode('k').receive({ payload: 1 });
    assert.match((await caught).error.message, /invalid configuration: config\.unit/);
  });

  it('closes fast while a poll is stuck in a timeout', async () => {
    await helper.load([linkNode, ksemNode, catchNode], flow({ mode: 'poll', link: 'ml', pollInterval: 0.2 }, { port: sim.endpoints.port }));
    await nextMessage(helper.getNode('out'));
    sim.fault('timeout');
    await sleep(250);
    const t0 = Date.now();
    await helper.unload();
    assert.ok(Date.now() - t0 < 2000, `close took ${Date.now() - t0} ms`);
  });
});
