'use strict';
// sessy-battery + sessy-dongle inside a real Node-RED runtime (node-red-node-test-helper, built dist/
// nodes) against the Sessy battery simulator over real HTTP on loopback.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { SessyBatteryServer } = require('../../dist/lib/sim/sessy-server');
const { validator } = require('../../dist/lib/api/validate');
const { batteryReadingSchema } = require('../../dist/lib/api/schemas');

const dongleNode = require(path.join(__dirname, '../../dist/nodes/sessy-dongle/sessy-dongle.js'));
const batteryNode = require(path.join(__dirname, '../../dist/nodes/sessy-battery/sessy-battery.js'));
const { catchNode, catcher, nextMessage, statusSpy, waitForStatus, sleep } = require('../helpers');
helper.init(require.resolve('node-red'));

const checkReading = validator(batteryReadingSchema, 'payload');

const flow = (url, battery = {}, dongle = {}) => [
  { id: 'd1', type: 'sessy-dongle', host: url.replace(/^http:\/\//, ''), pollInterval: 1, timeout: 1, ...dongle },
  { id: 'b1', type: 'sessy-battery', dongle: 'd1', name: 'battery', wires: [['out']], ...battery },
  { id: 'out', type: 'helper' },
  ...catcher(),
];
// Lower case on purpose: the node upper-cases the sticker credentials (sessy.md §1.3).
const CREDS = { d1: { user: 'dsim0001', password: 'simpass1' } };

describe('sessy-battery node', () => {
  let server;
  let url;
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(async () => {
    await helper.unload();
    if (server) await server.stop();
    server = undefined;
  });

  async function startSim(opts = {}) {
    server = new SessyBatteryServer({ startupMs: 300, latencyMs: 100, ...opts });
    ({ url } = await server.start());
    return server;
  }

  it('emits schema-valid battery readings every poll, in our units, with a green status', async () => {
    await startSim({ plant: { socPct: 64 } });
    await helper.load([dongleNode, batteryNode, catchNode], flow(url), CREDS);
    const b1 = helper.getNode('b1');
    const statuses = statusSpy(b1);
    const out = helper.getNode('out');
    const msg = await nextMessage(out, (m) => m.payload.state === 'ready');
    const r = msg.payload;
    assert.equal(checkReading(r), null);
    assert.equal(msg.topic, 'sessy');
    assert.equal(r.kind, 'battery');
    assert.equal(r.source, 'sessy');
    assert.equal(r.serial, 'DSIM0001');
    assert.ok(Math.abs(r.soc - 64) < 0.5, `SoC in % (got ${r.soc})`);
    assert.equal(r.strategy, 'POWER_STRATEGY_NOM');
    assert.ok(r.frequency > 49.9 && r.frequency < 50.1, `frequency in Hz (got ${r.frequency})`);
    assert.ok(r.voltage > 40 && r.voltage < 60, `pack voltage in V (got ${r.voltage})`);
    assert.deepEqual(r.limits, { maxChargeW: 2200, maxDischargeW: 1700 });
    assert.equal(typeof r.energy.chargedWh, 'number');
    assert.equal(msg.raw, undefined, 'raw only when asked');
    await waitForStatus(statuses, { fill: 'green', shape: 'dot', text: /\+?0 W · 64% · net zero/ }, 3000);
    // A second poll follows about a second later.
    const t = Date.now();
    await nextMessage(out);
    assert.ok(Date.now() - t < 2500);
  });

  it('strategy commands: every enum value and alias, object and topic forms, read back in the output', async () => {
    await startSim();
    await helper.load([dongleNode, batteryNode, catchNode], flow(url), CREDS);
    const b1 = helper.getNode('b1');
    const out = helper.getNode('out');
    await nextMessage(out);
    const cases = [
      [{ payload: { kind: 'battery-strategy', strategy: 'idle' } }, 'POWER_STRATEGY_IDLE'],
      [{ topic: 'strategy', payload: 'dynamic' }, 'POWER_STRATEGY_ROI'],
      [{ topic: 'strategy', payload: 'eco' }, 'POWER_STRATEGY_ECO'],
      [{ payload: { kind: 'battery-strategy', strategy: 'POWER_STRATEGY_SESSY_CONNECT' } }, 'POWER_STRATEGY_SESSY_CONNECT'],
      [{ topic: 'strategy', payload: 'api' }, 'POWER_STRATEGY_API'],
      [{ payload: { kind: 'battery-strategy', strategy: 'net zero' } }, 'POWER_STRATEGY_NOM'],
    ];
    for (const [m, want] of cases) {
      const got = nextMessage(out, (x) => x.command);
      b1.receive({ ...m, _marker: want });
      const msg = await got;
      assert.equal(msg._marker, want, 'the command message itself comes out');
      assert.deepEqual(msg.command, { type: 'strategy', strategy: want, switched: true });
      assert.equal(msg.payload.strategy, want);
      assert.equal(server.strategy, want);
    }
    const posts = server.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/power/active_strategy');
    assert.deepEqual(posts.map((p) => p.body.strategy), cases.map((c) => c[1]));
    assert.ok(posts.every((p) => p.auth), 'writes carry Basic auth');
  });

  it('setpoint round trip: NOM → API, clamped to 1700 W, reported back; restores NOM on close', async () => {
    await startSim();
    await helper.load([dongleNode, batteryNode, catchNode], flow(url), CREDS);
    const b1 = helper.getNode('b1');
    const out = helper.getNode('out');
    await nextMessage(out, (m) => m.payload.state === 'ready');
    const got = nextMessage(out, (m) => m.command);
    b1.receive({ payload: { kind: 'battery-setpoint', power: 3000, reason: 'test' } });
    const msg = await got;
    assert.deepEqual(msg.command, { type: 'setpoint', requested: 3000, sent: 1700, clamped: true, reason: 'limited to −2200…1700 W' });
    assert.equal(msg.payload.strategy, 'POWER_STRATEGY_API');
    assert.equal(server.strategy, 'POWER_STRATEGY_API');
    const sp = server.requests.filter((r) => r.path === '/api/v1/power/setpoint');
    assert.deepEqual(sp.map((r) => r.body), [{ setpoint: 1700 }]);
    // The strategy switch came first and was read back before the setpoint.
    const seq = server.requests.filter((r) => r.path !== '/api/v1/power/status').map((r) => `${r.method} ${r.path.split('/').pop()}`);
    const i = seq.indexOf('POST active_strategy');
    assert.deepEqual(seq.slice(i, i + 3), ['POST active_strategy', 'GET active_strategy', 'POST setpoint']);
    // The unit runs (it was already running under NOM): the reading reports the setpoint.
    const back = await nextMessage(out, (m) => m.payload.setpoint === 1700 && m.payload.power > 0, 5000);
    assert.equal(back.payload.setpointMismatch, false);
    assert.equal(back.payload.requestedSetpoint, 3000);
    assert.equal(back.payload.sentSetpoint, 1700);
    // Charge clamp, plain number with topic.
    const got2 = nextMessage(out, (m) => m.command);
    b1.receive({ topic: 'setpoint', payload: -5000 });
    assert.equal((await got2).command.sent, -2200);
    await helper.unload();
    assert.equal(server.strategy, 'POWER_STRATEGY_NOM', 'strategy restored on close');
  });

  it('settings: merged into the whole object, written back, and the new max_power clamps setpoints', async () => {
    await startSim({ strategy: 'POWER_STRATEGY_API' });
    await helper.load([dongleNode, batteryNode, catchNode], flow(url), CREDS);
    const b1 = helper.getNode('b1');
    const out = helper.getNode('out');
    await nextMessage(out);
    const got = nextMessage(out, (m) => m.command);
    b1.receive({ payload: { kind: 'battery-settings', settings: { max_power: 1200, disable_noise_level: 'false' } } });
    const msg = await got;
    assert.equal(msg.command.settings.max_power, 1200);
    const post = server.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/system/settings');
    assert.equal(post.body.max_power, 1200);
    assert.equal(post.body.disable_noise_level, false, 'bool kept as the dongle sent it');
    assert.equal(post.body.enabled_time, '00:00-23:59', 'whole object written back');
    assert.deepEqual(msg.payload.limits, { maxChargeW: 1200, maxDischargeW: 1200 });
    const got2 = nextMessage(out, (m) => m.command);
    b1.receive({ topic: 'setpoint', payload: 1600 });
    assert.equal((await got2).command.sent, 1200);
  });

  it('invalid commands are rejected naming the field, and nothing is sent', async () => {
    await startSim();
    await helper.load([dongleNode, batteryNode, catchNode], flow(url), CREDS);
    const b1 = helper.getNode('b1');
    const caught = helper.getNode('caught');
    await nextMessage(helper.getNode('out'));
    const writes = () => server.requests.filter((r) => r.method === 'POST').length;
    const cases = [
      [{ payload: { kind: 'battery-setpoint', power: 'x' } }, /^payload\.power: must be number$/],
      [{ payload: { kind: 'battery-setpoint' } }, /^payload\.power: is required$/],
      [{ payload: { kind: 'battery-setpoint', power: 100, extra: 1 } }, /^payload\.extra: is not allowed$/],
      [{ payload: { kind: 'battery-setpoint', power: 1e9 } }, /^payload\.power: must be <= 100000$/],
      [{ payload: { kind: 'battery-strategy', strategy: 'charge' } }, /^payload\.strategy: must be one of api, nom/],
      [{ payload: { kind: 'battery-settings', settings: { max_power: 9000 } } }, /^payload\.settings\.max_power: must be <= 2200$/],
      [{ payload: { kind: 'battery-settings', settings: { nope: 1 } } }, /payload\.settings\.nope: this dongle has no such setting/],
      [{ payload: { kind: 'battery-fly' } }, /^payload\.kind: must be one of/],
      [{ topic: 'setpoint', payload: 'abc' }, /^msg\.payload: must be a number of W/],
      [{ topic: 'setpoint', payload: NaN }, /^msg\.payload: must be a number of W .*, got NaN$/],
      [{ topic: 'setpoint', payload: '0x10' }, /^msg\.payload: must be a number of W .*, got the text "0x10"$/],
      [{ payload: { kind: 'battery-setpoint', power: NaN } }, /^payload\.power: must be a finite number of W, got NaN$/],
      [{ payload: { kind: 'battery-settings', settings: JSON.parse('{"toString": 1}') } }, /payload\.settings\.toString: this dongle has no such setting/],
      [{ topic: 'strategy', payload: 3 }, /^msg\.payload: must be one of api/],
      [{ payload: 42 }, /^msg\.payload: must be a command object .* msg\.topic "setpoint"/],
    ];
    for (const [m, re] of cases) {
      const got = nextMessage(caught);
      b1.receive(m);
      const err = await got;
      assert.match(err.error.message.replace(/^Error: /, ''), re, JSON.stringify(m));
    }
    assert.equal(writes(), 0, 'no write reached the dongle');
    assert.equal(server.strategy, 'POWER_STRATEGY_NOM');
  });

  it('a setpoint for another serial is ignored; refresh sends the reading again', async () => {
    await startSim({ strategy: 'POWER_STRATEGY_API' });
    await helper.load([dongleNode, batteryNode, catchNode], flow(url), CREDS);
    const b1 = helper.getNode('b1');
    const out = helper.getNode('out');
    await nextMessage(out);
    b1.receive({ payload: { kind: 'battery-setpoint', power: 500, serial: 'DOTHER01' } });
    await sleep(300);
    assert.equal(server.requests.filter((r) => r.method === 'POST').length, 0);
    const got = nextMessage(out, (m) => m.command);
    b1.receive({ payload: { kind: 'battery-setpoint', power: 500, serial: 'dsim0001' } });
    assert.equal((await got).command.sent, 500);
    const again = nextMessage(out, (m) => m._r === 1);
    b1.receive({ topic: 'refresh', _r: 1 });
    assert.deepEqual((await again).command, { type: 'refresh' });
  });

  it('raw: msg.raw carries the dongle JSON per endpoint', async () => {
    await startSim();
    await helper.load([dongleNode, batteryNode, catchNode], flow(url, { raw: true }), CREDS);
    const msg = await nextMessage(helper.getNode('out'));
    const st = msg.raw['/api/v1/power/status'];
    assert.equal(st.status, 'ok');
    assert.equal(typeof st.sessy.state_of_charge, 'number');
    assert.ok(st.sessy.state_of_charge <= 1, 'raw keeps device units');
  });

  it('editor search endpoint answers with a device list (mDNS, short timeout)', async () => {
    await startSim();
    await helper.load([dongleNode, batteryNode, catchNode], flow(url), CREDS);
    const t = Date.now();
    const res = await helper.request().get('/home-energy/sessy-discover?timeout=0.3').expect(200);
    assert.ok(Array.isArray(res.body.devices), JSON.stringify(res.body));
    for (const d of res.body.devices) assert.deepEqual(Object.keys(d).sort(), ['address', 'device', 'host', 'name', 'port', 'serial', 'type']);
    assert.ok(Date.now() - t < 3000, 'the timeout parameter is used');
  });

  it('configuration errors: red status, input rejected, no request', async () => {
    await startSim();
    await helper.load([dongleNode, batteryNode, catchNode], flow(url, { maxCharge: -5 }), CREDS);
    const b1 = helper.getNode('b1');
    const got = nextMessage(helper.getNode('caught'));
    b1.receive({ topic: 'setpoint', payload: 100 });
    assert.match((await got).error.message, /invalid configuration: config\.maxCharge: must be >= 0/);
    await sleep(200);
    assert.equal(server.requests.length, 0);
    await helper.unload();
    await helper.load([dongleNode, batteryNode, catchNode], flow(url, {}, { host: ' ' }), CREDS);
    const got2 = nextMessage(helper.getNode('caught'));
    helper.getNode('b1').receive({ topic: 'setpoint', payload: 100 });
    assert.match((await got2).error.message, /config\.host/);
  });

  it('issue 11 defect 6: BigInt and circular payloads end with done(err), and the node keeps working', async () => {
    await startSim({ strategy: 'POWER_STRATEGY_API' });
    await helper.load([dongleNode, batteryNode, catchNode], flow(url), CREDS);
    const b1 = helper.getNode('b1');
    const caught = helper.getNode('caught');
    await nextMessage(helper.getNode('out'));
    const loop = { kind: 'battery-setpoint' };
    loop.power = loop;
    const strategyLoop = {};
    strategyLoop.self = strategyLoop;
    const cases = [
      [{ topic: 'strategy', payload: 7n }, /^msg\.payload: must be one of api.*, got the bigint 7n$/],
      [{ topic: 'setpoint', payload: 7n }, /got the bigint 7n$/],
      [{ payload: 9n }, /\(got the bigint 9n\)$/],
      [{ payload: loop }, /^payload\.power: must be number$/],
      [{ topic: 'strategy', payload: strategyLoop }, /^msg\.payload: must be one of api.*, got an object$/],
    ];
    for (const [m, re] of cases) {
      const got = nextMessage(caught);
      b1.receive(m);
      assert.match((await got).error.message.replace(/^Error: /, ''), re);
    }
    const ok = nextMessage(helper.getNode('out'), (m) => m.command);
    b1.receive({ topic: 'setpoint', payload: 300 });
    assert.equal((await ok).command.sent, 300);
  });

  it('issue 11 defect 3: while the dongle hangs, every setpoint message is done at once; after recovery the latest is sent', async () => {
    await startSim({ strategy: 'POWER_STRATEGY_API', startRunning: true });
    const completeNode = require('@node-red/nodes/core/common/24-complete.js');
    const f = [...flow(url, {}, { timeout: 0.5 }), { id: 'cmp', type: 'complete', scope: ['b1'], uncaught: false, wires: [['done']] }, { id: 'done', type: 'helper' }];
    await helper.load([dongleNode, batteryNode, catchNode, completeNode], f, CREDS);
    const b1 = helper.getNode('b1');
    let completed = 0;
    helper.getNode('done').on('input', () => completed++);
    await nextMessage(helper.getNode('out'));
    server.faults.timeout = true;
    for (let i = 1; i <= 40; i++) {
      b1.receive({ payload: { kind: 'battery-setpoint', power: i * 10 } });
      await sleep(20);
    }
    await sleep(100);
    assert.equal(completed, 40, 'done for every message while the dongle still hangs');
    const mark = server.requests.length;
    server.faults.timeout = false;
    // The setpoint already on the wire when the hang began may finish first; then the latest one.
    const reply = await nextMessage(helper.getNode('out'), (m) => m.command && m.command.requested === 400, 8000, 'the reply of the latest setpoint');
    assert.deepEqual(reply.command, { type: 'setpoint', requested: 400, sent: 400, clamped: false });
    await sleep(500);
    const posts = server.requests.slice(mark).filter((r) => r.method === 'POST' && r.path === '/api/v1/power/setpoint');
    assert.ok(posts.length <= 2 && posts.at(-1).body.setpoint === 400, JSON.stringify(posts.map((p) => p.body)));
  });

  it('issue 11: setpoints from two sources turn the status yellow ("2 setpoint sources")', async () => {
    await startSim({ strategy: 'POWER_STRATEGY_API', startRunning: true });
    const f = [...flow(url), { id: 'zx', type: 'helper', wires: [['b1']] }, { id: 'button', type: 'helper', wires: [['b1']] }];
    await helper.load([dongleNode, batteryNode, catchNode], f, CREDS);
    const b1 = helper.getNode('b1');
    const statuses = statusSpy(b1);
    const out = helper.getNode('out');
    await nextMessage(out);
    // One source (two reasons of one controller): green.
    helper.getNode('zx').send({ payload: { kind: 'battery-setpoint', power: 100, reason: 'zero-export: control' } });
    await nextMessage(out, (m) => m.command);
    helper.getNode('zx').send({ payload: { kind: 'battery-setpoint', power: 120, reason: 'zero-export: refresh' } });
    await nextMessage(out, (m) => m.command);
    assert.equal(statuses.at(-1).fill, 'green', JSON.stringify(statuses.at(-1)));
    // A second upstream node (a dashboard button) within the keep-alive window: yellow, and says so.
    helper.getNode('button').send({ topic: 'setpoint', payload: 800 });
    await nextMessage(out, (m) => m.command);
    await waitForStatus(statuses, { fill: 'yellow', shape: 'ring', text: /2 setpoint sources/ }, 2000);
    // Without upstream nodes (msg.reason only): "zero-export" and an unnamed sender count as two as well.
    await helper.unload();
    await helper.load([dongleNode, batteryNode, catchNode], flow(url), CREDS);
    const b2 = helper.getNode('b1');
    const st2 = statusSpy(b2);
    await nextMessage(helper.getNode('out'));
    b2.receive({ payload: { kind: 'battery-setpoint', power: 100, reason: 'zero-export: control' } });
    b2.receive({ payload: { kind: 'battery-setpoint', power: 100, reason: 'schedule' } });
    await waitForStatus(st2, { fill: 'yellow', text: /2 setpoint sources/ }, 2000);
  });

  it('issue 11: a command arriving while the node closes (redeploy) logs no error; the close hands the unit back', async () => {
    await startSim({ strategy: 'POWER_STRATEGY_NOM', startRunning: true });
    await helper.load([dongleNode, batteryNode, catchNode], flow(url), CREDS);
    const b1 = helper.getNode('b1');
    const out = helper.getNode('out');
    await nextMessage(out);
    const got = nextMessage(out, (m) => m.command);
    b1.receive({ payload: { kind: 'battery-setpoint', power: 500, reason: 'zero-export: control' } });
    await got;
    const errors = [];
    b1.on('call:error', (call) => errors.push(call.args[0]));
    const origError = b1.error.bind(b1);
    b1.error = (e, m) => (errors.push(String(e)), origError(e, m));
    // What zero export does on a full deploy: its own close sends a release and a last setpoint to
    // the battery node, which is closing at the same time (its driver already stopped).
    b1.on('close', (done) => {
      setImmediate(() => {
        b1.receive({ payload: { kind: 'battery-setpoint', power: 0, reason: 'zero-export: node closed' } });
        b1.receive({ payload: { kind: 'battery-release', reason: 'zero-export: node closed' } });
        setTimeout(done, 50);
      });
    });
    await helper.unload();
    await sleep(100);
    assert.deepEqual(errors, []);
    assert.equal(helper.log().args.filter((a) => a[0] && a[0].level <= 20 && /closed/.test(String(a[0].msg))).length, 0, 'nothing logged as an error');
    assert.equal(server.strategy, 'POWER_STRATEGY_NOM', 'handed back on close');
  });
});
