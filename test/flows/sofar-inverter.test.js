'use strict';
// sofar-inverter inside a real Node-RED runtime (node-red-node-test-helper) with a modbus-link config
// node, against the Sofar simulator behind an RTU-over-TCP gateway on loopback.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const dist = path.join(__dirname, '../../dist');
const sofarNode = require(path.join(dist, 'nodes/sofar-inverter/sofar-inverter.js'));
const linkNode = require(path.join(dist, 'nodes/modbus-link/modbus-link.js'));
const { SofarSim } = require(path.join(dist, 'lib/sim/sofar-sim'));
const { Household } = require(path.join(dist, 'lib/sim/household'));
const { validator } = require(path.join(dist, 'lib/api/validate'));
const { batteryReadingSchema } = require(path.join(dist, 'lib/api/schemas'));
const { catchNode, catcher, collect, statusSpy, waitFor, waitForStatus, sleep } = require('../helpers');
helper.init(require.resolve('node-red'));

const checkReading = validator(batteryReadingSchema, 'payload');

describe('sofar-inverter node', () => {
  let sim;
  let gw;
  before(async () => {
    await new Promise((r) => helper.startServer(r));
    sim = new SofarSim({ household: new Household({ load: 700, pv: 1800 }), plant: { rampWPerS: 20000 }, tickMs: 100 });
    gw = await sim.startGateway();
  });
  after(async () => {
    await sim.stop();
    await new Promise((r) => helper.stopServer(r));
  });
  afterEach(async () => {
    await helper.unload();
    sim.setFaults({});
    sim.workMode = 3;
    sim.setMode('standby');
  });

  const flow = (cfg = {}, link = {}) => [
    { id: 'link', type: 'modbus-link', transport: 'rtu-over-tcp', host: '127.0.0.1', port: gw.port, timeout: 300, ...link },
    { id: 'sofar', type: 'sofar-inverter', name: 'inverter', link: 'link', unit: 1, pollInterval: 1, wires: [['out']], ...cfg },
    { id: 'out', type: 'helper' },
    ...catcher(),
  ];

  it('emits a valid kind:"battery" reading every poll, with the simulator\'s values', async () => {
    await helper.load([linkNode, sofarNode, catchNode], flow({ topic: 'ess' }));
    const out = collect(helper.getNode('out'));
    await waitFor(() => out.length >= 2, 5000, 'two readings');
    const msg = out[0];
    assert.equal(msg.topic, 'ess');
    const r = msg.payload;
    assert.equal(checkReading(r), null);
    assert.equal(r.source, 'sofar');
    assert.equal(r.serial, 'SA1ES130K12345');
    assert.equal(r.soc, 50);
    assert.equal(r.pvPower, 1800);
    assert.equal(r.loadPower, 700);
    assert.equal(r.gridPower, -1100);
    assert.equal(msg.raw, undefined, 'raw only when asked');
    assert.ok(out[1].payload.timestamp > r.timestamp);
    // The Modbus link's counters on every message: no errors, nothing waiting, requests counted.
    assert.match(msg.link.key, /^rtu-tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(msg.link.errors, 0);
    assert.equal(msg.link.queue, 0);
    assert.ok(out[1].link.requests > msg.link.requests && msg.link.requests >= 1, JSON.stringify([msg.link, out[1].link]));
  });

  it('battery-setpoint: the simulator charges, the reply carries the reading and the command; status green', async () => {
    await helper.load([linkNode, sofarNode, catchNode], flow({ pollInterval: 60 }));
    const sofar = helper.getNode('sofar');
    const out = collect(helper.getNode('out'));
    const statuses = statusSpy(sofar);
    await waitFor(() => out.length >= 1, 5000, 'first reading');
    sofar.receive({ payload: { kind: 'battery-setpoint', power: -1500, reason: 'test' } });
    const reply = await waitFor(() => out.find((m) => m.command), 5000, 'command reply');
    assert.equal(reply.command.command, 'charge 1500 W');
    assert.equal(reply.command.clamped, false);
    assert.equal(reply.command.status.accepted, true);
    assert.equal(reply.payload.kind, 'battery');
    assert.equal(reply.payload.setpoint, -1500);
    assert.equal(sim.mode, 'charge');
    assert.equal(sim.modeW, 1500);
    // Plain number with topic "setpoint", clamped to the limit.
    sofar.receive({ topic: 'setpoint', payload: 4200 });
    const reply2 = await waitFor(() => out.filter((m) => m.command).length >= 2 && out.filter((m) => m.command)[1], 5000, 'second reply');
    assert.deepEqual([reply2.command.command, reply2.command.clamped], ['discharge 3000 W', true]);
    assert.equal(sim.modeW, 3000);
    sofar.receive({ payload: { kind: 'battery-mode', mode: 'auto' } });
    await waitFor(() => sim.mode === 'auto', 5000, 'auto');
    const green = await waitForStatus(statuses, { fill: 'green' }, 3000);
    assert.match(green.text, /W · 50% · /);
  });

  it('invalid messages: done(err) naming the field, nothing sent to the inverter', async () => {
    await helper.load([linkNode, sofarNode, catchNode], flow({ pollInterval: 60 }));
    const sofar = helper.getNode('sofar');
    const caught = collect(helper.getNode('caught'));
    await waitFor(() => sim.log !== undefined, 100);
    const before = sim.log.length;
    sofar.receive({ payload: { kind: 'battery-setpoint', power: 'lots' } });
    sofar.receive({ payload: { kind: 'battery-setpoint', power: 100, extra: 1 } });
    sofar.receive({ payload: { kind: 'battery-mode', mode: 'boost' } });
    sofar.receive({ payload: { kind: 'charger-setpoint', current: 6 } });
    sofar.receive({ topic: 'setpoint', payload: 'abc' });
    sofar.receive({ payload: 42 });
    await waitFor(() => caught.length >= 6, 3000, 'six errors');
    const texts = caught.map((m) => m.error.message);
    assert.match(texts[0], /^(Error: )?payload\.power: must be number/);
    assert.match(texts[1], /^(Error: )?payload\.extra: is not allowed/);
    assert.match(texts[2], /^(Error: )?payload\.mode: must be one of "standby", "auto"/);
    assert.match(texts[3], /^(Error: )?payload\.kind: must be one of "battery-setpoint", "battery-mode"/);
    assert.match(texts[4], /^(Error: )?msg\.payload: must be a number of W/);
    assert.match(texts[5], /^(Error: )?msg\.payload: must be a command object/);
    assert.equal(sim.log.slice(before).filter((c) => c.fc === 0x42).length, 0, 'nothing sent');
  });

  it('a command for another serial is ignored; a rejected command turns the status yellow with the reason', async () => {
    await helper.load([linkNode, sofarNode, catchNode], flow({ pollInterval: 60 }));
    const sofar = helper.getNode('sofar');
    const out = collect(helper.getNode('out'));
    const caught = collect(helper.getNode('caught'));
    const statuses = statusSpy(sofar);
    await waitFor(() => out.length >= 1, 5000, 'first reading');
    const before = sim.log.length;
    sofar.receive({ payload: { kind: 'battery-setpoint', power: 800, serial: 'SOMEONE-ELSE' } });
    await sleep(200);
    assert.equal(sim.log.length, before, 'not for us');
    sim.workMode = 0; // the display says Auto, not Passive
    sofar.receive({ payload: { kind: 'battery-setpoint', power: 800 } });
    await waitFor(() => caught.length >= 1, 3000, 'error');
    assert.match(caught[0].error.message, /inverter rejected discharge 800 W: invalid mode/);
    const refused = await waitForStatus(statuses, (s) => s.fill === 'yellow' && /· wrong work mode$/.test(s.text), 3000);
    assert.ok(refused.text.length <= 32, refused.text);
    sim.workMode = 3;
    sofar.receive({ payload: { kind: 'battery-setpoint', power: 800 } });
    await waitFor(() => out.some((m) => m.command && m.command.command === 'discharge 800 W'), 3000, 'accepted after passive mode is on');
    await waitForStatus(statuses, { fill: 'green' }, 3000, { latest: true });
  });

  it('heartbeats while commanded; on close the inverter is handed back to auto', async () => {
    await helper.load([linkNode, sofarNode, catchNode], flow({ pollInterval: 60, heartbeat: 1, onClose: 'auto' }));
    const sofar = helper.getNode('sofar');
    const out = collect(helper.getNode('out'));
    await waitFor(() => out.length >= 1, 5000, 'first reading');
    const hb0 = sim.heartbeats.length;
    sofar.receive({ payload: { kind: 'battery-setpoint', power: -600 } });
    await waitFor(() => sim.heartbeats.length >= hb0 + 2, 4000, 'two heartbeats');
    await helper.unload();
    assert.equal(sim.mode, 'auto');
    const last = sim.log.at(-1);
    assert.deepEqual([last.fc, last.register], [0x42, 0x0103]);
  });

  it('recovers by itself after the gateway restarts: red/yellow while down, green again without redeploy', async () => {
    await helper.load([linkNode, sofarNode, catchNode], flow({ pollInterval: 1, staleAfter: 1.5 }));
    const sofar = helper.getNode('sofar');
    const out = collect(helper.getNode('out'));
    const statuses = statusSpy(sofar);
    await waitFor(() => out.length >= 1, 5000, 'first reading');
    const port = gw.port;
    await sim.stopGateway();
    await waitForStatus(statuses, (s) => s.fill === 'red' || s.fill === 'yellow', 6000);
    const n = out.length;
    gw = await sim.startGateway({ port });
    await waitFor(() => out.length > n, 10000, 'readings again');
    await waitForStatus(statuses, { fill: 'green' }, 3000, { latest: true });
  });

  it('the example flow "Sofar ME3000SP passive mode" reads the inverter and its injects command it', async () => {
    const example = require(path.join(__dirname, '../../examples/04 - Sofar ME3000SP passive mode.json'));
    const nodes = JSON.parse(JSON.stringify(example));
    const link = nodes.find((n) => n.type === 'modbus-link');
    assert.deepEqual([link.transport, link.host, link.port], ['rtu-over-tcp', '127.0.0.1', 1505], 'the example names the virtual home gateway');
    link.port = gw.port; // what scripts/start.mjs does with HOME_ENERGY_SOFAR_PORT
    const sofarN = nodes.find((n) => n.type === 'sofar-inverter');
    sofarN.wires[0].push('probe');
    nodes.push({ id: 'probe', type: 'helper', z: sofarN.z });
    const types = [
      linkNode,
      sofarNode,
      catchNode,
      require('@node-red/nodes/core/common/20-inject.js'),
      require('@node-red/nodes/core/common/21-debug.js'),
      require('@node-red/nodes/core/common/90-comment.js'),
      require('@node-red/nodes/core/function/15-change.js'),
      require('@node-red/nodes/core/common/60-link.js'), // the example's link to the dashboard tab
    ];
    await helper.load(types, nodes);
    const out = collect(helper.getNode('probe'));
    await waitFor(() => out.length >= 1, 8000, 'a reading from the example flow');
    assert.equal(out[0].payload.kind, 'battery');
    const injects = nodes.filter((n) => n.type === 'inject');
    assert.deepEqual(injects.map((n) => n.name), ['charge 1500 W', 'discharge 1000 W', 'standby', 'auto']);
    const expect = [['charge', 1500], ['discharge', 1000], ['standby', 0], ['auto', 0]];
    for (let i = 0; i < injects.length; i++) {
      helper.getNode(injects[i].id).receive({});
      await waitFor(() => sim.mode === expect[i][0] && sim.modeW === expect[i][1], 5000, injects[i].name);
    }
  });

  it('payloads that cannot be printed (BigInt, circular) end with done(err) and a clear message (issue 11, defect 6)', async () => {
    await helper.load([linkNode, sofarNode, catchNode], flow({ pollInterval: 60 }));
    const sofar = helper.getNode('sofar');
    const caught = collect(helper.getNode('caught'));
    const circular = { a: 1 };
    circular.self = circular;
    const before = sim.log.length;
    sofar.receive({ topic: 'setpoint', payload: 10n });
    sofar.receive({ topic: 'mode', payload: circular });
    sofar.receive({ payload: { kind: 10n } });
    sofar.receive({ payload: circular });
    await waitFor(() => caught.length >= 4, 3000, 'four errors');
    const texts = caught.map((m) => m.error.message.replace(/^Error: /, ''));
    assert.equal(texts[0], 'msg.payload: must be a number of W (+ discharge, − charge) with topic "setpoint", got the bigint 10n');
    assert.equal(texts[1], 'msg.payload: must be "standby" or "auto" with topic "mode" (got an object)');
    assert.equal(texts[2], 'payload.kind: must be one of "battery-setpoint", "battery-mode", "battery-release" (got the bigint 10n)');
    assert.match(texts[3], /^msg\.payload: must be a command object .* \(got an object without kind\)$/);
    assert.equal(sim.log.length, before, 'nothing sent');
  });

  it('watts: hex text, NaN and 1e400 are refused with what they are (issue 11, defect 9)', async () => {
    await helper.load([linkNode, sofarNode, catchNode], flow({ pollInterval: 60 }));
    const sofar = helper.getNode('sofar');
    const caught = collect(helper.getNode('caught'));
    const before = sim.log.length;
    sofar.receive({ topic: 'setpoint', payload: '0x10' });
    sofar.receive({ payload: { kind: 'battery-setpoint', power: NaN } });
    sofar.receive({ payload: { kind: 'battery-setpoint', power: 1e400 } });
    sofar.receive({ topic: 'setpoint', payload: '1e400' });
    await waitFor(() => caught.length >= 4, 3000, 'four errors');
    const texts = caught.map((m) => m.error.message.replace(/^Error: /, ''));
    assert.equal(texts[0], 'msg.payload: must be a number of W (+ discharge, − charge) with topic "setpoint", got the text "0x10"');
    assert.equal(texts[1], 'payload.power: must be a finite number of W, got NaN');
    assert.equal(texts[2], 'payload.power: must be a finite number of W, got Infinity');
    assert.equal(texts[3], 'msg.payload: must be a number of W (+ discharge, − charge) with topic "setpoint", got the text "1e400"');
    assert.equal(sim.log.slice(before).filter((c) => c.fc === 0x42).length, 0, 'nothing sent: "0x10" is not 16 W');
  });

  it('configuration errors: no link → red status and an error on input', async () => {
    await helper.load([linkNode, sofarNode, catchNode], [{ id: 'sofar', type: 'sofar-inverter', link: '', wires: [[]] }, ...catcher()]);
    const sofar = helper.getNode('sofar');
    const caught = collect(helper.getNode('caught'));
    sofar.receive({ payload: { kind: 'battery-setpoint', power: 100 } });
    await waitFor(() => caught.length >= 1, 2000, 'error');
    assert.match(caught[0].error.message, /invalid configuration: config\.link/);
  });
});
