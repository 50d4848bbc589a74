'use strict';
// p1-meter inside a real Node-RED runtime (node-red-node-test-helper), loading the built dist/ node.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { V1, V7, V1_BAD_CRC, dsmr22 } = require('../fixtures/telegrams');

const p1Node = require(path.join(__dirname, '../../dist/nodes/p1-meter/p1-meter.js'));
const { catchNode, catcher, nextMessage, statusSpy, sleep, freePort, waitForStatus } = require('../helpers');
helper.init(require.resolve('node-red'));

const flow = (cfg) => [
  { id: 'p1', type: 'p1-meter', name: 'meter', wires: [['out']], ...cfg },
  { id: 'out', type: 'helper' },
  ...catcher(),
];

/** A p1-meter fed on its input, with its status calls and the messages it sent. */
async function loadInputNode() {
  await helper.load([p1Node, catchNode], flow({ source: 'input' }));
  const p1 = helper.getNode('p1');
  const out = helper.getNode('out');
  const sent = [];
  out.on('input', (m) => sent.push(m));
  return { p1, out, statuses: statusSpy(p1), sent };
}

describe('p1-meter node', () => {
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(() => helper.unload());

  it('parses telegrams arriving on its input, in any chunking', async () => {
    await helper.load([p1Node, catchNode], flow({ source: 'input', topic: 'grid' }));
    const p1 = helper.getNode('p1');
    const out = helper.getNode('out');
    const got = nextMessage(out);
    // Split the telegram into three arbitrary chunks, one as a Buffer.
    p1.receive({ payload: V1.slice(0, 100) });
    p1.receive({ payload: Buffer.from(V1.slice(100, 400), 'latin1') });
    p1.receive({ payload: V1.slice(400) });
    const msg = await got;
    assert.equal(msg.topic, 'grid');
    const r = msg.payload;
    assert.equal(r.kind, 'meter');
    assert.equal(r.source, 'p1');
    assert.equal(r.power, 1765);
    assert.equal(r.importPower, 1765);
    assert.equal(r.exportPower, 0);
    assert.equal(r.timestamp, Date.parse('2019-12-29T22:37:14Z')); // 23:37:14 winter time = UTC+1
    assert.equal(r.phases.length, 3);
    assert.deepEqual(r.phases.map((p) => p.voltage), [236.9, 235.1, 234.9]);
    assert.deepEqual(r.phases.map((p) => p.power), [132, 37, 1596]);
    assert.deepEqual(r.energy.importTariffWh, [4000647, 1154948]);
    assert.equal(r.energy.importWh, 5155595);
    assert.equal(r.serial, 'E0044007118529318');
    // Dutch meter: no 1-0:1.4.0, so the quarter-hour average is computed.
    assert.equal(r.capacity.computed, true);
    assert.equal(msg.raw, undefined, 'raw only when asked');
  });

  it('drops a telegram with a bad CRC, counts it in status, and sends nothing', async () => {
    const { p1, out, statuses, sent } = await loadInputNode();
    p1.receive({ payload: V1_BAD_CRC });
    await sleep(200);
    assert.equal(sent.length, 0);
    assert.ok(statuses.some((s) => /1 CRC err/.test(s.text || '')), JSON.stringify(statuses));
    // A good telegram afterwards still goes through.
    const got = nextMessage(out);
    p1.receive({ payload: V1 });
    assert.equal((await got).payload.power, 1765);
  });

  it('status turns from a green dot to a yellow ring when readings stop (stale after 1 s)', async () => {
    await helper.load([p1Node, catchNode], flow({ source: 'input', staleAfter: 1 }));
    const p1 = helper.getNode('p1');
    const statuses = statusSpy(p1);
    const got = nextMessage(helper.getNode('out'));
    p1.receive({ payload: V1 });
    await got;
    assert.deepEqual(
      { fill: statuses.at(-1).fill, shape: statuses.at(-1).shape },
      { fill: 'green', shape: 'dot' },
    );
    assert.match(statuses.at(-1).text, /^\+1765 W · 0s$/);
    await sleep(2300);
    const last = statuses.at(-1);
    assert.equal(last.fill, 'yellow');
    assert.equal(last.shape, 'ring');
    assert.match(last.text, /^\+1765 W · stale [23]s$/);
  });

  it('rejects a non-telegram payload with done(err) naming the field', async () => {
    await helper.load([p1Node, catchNode], flow({ source: 'input' }));
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('p1').receive({ payload: 42 });
    const msg = await caught;
    assert.match(msg.error.message, /msg\.payload: must be a telegram/);
  });

  it('adds msg.raw and msg.telegram when asked, with Belgian capacity values from the meter', async () => {
    await helper.load([p1Node, catchNode], flow({ source: 'input', raw: true }));
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('p1').receive({ payload: V7 });
    const msg = await got;
    assert.equal(msg.raw.slice(0, 5), '/FLU5');
    assert.equal(msg.telegram.crc, 'ok');
    const c = msg.payload.capacity;
    assert.equal(c.currentAverageW, 52);
    assert.equal(c.monthPeakW, 3064);
    assert.equal(c.monthPeakAt, '2023-11-02T10:45:00.000Z');
    assert.equal(c.computed, false);
    assert.equal(c.history.length, 4);
    assert.equal(c.history[0].at, null); // 632525252525W placeholder
    assert.equal(c.history[3].peakW, 4927);
    assert.deepEqual(msg.payload.gas, { m3: 92.287, at: '2023-11-02T11:10:02.000Z' });
    assert.deepEqual(msg.payload.water, { m3: 8.579, at: '2023-11-02T11:15:32.000Z' });
  });

  it('shows a configuration error and refuses input when the TCP host is missing', async () => {
    await helper.load([p1Node, catchNode], flow({ source: 'tcp', host: '', port: 23 }));
    const p1 = helper.getNode('p1');
    const caught = nextMessage(helper.getNode('caught'));
    p1.receive({ payload: 'x' });
    const msg = await caught;
    assert.match(msg.error.message, /invalid configuration: config\.host/);
  });

  it('reads a TCP gateway and recovers by itself after the gateway drops the connection', async () => {
    const sockets = new Set();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const port = server.address().port;
    const send = () => sockets.forEach((s) => s.write('\xff\xffgarbage' + V1));
    const timer = setInterval(send, 100);
    try {
      await helper.load([p1Node, catchNode], flow({ source: 'tcp', host: '127.0.0.1', port }));
      const out = helper.getNode('out');
      assert.equal((await nextMessage(out)).payload.power, 1765);
      // Drop every client: the node must reconnect (backoff starts at 1 s) without a redeploy.
      sockets.forEach((s) => s.destroy());
      await sleep(50);
      const before = Date.now();
      const again = await nextMessage(out, 10000);
      assert.equal(again.payload.power, 1765);
      assert.ok(Date.now() - before < 10000);
    } finally {
      clearInterval(timer);
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    }
  });

  it('automatic stale limit: an outage does not stretch it, so a later 10 s outage turns the ring yellow (issue 11)', async () => {
    // The node's clock is Date.now (DeviceStatus takes it at construction): shift it forward instead of waiting.
    const realNow = Date.now;
    let skew = 0;
    Date.now = () => realNow() + skew;
    try {
      await helper.load([p1Node, catchNode], flow({ source: 'input' }));
      const p1 = helper.getNode('p1');
      const out = helper.getNode('out');
      const statuses = statusSpy(p1);
      const feed = async () => {
        const got = nextMessage(out);
        p1.receive({ payload: V1 });
        await got;
      };
      for (let i = 0; i < 10; i++) {
        await feed();
        skew += 1000; // a 1 s meter
      }
      skew += 10_000; // outage 1: the meter goes silent for 11 s
      for (let i = 0; i < 3; i++) {
        await feed();
        skew += 1000;
      }
      assert.equal(statuses.at(-1).fill, 'green');
      // outage 2: 5 s later the reading is stale (limit: 2 × 1 s, at least 3 s). The old estimate
      // (0.8 × interval + 0.2 × gap, gaps included) was at 2.3 s → limit 6.8 s, still green.
      skew += 4000;
      await sleep(1300); // one tick of the 1 s status ticker
      const last = statuses.at(-1);
      assert.deepEqual({ fill: last.fill, shape: last.shape }, { fill: 'yellow', shape: 'ring' }, JSON.stringify(statuses.slice(-3)));
      assert.match(last.text, /^\+1765 W · stale [56]s$/);
    } finally {
      Date.now = realNow;
    }
  });

  it('a refused TCP port shows a red ring naming the address, and stays red (not yellow "connecting")', async () => {
    const port = await freePort(); // nothing listens there
    await helper.load([p1Node, catchNode], flow({ source: 'tcp', host: '127.0.0.1', port }));
    const statuses = statusSpy(helper.getNode('p1'));
    const red = await waitForStatus(statuses, { fill: 'red', shape: 'ring' }, 5000);
    assert.equal(red.text, `refused 127.0.0.1:${port}`);
    assert.ok(red.text.length <= 32);
    await sleep(2200); // two ticks and a reconnect attempt later
    assert.deepEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: `refused 127.0.0.1:${port}` });
    // A gateway that comes up but sends nothing: connected (yellow), no longer "refused".
    const sockets = new Set();
    const server = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => {});
    });
    await new Promise((r) => server.listen(port, '127.0.0.1', r));
    try {
      const back = await waitForStatus(statuses, { fill: 'yellow', text: 'connected, waiting' }, 8000, { latest: true });
      assert.equal(back.shape, 'ring');
    } finally {
      sockets.forEach((sock) => sock.destroy());
      await new Promise((r) => server.close(r));
    }
  });

  it('an unusable power value in an accepted DSMR 2.2 telegram sends nothing and is counted in status', async () => {
    const { p1, out, statuses, sent } = await loadInputNode();
    p1.receive({ payload: dsmr22('XY.Z*kW') });
    await waitForStatus(statuses, { text: /1 bad$/ }, 3000);
    assert.equal(sent.length, 0);
    const got = nextMessage(out);
    p1.receive({ payload: dsmr22() });
    assert.equal((await got).payload.power, 890);
  });

  it('polls a Sessy P1 dongle over HTTP with credentials', async () => {
    let auth;
    const server = http.createServer((req, res) => {
      auth = req.headers.authorization;
      if (req.url !== '/api/v2/p1/details') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'ok', state: 'P1_OK', dsmr_version: 50,
          power_consumed_tariff1: 745838, power_produced_tariff1: 201650, power_consumed_tariff2: 523255, power_produced_tariff2: 545889,
          tariff_indicator: 2, power_consumed: 0, power_produced: 1250, power_total: -1250,
          voltage_l1: 237700, voltage_l2: 0, voltage_l3: 0, current_l1: 5000, current_l2: 0, current_l3: 0,
          power_consumed_l1: 0, power_consumed_l2: 0, power_consumed_l3: 0, power_produced_l1: 1250, power_produced_l2: 0, power_produced_l3: 0,
          gas_meter_value: 1234567, gas_meter_value_time: '231125175508W',
        }),
      );
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      await helper.load([p1Node, catchNode], flow({ source: 'sessy', url: `127.0.0.1:${server.address().port}`, pollInterval: 0.5 }), {
        p1: { user: 'ABCD1234', password: 'SECRET12' },
      });
      const msg = await nextMessage(helper.getNode('out'));
      const r = msg.payload;
      assert.equal(r.source, 'sessy-p1');
      assert.equal(r.power, -1250);
      assert.equal(r.exportPower, 1250);
      assert.equal(r.phases.length, 1, 'phases with 0 V are absent on the dongle');
      assert.equal(r.phases[0].voltage, 237.7);
      assert.equal(r.phases[0].current, 5);
      assert.equal(r.energy.importWh, 745838 + 523255);
      assert.deepEqual(r.gas, { m3: 1234.567, at: '2023-11-25T16:55:08.000Z' });
      assert.equal(auth, 'Basic ' + Buffer.from('ABCD1234:SECRET12').toString('base64'));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
