'use strict';
// ENECTOR wallbox end to end on real transports: the driver over the shared Modbus link pool
// against the simulator on a socat serial pty (57600 8N2) and behind an RTU-over-TCP gateway.
// Byte-exact frames on the wire (a recording TCP proxy in front of the gateway), the car's load on
// the household meter, injected faults with a clear error and recovery without recreating anything.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const { EnectorSim } = require(path.join(dist, 'lib/sim/enector-sim'));
const { EnectorCharger } = require(path.join(dist, 'lib/devices/enector/driver'));
const { acquireLink } = require(path.join(dist, 'lib/transport/modbus/pool'));
const { Household } = require(path.join(dist, 'lib/sim/household'));
const { crc16modbus } = require(path.join(dist, 'lib/transport/modbus/data-types'));
const { skipWithoutSocat, waitFor } = require('../helpers');

/** An RTU frame with its CRC (low byte first). */
function rtu(bytes) {
  const b = Buffer.from(bytes);
  const crc = crc16modbus(b);
  return Buffer.concat([b, Buffer.from([crc & 0xff, crc >> 8])]).toString('hex');
}

/** A TCP proxy that records what the client sends, split into RTU frames by the known request sizes. */
async function recordingProxy(target) {
  const sent = [];
  const server = net.createServer((c) => {
    const up = net.connect(target.port, target.host);
    c.on('data', (d) => {
      sent.push(Buffer.from(d));
      up.write(d);
    });
    up.on('data', (d) => c.write(d));
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
    c.on('error', () => undefined);
    up.on('error', () => undefined);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, frames: () => splitFrames(Buffer.concat(sent)), close: () => new Promise((r) => server.close(r)) };
}

function splitFrames(buf) {
  const out = [];
  let i = 0;
  while (i + 4 <= buf.length) {
    const fc = buf[i + 1];
    const len = fc === 0x03 || fc === 0x04 || fc === 0x06 ? 8 : fc === 0x10 ? 9 + buf[i + 6] : buf.length - i;
    out.push(buf.subarray(i, i + len).toString('hex'));
    i += len;
  }
  return out;
}

describe('ENECTOR over an RTU-over-TCP gateway: frames byte-exact', () => {
  let sim;
  let proxy;
  let lease;
  let drv;
  let household;
  before(async () => {
    household = new Household({ load: 500, pv: 0 });
    sim = new EnectorSim({ household, car: { phases: 3, rampAps: 100 }, tickMs: 100 });
    sim.car.plugIn();
    const g = await sim.startGateway();
    proxy = await recordingProxy(g);
    lease = acquireLink({ transport: 'rtu-over-tcp', host: '127.0.0.1', port: proxy.port }, { timeoutMs: 500 });
    drv = new EnectorCharger({ link: lease.link, pollMs: 0, heartbeatMs: 2000 });
  });
  after(async () => {
    await drv.close();
    await lease.release();
    await proxy.close();
    await sim.stop();
  });

  it('heartbeat, start, current change, stop: exactly these frames', async () => {
    drv.start();
    await waitFor(() => sim.heartbeats.length >= 1);
    await drv.read();
    const before = proxy.frames().length;
    await drv.apply({ enabled: true, currentA: 10 });
    await waitFor(() => sim.state.release === 1);
    const frames = proxy.frames().slice(before).filter((f) => f !== rtu([0x32, 0x06, 0x0d, 0x00, 0x55, 0xaa]));
    // FC 16 to 0x0302, 2 registers, 4 bytes: 10.0 f32 = 0x41200000, high word first; then FC 6 0x0D05 = 1.
    assert.deepEqual(frames, [rtu([0x32, 0x10, 0x03, 0x02, 0x00, 0x02, 0x04, 0x41, 0x20, 0x00, 0x00]), rtu([0x32, 0x06, 0x0d, 0x05, 0x00, 0x01])]);
    assert.ok(proxy.frames().includes(rtu([0x32, 0x06, 0x0d, 0x00, 0x55, 0xaa])), 'heartbeat frame: unit 50, FC 6, 0x0D00 = 0x55AA');
    await waitFor(() => sim.car.currentA >= 10);
    const grid = household.gridW();
    assert.ok(Math.abs(grid - (500 + 10 * 230 * 3)) < 5, `the car's 6.9 kW appear on the meter: grid ${grid} W`);
    const r = await drv.read();
    assert.equal(r.state, 'charging');
    assert.deepEqual(r.phases.map((p) => p.current), [10, 10, 10]);
    const n = proxy.frames().length;
    await drv.apply({ enabled: false, currentA: 10 });
    await waitFor(() => sim.state.release === 0);
    assert.deepEqual(proxy.frames().slice(n).filter((f) => !f.startsWith('3206' + '0d00')), [rtu([0x32, 0x06, 0x0d, 0x05, 0x00, 0x00])]);
  });

  it('a timeout fault gives a clear error; the next read works again without a redeploy', async () => {
    sim.server.setFaults({ timeout: true }, 50);
    await assert.rejects(drv.read(), (e) => e.code === 'timeout' && /^read/.test(e.short));
    sim.server.setFaults({}, 50);
    assert.equal((await drv.read()).kind, 'charger');
  });

  it('the gateway drops its clients: the link reconnects by itself', async () => {
    sim.dropClients();
    await waitFor(async () => {
      try {
        return (await drv.read()).kind === 'charger';
      } catch {
        return false;
      }
    }, 10_000);
  });
});

describe('ENECTOR over RTU on a socat pty (57600 8N2)', { skip: skipWithoutSocat }, () => {
  let sim;
  let lease;
  let drv;
  before(async () => {
    sim = new EnectorSim({ wordOrder: 'le', tickMs: 100 });
    sim.car.plugIn();
    const { path: p } = await sim.startPty();
    lease = acquireLink({ transport: 'rtu', path: p, baudRate: 57600, stopBits: 2 }, { timeoutMs: 500 });
    drv = new EnectorCharger({ link: lease.link, pollMs: 0, wordOrder: 'auto' });
  });
  after(async () => {
    await drv.close();
    await lease.release();
    await sim.stop();
  });

  it('reads identity and detects the low-word-first float order once', async () => {
    const r = await drv.read();
    assert.equal(r.serial, '1234567890ABCDEF');
    assert.equal(r.layout, '1.0.2');
    assert.equal(drv.wordOrder, 'le');
    assert.deepEqual(r.phases.map((p) => p.voltage), [230, 230, 230]);
    assert.deepEqual(r.limits, { minCurrentA: 6, maxCurrentA: 16, phaseOptions: [1, 3] });
  });

  it('charges at the commanded current in the detected word order', async () => {
    drv.start();
    await drv.apply({ enabled: true, currentA: 7.5 });
    await waitFor(() => sim.state.currentLimit === 7.5 && sim.state.release === 1);
  });
});
