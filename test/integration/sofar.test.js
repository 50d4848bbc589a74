'use strict';
// Sofar ME3000SP end to end on real transports: the driver (SofarInverter over the shared Modbus link
// pool) against the simulator (lib/sim/sofar-sim.ts) on a socat serial pty and behind an
// RTU-over-TCP gateway on loopback. Covers reads, the passive-mode control round trip, heartbeat
// timing in virtual time and the fallback when heartbeats stop, queue isolation (a dead unit id on
// the same link does not stall the live one), CRC errors, exceptions, wrong unit ids, rejected
// commands, and recovery after a gateway restart without recreating anything.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const { SofarSim } = require(path.join(dist, 'lib/sim/sofar-sim'));
const { SofarInverter } = require(path.join(dist, 'lib/devices/sofar/inverter'));
const { acquireLink } = require(path.join(dist, 'lib/transport/modbus/pool'));
const { Household } = require(path.join(dist, 'lib/sim/household'));
const { VirtualHome } = require(path.join(dist, 'lib/sim/home'));
const { VirtualClock } = require(path.join(dist, 'lib/util/clock'));
const { validator } = require(path.join(dist, 'lib/api/validate'));
const { batteryReadingSchema } = require(path.join(dist, 'lib/api/schemas'));
const { skipWithoutSocat, waitFor } = require('../helpers');

const checkReading = validator(batteryReadingSchema, 'payload');

/** The simulator's plant power now (advanced to the simulator's clock). */
let currentSim;
const plantW = () => currentSim.plant.advance(currentSim.clock.now());

const gatewayEndpoint = (g) => ({ transport: 'rtu-over-tcp', host: '127.0.0.1', port: g.port });

describe('Sofar over RTU on a socat pty', { skip: skipWithoutSocat }, () => {
  let sim;
  let lease;
  let inv;
  before(async () => {
    sim = new SofarSim({ household: new Household({ load: 900, pv: 2500 }), plant: { rampWPerS: 20000 }, tickMs: 100 });
    currentSim = sim;
    const { path: p } = await sim.startPty();
    lease = acquireLink({ transport: 'rtu', path: p, baudRate: 9600 }, { timeoutMs: 500, interRequestDelayMs: 5 });
    inv = new SofarInverter({ link: lease.link, settings: { onClose: 'auto' } });
  });
  after(async () => {
    await inv.close();
    await lease.release();
    await sim.stop();
  });

  it('reads identity, settings and the real-time block', async () => {
    const r = await inv.poll();
    assert.equal(checkReading(r), null);
    assert.equal(r.serial, 'SA1ES130K12345');
    assert.equal(r.state, 'standby', 'the simulator starts in passive mode without a command: wait');
    assert.equal(r.stateText, 'wait');
    assert.equal(r.soc, 50);
    assert.equal(r.power, 0);
    assert.equal(r.pvPower, 2500);
    assert.equal(r.loadPower, 900);
    assert.equal(r.gridPower, -1600, 'load 900 − PV 2500 = export 1600 W');
    assert.equal(r.voltage, 50);
    assert.equal(r.capacityWh, 4800);
    assert.deepEqual(r.warnings, undefined);
  });

  it('control round trip: charge 1500 W → the plant charges → the reading shows it; close hands back to auto', async () => {
    const res = await inv.setpoint(-1500);
    assert.equal(res.text, 'charge 1500 W');
    assert.equal(res.status.accepted, true);
    assert.equal(res.status.chargeEnabled, true);
    const cmd = sim.log.filter((c) => c.fc === 0x42).at(-1);
    assert.deepEqual([cmd.register, cmd.value, cmd.result], [0x0102, 1500, 0]);
    await waitFor(() => plantW() <= -1499, 3000, 'plant charging');
    const r = await inv.poll();
    assert.equal(r.power, -1500);
    assert.equal(r.state, 'ready');
    assert.equal(r.stateText, 'charging');
    assert.equal(r.setpoint, -1500);
    assert.equal(r.gridPower, -100, 'export 1600 W − 1500 W charging');
    assert.ok(r.current < 0, 'current signed like power: charging is negative');
    assert.equal(r.passiveStatus.result, 0);
    await inv.close();
    assert.equal(sim.mode, 'auto');
    const last = sim.log.at(-1);
    assert.deepEqual([last.fc, last.register, last.value], [0x42, 0x0103, 0]);
  });
});

describe('Sofar behind an RTU-over-TCP gateway', () => {
  let sim;
  let gw;
  before(async () => {
    sim = new SofarSim({ household: new Household({ load: 1200, pv: 0 }), plant: { rampWPerS: 20000 }, tickMs: 100 });
    gw = await sim.startGateway();
    currentSim = sim;
  });
  after(async () => {
    await sim.stop();
  });

  it('control round trip: discharge 1000 W, standby, auto; the reply status word is checked', async () => {
    const lease = acquireLink(gatewayEndpoint(gw), { timeoutMs: 400 });
    const inv = new SofarInverter({ link: lease.link, settings: { onClose: 'none' } });
    try {
      await inv.setpoint(1000);
      await waitFor(() => plantW() >= 999, 3000, 'plant discharging');
      let r = await inv.poll();
      assert.equal(r.power, 1000);
      assert.equal(r.stateText, 'discharging');
      assert.equal(r.gridPower, 200);
      await inv.setMode('standby');
      await waitFor(() => Math.abs(plantW()) < 1, 3000, 'plant idle');
      r = await inv.poll();
      assert.deepEqual([r.power, r.state, r.setpoint], [0, 'ready', 0]);
      await inv.setMode('auto');
      await waitFor(() => plantW() >= 1199, 3000, 'auto covers the load');
      r = await inv.poll();
      assert.equal(r.gridPower, 0, 'auto mode: zero grid');
      assert.equal(r.setpoint, null);
      // Rejections: busy, then not in passive mode.
      sim.setFaults({ busy: true });
      await assert.rejects(inv.setpoint(-500), /inverter rejected charge 500 W: busy/);
      sim.setFaults({});
      sim.workMode = 0;
      await assert.rejects(inv.setpoint(-500), /invalid mode \(the inverter is not in passive mode/);
      r = await inv.poll();
      assert.equal(r.state, 'override');
      sim.workMode = 3;
      const ok = await inv.setpoint(-5000);
      assert.deepEqual([ok.text, ok.clamped], ['charge 3000 W', true]);
    } finally {
      await inv.close();
      await lease.release();
      sim.setFaults({});
    }
  });

  it('queue isolation: a dead unit id on the same link does not stall the live one', async () => {
    const leaseLive = acquireLink(gatewayEndpoint(gw), { timeoutMs: 100 });
    const leaseDead = acquireLink(gatewayEndpoint(gw), { timeoutMs: 100 });
    assert.equal(leaseLive.link, leaseDead.link, 'one queue per physical link');
    const live = new SofarInverter({ link: leaseLive.link, unit: 1 });
    const dead = new SofarInverter({ link: leaseDead.link, unit: 7 });
    const served = [];
    const onReq = (r) => served.push(r.unit);
    sim.server.on('request', onReq);
    const unansweredBefore = sim.server.counters.unanswered;
    const logBefore = sim.log.length;
    let deadErrors = 0;
    let stop = false;
    const deadLoop = (async () => {
      while (!stop) {
        await dead.poll().catch(() => deadErrors++);
        await dead.setpoint(500).catch(() => deadErrors++);
      }
    })();
    try {
      const readings = [];
      for (let i = 0; i < 5; i++) readings.push(await live.poll());
      assert.equal(readings.length, 5);
      for (const r of readings) assert.equal(r.serial, 'SA1ES130K12345');
      assert.ok(deadErrors >= 2, `dead unit requests fail (${deadErrors})`);
    } finally {
      stop = true;
      await deadLoop;
      sim.server.off('request', onReq);
      await live.close();
      await dead.close();
      await leaseLive.release();
      await leaseDead.release();
    }
    assert.ok(served.includes(1) && !served.includes(7), 'the live unit was served; the absent one never reached the device');
    assert.ok(sim.server.counters.unanswered > unansweredBefore, 'the absent unit never answered');
    assert.equal(sim.log.slice(logBefore).length, 0, 'the dead unit commanded nothing');
    assert.match((await dead.poll().catch((e) => e)).message, /closed|no reply|timeout/i);
  });

  it('CRC errors, exceptions and wrong unit ids give clear errors; the next request works', async () => {
    const lease = acquireLink(gatewayEndpoint(gw), { timeoutMs: 200 });
    const inv = new SofarInverter({ link: lease.link });
    try {
      await inv.poll();
      sim.setFaults({ crcError: true });
      await assert.rejects(inv.poll(), /read failed: .*CRC error/);
      sim.setFaults({ exception: 4 });
      await assert.rejects(inv.poll(), /read failed: .*exception 4 \(server device failure\)/);
      await assert.rejects(inv.setpoint(100), /discharge 100 W failed: .*exception 4/);
      sim.setFaults({ wrongUnit: 9 });
      await assert.rejects(inv.poll(), /read failed: .*(no reply|timeout|timed out)/i);
      sim.setFaults({ timeout: true });
      await assert.rejects(inv.heartbeat(), /heartbeat failed/);
      sim.setFaults({});
      const r = await inv.poll();
      assert.equal(r.serial, 'SA1ES130K12345');
      assert.ok(inv.counters.pollErrors >= 3);
    } finally {
      sim.setFaults({});
      await inv.close();
      await lease.release();
    }
  });

  it('recovery after a gateway restart and a dropped connection, without recreating the driver', async () => {
    const lease = acquireLink(gatewayEndpoint(gw), { timeoutMs: 200, backoffMinMs: 50, backoffMaxMs: 200 });
    const inv = new SofarInverter({ link: lease.link, settings: { onClose: 'none', resendMs: 0 } });
    try {
      await inv.setpoint(-700);
      await inv.poll();
      const port = gw.port;
      await sim.stopGateway();
      await assert.rejects(inv.poll(), /read failed/);
      await sim.startGateway({ port });
      const before = sim.log.filter((c) => c.fc === 0x42 && c.value === 700).length;
      await waitFor(() => inv.poll().then(() => true, () => false), 5000, 'a reading after the restart');
      const reading = await inv.poll();
      assert.equal(reading.serial, 'SA1ES130K12345');
      // The reconnect re-sent the active command.
      await waitFor(() => sim.log.filter((c) => c.fc === 0x42 && c.value === 700).length > before, 3000, 'command re-sent after reconnect');
      sim.setFaults({ dropConnection: true });
      await assert.rejects(inv.poll(), /read failed/);
      await waitFor(() => inv.poll().then(() => true, () => false), 5000, 'a reading after the drop');
    } finally {
      sim.setFaults({});
      await inv.close();
      await lease.release();
    }
  });
});

describe('Sofar heartbeat timing (virtual time) and the fallback when it stops', () => {
  it('the simulator sees 0x49 every 10 s of virtual time; without heartbeats it falls back to auto after 60 s', async () => {
    const clock = new VirtualClock(Date.UTC(2024, 5, 1, 12));
    const sim = new SofarSim({ clock, household: new Household({ clock, load: 800, pv: 0 }) });
    const gw = await sim.startGateway();
    const lease = acquireLink(gatewayEndpoint(gw), { timeoutMs: 500 });
    const inv = new SofarInverter({ link: lease.link, clock, settings: { heartbeatMs: 10000, resendMs: 0, onClose: 'none' } });
    const fallbacks = [];
    sim.on('fallback', (f) => fallbacks.push(f));
    try {
      inv.start();
      await inv.setpoint(-1500);
      const t0 = clock.now();
      assert.equal(sim.mode, 'charge');
      for (let i = 1; i <= 6; i++) {
        clock.advance(10000);
        await waitFor(() => sim.heartbeats.length === i, 3000, `heartbeat ${i}`);
      }
      assert.deepEqual(
        sim.heartbeats.map((t) => t - t0),
        [10000, 20000, 30000, 40000, 50000, 60000],
      );
      assert.equal(inv.counters.heartbeatErrors, 0);
      assert.equal(sim.mode, 'charge', 'kept in passive charge while heartbeats arrive');
      // Stop the driver's heartbeat (close with "leave as it is"): the simulator falls back after 60 s.
      await inv.close();
      const lastSign = sim.lastLifeSign;
      clock.advance(59000);
      assert.equal(fallbacks.length, 0);
      assert.equal(sim.mode, 'charge');
      clock.advance(2000);
      assert.equal(fallbacks.length, 1);
      assert.equal(fallbacks[0].from, 'charge');
      assert.equal(fallbacks[0].to, 'auto');
      assert.ok(fallbacks[0].t - lastSign >= 60000 && fallbacks[0].t - lastSign <= 61000);
      assert.equal(sim.mode, 'auto');
      assert.equal(sim.plant.activeSetpointW, 800, 'auto covers the 800 W load');
    } finally {
      await inv.close();
      await lease.release();
      await sim.stop();
    }
  });
});

describe('Sofar in the virtual home', () => {
  it('the inverter is a household source: charging shows on the grid the meters see', async () => {
    const home = new VirtualHome();
    const ep = await home.start({ loadFile: 600, pvFile: null, sofar: { gatewayPort: 0 } });
    const lease = acquireLink(gatewayEndpoint(ep.sofar.gateway), { timeoutMs: 400 });
    const inv = new SofarInverter({ link: lease.link, settings: { onClose: 'none' } });
    try {
      assert.equal(ep.sofar.unit, 1);
      assert.equal(Math.round(home.household.gridW()), 600);
      await inv.setpoint(-1000);
      await waitFor(() => Math.round(home.household.gridW()) === 1600, 3000, 'grid import 600 + 1000 W');
      const r = await inv.poll();
      assert.equal(r.gridPower, 1600);
      assert.equal(r.loadPower, 600);
    } finally {
      await inv.close();
      await lease.release();
      await home.stop();
    }
    assert.equal(home.sofar, undefined);
  });
});
