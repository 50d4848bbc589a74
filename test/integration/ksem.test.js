'use strict';
// KSEM driver over real sockets: the KSEM simulator behind Modbus TCP and TLS, the poller on a real
// ModbusClientLink, the push receiver fed by the simulated KSEM master. Faults end in clear errors
// and the next poll recovers without a new poller or link.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { KsemSimMeter, KsemSimServer, KsemPushClient } = require('../../dist/lib/sim/ksem-sim');
const { KsemPoller } = require('../../dist/lib/devices/ksem/poller');
const { KsemPushReceiver } = require('../../dist/lib/devices/ksem/push-receiver');
const { ModbusClientLink } = require('../../dist/lib/transport/modbus/link');
const { Household } = require('../../dist/lib/sim/household');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { validator } = require('../../dist/lib/api/validate');
const { meterReadingSchema } = require('../../dist/lib/api/schemas');

const check = validator(meterReadingSchema, 'payload');
const T0 = Date.UTC(2024, 5, 3, 12, 0, 0);
const FAST = { timeoutMs: 300, backoffMinMs: 50, backoffMaxMs: 200, connectTimeoutMs: 1000 };

/** A meter on a frozen virtual clock: every read returns the same values. */
function frozenMeter(layout, opts = {}) {
  const clock = new VirtualClock(T0);
  const household = new Household({ clock, load: 2345.6, pv: 4000 });
  return new KsemSimMeter({ household, clock, layout, ...opts });
}

async function startSim(layout, opts = {}) {
  const server = new KsemSimServer({ meter: opts.meter ?? frozenMeter(layout), port: opts.port ?? 0, tlsPort: opts.tls ? 0 : undefined });
  const ep = await server.start();
  return { server, ep };
}

const without = (r, ...keys) => {
  const o = { ...r };
  for (const k of keys) delete o[k];
  return o;
};

describe('KSEM poller over Modbus TCP', () => {
  let sim;
  let link;
  before(async () => {
    sim = await startSim('fw2.6');
    link = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port: sim.ep.port }, FAST);
  });
  after(async () => {
    await link.close();
    await sim.server.stop();
  });

  it('reads native values, identity from SunSpec model 1, in 3 requests per poll after a 4-request detection', async () => {
    const poller = new KsemPoller(link, { unit: 1, phaseEnergyEveryMs: -1 });
    const srv = sim.server.modbusServers[0];
    const before = srv.counters.requests;
    const ev = await poller.poll();
    const detectRequests = srv.counters.requests - before;
    // detection: SunSpec walk (2; model 1 comes with the first read) + device info (2); then the poll (3)
    assert.equal(detectRequests, 7);
    const r = ev.reading;
    assert.equal(check(r), null);
    assert.equal(r.power, -1654.4); // 2345.6 W load − 4000 W PV, at 0.1 W resolution
    assert.equal(r.importPower, 0);
    assert.equal(r.exportPower, 1654.4);
    assert.equal(r.serial, '74012345');
    assert.equal(r.model, 'KOSTAL Smart Energy Meter');
    assert.equal(r.protocol, 'KSEM Modbus, firmware 2.6.2');
    assert.equal(r.phases.length, 3);
    assert.ok(Math.abs(r.phases.reduce((s, p) => s + p.power, 0) - r.power) <= 0.2);
    assert.ok(r.phases.every((p) => p.voltage > 220 && p.voltage < 240 && p.current > 0 && p.powerFactor === -0.95));
    assert.equal(r.frequency, 50);
    assert.deepEqual(r.energy, { importWh: 4321000, exportWh: 1234000 });
    assert.equal(r.timestamp <= Date.now() && r.timestamp > Date.now() - 5000, true);
    assert.equal(ev.raw.layout, 'native');
    assert.equal(ev.raw.sunspec.models[1].address, 40070);
    const again = srv.counters.requests;
    await poller.poll();
    assert.equal(srv.counters.requests - again, 3, 'a poll without phase energies is 3 reads');
  });

  it('reads the per-phase energies every phaseEnergyEveryMs (2 more reads)', async () => {
    const poller = new KsemPoller(link, { phaseEnergyEveryMs: 60_000 });
    const srv = sim.server.modbusServers[0];
    const ev = await poller.poll();
    assert.equal(ev.reading.energy.phases.length, 3);
    assert.deepEqual(ev.reading.energy.phases[0], { importWh: 1440333, exportWh: 411333 });
    const n = srv.counters.requests;
    const ev2 = await poller.poll();
    assert.equal(srv.counters.requests - n, 3);
    assert.deepEqual(ev2.reading.energy.phases, ev.reading.energy.phases, 'kept between phase-energy reads');
  });

  it('start() polls every pollMs and stop() ends it', async () => {
    const poller = new KsemPoller(link, { pollMs: 150 });
    const readings = [];
    poller.on('reading', (reading) => readings.push(reading));
    poller.start();
    await new Promise((r) => setTimeout(r, 700));
    await poller.stop();
    const n = readings.length;
    assert.ok(n >= 3 && n <= 6, `${n} readings in 700 ms at 150 ms`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(readings.length, n);
  });
});

describe('KSEM firmware layouts', () => {
  it('fw2.5 and fw2.6 give identical readings, natively and through SunSpec', async () => {
    const a = await startSim('fw2.5');
    const b = await startSim('fw2.6');
    const la = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port: a.ep.port }, FAST);
    const lb = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port: b.ep.port }, FAST);
    try {
      for (const layout of ['native', 'sunspec']) {
        const ea = await new KsemPoller(la, { layout }).poll();
        const eb = await new KsemPoller(lb, { layout }).poll();
        assert.equal(ea.raw.layout, layout);
        assert.deepEqual(without(ea.reading, 'timestamp', 'protocol'), without(eb.reading, 'timestamp', 'protocol'));
        assert.match(ea.reading.protocol, /firmware 2\.5\.1$/);
        assert.match(eb.reading.protocol, /firmware 2\.6\.2$/);
        assert.deepEqual(
          [ea.raw.sunspec.models[1].address, eb.raw.sunspec.models[1].address],
          [40069, 40070],
        );
        if (layout === 'sunspec') {
          assert.equal(ea.reading.power, -1650, 'SunSpec W has 10 W resolution');
          assert.equal(check(ea.reading), null);
        }
      }
    } finally {
      await la.close();
      await lb.close();
      await a.server.stop();
      await b.server.stop();
    }
  });

  it('a firmware update that moves model 203 (40069 → 40070) is detected by the running poller', async () => {
    const a = await startSim('fw2.5');
    const port = a.ep.port;
    const link = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port }, FAST);
    const poller = new KsemPoller(link, { layout: 'sunspec' });
    try {
      assert.equal((await poller.poll()).raw.sunspec.models[1].address, 40069);
      // "Update": the same port now serves the 2.6 layout; the old connection stays up.
      const b = new KsemSimServer({ meter: frozenMeter('fw2.6'), port: 0 });
      // Swap the meter behind the running server instead of restarting it.
      a.server.meter.read = b.meter.read.bind(b.meter);
      await assert.rejects(poller.poll(), /model 203 is no longer at 40069/);
      const ev = await poller.poll();
      assert.equal(ev.raw.sunspec.models[1].address, 40070);
      assert.equal(ev.reading.power, -1650);
    } finally {
      await link.close();
      await a.server.stop();
    }
  });

  it('layout auto falls back to SunSpec when the native registers answer exception 2', async () => {
    const meter = frozenMeter('fw2.6');
    const read = meter.read.bind(meter);
    meter.read = (addr, n) => (addr < 8192 ? { exception: 2 } : read(addr, n));
    const s = await startSim('fw2.6', { meter });
    const link = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port: s.ep.port }, FAST);
    try {
      const ev = await new KsemPoller(link, { layout: 'auto' }).poll();
      assert.equal(ev.raw.layout, 'sunspec');
      assert.equal(ev.reading.power, -1650);
      await assert.rejects(new KsemPoller(link, { layout: 'native' }).poll(), (e) => e.code === 'exception' && /KSEM registers 0–65/.test(e.message));
    } finally {
      await link.close();
      await s.server.stop();
    }
  });
});

describe('KSEM over TLS (port 802 on the meter)', () => {
  let sim;
  before(async () => {
    sim = await startSim('fw2.6', { tls: true });
  });
  after(() => sim.server.stop());

  const tlsPoll = async (tls) => {
    const link = new ModbusClientLink({ transport: 'tls', host: '127.0.0.1', port: sim.ep.tlsPort, tls }, FAST);
    try {
      return await new KsemPoller(link).poll();
    } finally {
      await link.close();
    }
  };

  it('pinned fingerprint', async () => {
    const ev = await tlsPoll({ fingerprint256: sim.ep.fingerprint256 });
    assert.equal(ev.reading.power, -1654.4);
    assert.equal(ev.reading.serial, '74012345');
  });

  it('pinned certificate (CA = the self-signed certificate)', async () => {
    const { simCertificate } = require('../../dist/lib/sim/certs');
    const ev = await tlsPoll({ ca: simCertificate().cert });
    assert.equal(ev.reading.power, -1654.4);
  });

  it('insecure (any certificate)', async () => {
    const ev = await tlsPoll({ insecure: true });
    assert.equal(ev.reading.power, -1654.4);
  });

  it('an unpinned self-signed certificate and a wrong fingerprint are refused with a clear error', async () => {
    await assert.rejects(tlsPoll({}), (e) => e.code === 'tls-untrusted' && e.short === 'TLS certificate not trusted' && /certificate/i.test(e.message) && /^[0-9A-F:]{95}$/.test(e.fingerprint256));
    await assert.rejects(tlsPoll({ fingerprint256: '00'.repeat(32) }), (e) => e.code === 'tls-fingerprint' && /fingerprint/i.test(e.message));
  });

  it('plain Modbus TCP to the TLS port fails with a clear error', async () => {
    const link = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port: sim.ep.tlsPort }, FAST);
    try {
      await assert.rejects(new KsemPoller(link).poll(), (e) => ['timeout', 'disconnected', 'not-modbus'].includes(e.code) && /KSEM registers/.test(e.message));
    } finally {
      await link.close();
    }
  });
});

describe('KSEM faults and recovery without a new poller', () => {
  let sim;
  let link;
  let poller;
  before(async () => {
    sim = await startSim('fw2.6');
    link = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port: sim.ep.port }, FAST);
    poller = new KsemPoller(link, { phaseEnergyEveryMs: -1 });
    await poller.poll();
  });
  after(async () => {
    await link.close();
    await sim.server.stop();
  });

  const recover = async () => {
    sim.server.fault('none');
    // The link may be in its reconnect backoff (≤ 200 ms here).
    for (let i = 0; i < 20; i++) {
      try {
        return await poller.poll();
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('no recovery');
  };

  for (const [fault, code, re] of [
    ['timeout', 'timeout', /KSEM registers 0–65: .*timeout/i],
    ['exception', 'exception', /KSEM registers .*(server device failure|exception 4)/i],
    ['disconnect', 'disconnected', /KSEM registers .*(connection|closed)/i],
    ['wrong-unit', 'timeout', /KSEM registers .*timeout/i],
    ['garble', 'malformed', /KSEM registers 0–65: .*malformed reply to FC 0x03: read reply with 65 data bytes \(byte count 132\), expected 132/],
  ]) {
    it(`${fault}: a named error, then readings again once the fault clears`, async () => {
      const problems = [];
      const onProblem = (e) => problems.push(e);
      poller.on('poll-error', onProblem);
      try {
        sim.server.fault(fault);
        await assert.rejects(poller.poll(), (e) => e.code === code && re.test(e.message));
        assert.equal(problems.length, 1);
        assert.equal(poller.identity, undefined, 'detection is redone after an error');
        const ev = await recover();
        assert.equal(ev.reading.power, -1654.4);
        assert.equal(ev.reading.serial, '74012345');
      } finally {
        poller.off('poll-error', onProblem);
      }
    });
  }
});

describe('KSEM push mode (the meter as Modbus master)', () => {
  it('a KsemPushClient → receiver gives the same reading as polling the same meter; cycle rule in virtual time', async () => {
    const meter = frozenMeter('fw2.6');
    const clock = new VirtualClock(T0);
    const receiver = new KsemPushReceiver({ host: '127.0.0.1', port: 0, settleMs: 250, clock });
    const port = await receiver.start();
    const client = new KsemPushClient({ meter, host: '127.0.0.1', port });
    const sim = new KsemSimServer({ meter, port: 0 });
    const ep = await sim.start();
    const link = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port: ep.port }, FAST);
    try {
      const got = [];
      receiver.on('reading', (reading, raw) => got.push({ reading, raw }));
      await client.pushOnce();
      assert.equal(client.counters.writes, 5, '0–27, 40–145, 512–551, 592–691, 692–791');
      // Rule 3: the first cycle is emitted settleMs after its last write (virtual time).
      clock.advance(249);
      assert.equal(got.length, 0);
      clock.advance(1);
      assert.equal(got.length, 1);
      assert.equal(got[0].reading.timestamp, T0, 'time of the cycle\'s first write');
      // Rule 2: from then on a cycle is emitted on the write that completes it, no waiting.
      clock.advance(750);
      await client.pushOnce();
      assert.equal(got.length, 2);
      assert.equal(got[1].reading.timestamp, T0 + 1000);
      const pushed = got[1].reading;
      assert.equal(check(pushed), null);
      assert.equal(pushed.protocol, 'KSEM Modbus master (push)');
      assert.equal(pushed.serial, null);
      const polled = (await new KsemPoller(link, { phaseEnergyEveryMs: 0 }).poll()).reading;
      assert.deepEqual(without(pushed, 'timestamp', 'protocol', 'serial', 'model'), without(polled, 'timestamp', 'protocol', 'serial', 'model'));
      // Rule 1: a rewrite of a register already written in this cycle closes the cycle before it.
      const raw = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port }, FAST);
      try {
        await raw.writeMultipleRegisters(1, 0, meter.block(0, 28));
        assert.equal(got.length, 2);
        await raw.writeMultipleRegisters(1, 0, meter.block(0, 28));
        // The repeated block 0–27 closed the previous (partial) cycle, and, being everything that
        // cycle had, completes its own at once.
        assert.equal(got.length, 4);
        assert.equal(got[2].reading.power, pushed.power);
        assert.equal(got[3].reading.power, pushed.power);
        assert.equal(got[3].reading.energy.importWh, pushed.energy.importWh, 'groups written within staleGroupMs still count');
      } finally {
        await raw.close();
      }
    } finally {
      await client.stop();
      await link.close();
      await sim.stop();
      await receiver.stop();
    }
  });

  it('rejects writes outside the four groups with exception 2; unit filter; a cycle without 0–27 is a named problem', async () => {
    const receiver = new KsemPushReceiver({ host: '127.0.0.1', port: 0, unitId: 5, settleMs: 50 });
    const port = await receiver.start();
    const link = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port }, FAST);
    const problems = [];
    receiver.on('poll-error', (e) => problems.push(e.message));
    try {
      await assert.rejects(link.writeMultipleRegisters(5, 28, [1, 2]), (e) => e.code === 'exception' && e.exceptionCode === 2);
      await assert.rejects(link.writeMultipleRegisters(5, 140, new Array(10).fill(0)), (e) => e.exceptionCode === 2, '140–149 crosses the end of 40–145');
      await assert.rejects(link.writeMultipleRegisters(1, 0, [0, 0]), (e) => e.code === 'timeout', 'other unit ids get no reply');
      await link.writeMultipleRegisters(5, 512, new Array(40).fill(0));
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(receiver.counters.rejected, 2);
      assert.ok(problems.some((m) => /no reading from this cycle: activePowerPlus \(register 0\).*current values total/.test(m)), problems.join('\n'));
      // FC 3 reads of the image work inside the groups.
      assert.deepEqual(await link.readHoldingRegisters(5, 512, 2), [0, 0]);
    } finally {
      await link.close();
      await receiver.stop();
    }
  });

  it('a running client pushes every period and the receiver survives the client reconnecting', async () => {
    const clock = new VirtualClock(T0);
    const meter = new KsemSimMeter({ household: new Household({ clock, load: 1000, pv: 0 }), clock });
    const receiver = new KsemPushReceiver({ host: '127.0.0.1', port: 0 });
    const port = await receiver.start();
    const client = new KsemPushClient({ meter, host: '127.0.0.1', port, periodMs: 100 });
    const readings = [];
    receiver.on('reading', (reading) => readings.push(reading));
    try {
      client.start();
      await new Promise((r) => setTimeout(r, 650));
      assert.ok(readings.length >= 3, `${readings.length} readings`);
      assert.ok(readings.every((r) => r.power === 1000));
      await client.stop();
      const client2 = new KsemPushClient({ meter, host: '127.0.0.1', port, periodMs: 100 });
      const n = readings.length;
      client2.start();
      await new Promise((r) => setTimeout(r, 400));
      await client2.stop();
      assert.ok(readings.length > n);
    } finally {
      await client.stop();
      await receiver.stop();
    }
  });

  it('a port in use is a clear error', async () => {
    const a = new KsemPushReceiver({ host: '127.0.0.1', port: 0 });
    const port = await a.start();
    const b = new KsemPushReceiver({ host: '127.0.0.1', port });
    await assert.rejects(b.start(), /cannot listen on 127\.0\.0\.1:\d+: .*port in use/);
    await a.stop();
  });
});

describe('KSEM in the virtual home', () => {
  it('the home serves a KSEM (TCP + TLS) measuring its household and pushes to a receiver', async () => {
    const { VirtualHome } = require('../../dist/lib/sim/home');
    const receiver = new KsemPushReceiver({ host: '127.0.0.1', port: 0 });
    const pushPort = await receiver.start();
    const home = new VirtualHome();
    const ep = await home.start({ tcpPort: 0, ksem: { port: 0, tlsPort: 0, layout: 'fw2.5', push: { host: '127.0.0.1', port: pushPort } } });
    const link = new ModbusClientLink({ transport: 'tls', host: '127.0.0.1', port: ep.ksem.tlsPort, tls: { fingerprint256: ep.ksem.fingerprint256 } }, FAST);
    try {
      assert.equal(ep.ksem.layout, 'fw2.5');
      const ev = await new KsemPoller(link).poll();
      // The meter shows the household's grid power of a moment within a second of the reading's
      // timestamp (0.1 W resolution); the household moves between whole seconds, so look at every 10 ms.
      const near = (ts) => {
        const ws = [];
        for (let t = ts - 1500; t <= ts + 1500; t += 10) ws.push(Math.round(home.household.state(t).gridW * 10) / 10);
        return ws;
      };
      // Between two 10 ms samples the household's power is a straight line (interpolated load and PV), so a value
      // counts when it lies between two neighbouring samples (± the 0.1 W resolution): on a ramp of 26 W/s the samples
      // are 0.26 W apart and a reading between them matched none of them (3329.7 W, a CI run at 00:50 UTC).
      const seen = (w, ws) => ws.some((x, i) => i > 0 && w >= Math.min(x, ws[i - 1]) - 0.1 && w <= Math.max(x, ws[i - 1]) + 0.1);
      const candidates = near(ev.reading.timestamp);
      assert.ok(seen(ev.reading.power, candidates), `${ev.reading.power} not in ${Math.min(...candidates)} … ${Math.max(...candidates)}`);
      assert.equal(ev.raw.sunspec.models[1].address, 40069);
      const pushed = await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no push within 5 s')), 5000);
        receiver.once('reading', (e) => {
          clearTimeout(t);
          resolve(e);
        });
      });
      assert.equal(check(pushed), null);
      const pc = near(pushed.timestamp);
      assert.ok(seen(pushed.power, pc), `pushed ${pushed.power} not in ${Math.min(...pc)} … ${Math.max(...pc)}`);
    } finally {
      await link.close();
      await home.stop();
      await receiver.stop();
    }
  });
});
