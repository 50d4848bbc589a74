'use strict';
// The ENECTOR wallbox driver against its simulator in virtual time (in-memory link): descriptor
// round trip in both word orders, word-order auto-detect, heartbeat cadence, the start / stop /
// current / phase-switch sequences of enector.md §2.7, clamping, the 6.01 A rule, the write pacing,
// recovery from error state 6 and from a reboot, the master-lost fallback, and layout gating.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const dist = path.join(__dirname, '../../dist');
const { VirtualClock } = require(path.join(dist, 'lib/util/clock'));
const { HandlerLink } = require(path.join(dist, 'lib/sim/handler-link'));
const { EnectorSim } = require(path.join(dist, 'lib/sim/enector-sim'));
const { Car } = require(path.join(dist, 'lib/sim/car'));
const { EnectorCharger, detectWordOrder } = require(path.join(dist, 'lib/devices/enector/driver'));
const desc = require(path.join(dist, 'lib/devices/enector/descriptor'));
const dm = require(path.join(dist, 'lib/api/device'));
const { findDevice } = require(path.join(dist, 'lib/registry'));

const flush = async (n = 4) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

function setup(o = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 5, 1, 12));
  const sim = new EnectorSim({ clock, car: o.car ?? { phases: 3, socAtPlugIn: 40 }, ...o.sim });
  if (o.plugged !== false) sim.car.plugIn();
  const link = new HandlerLink(sim.modbus);
  const drv = new EnectorCharger({ link, clock, pollMs: 0, ...o.drv });
  const writes = () => link.calls.filter((c) => c.fc === 6 || c.fc === 16).filter((c) => c.address !== desc.REG.heartbeat);
  const step = async (ms, every = 1000) => {
    for (let t = 0; t < ms; t += every) {
      clock.advance(every);
      await flush();
    }
  };
  return { clock, sim, link, drv, writes, step };
}

const f32 = (words, order = 'be') => dm.decodeRegisterWords(dm.findPoint(desc.ENECTOR_POINTS, 'currentLimit'), words, { wordOrder: order });

test('descriptor: sound, registered, every charger reading field listed in outputs', async () => {
  assert.deepEqual(dm.checkDescriptor(desc.ENECTOR_DESCRIPTOR), []);
  assert.equal(findDevice('enector').descriptor, desc.ENECTOR_DESCRIPTOR);
  const { drv } = setup();
  const r = await drv.read();
  const fields = new Set(desc.ENECTOR_OUTPUTS.map((o) => o.field.split('[')[0].split('.')[0]));
  for (const k of Object.keys(r)) assert.ok(fields.has(k), `reading field ${k} is listed in outputs`);
  for (const o of desc.ENECTOR_OUTPUTS) assert.ok(o.from.length || o.note, `${o.field}: points or a note`);
});

for (const order of ['be', 'le']) {
  test(`round trip (${order}): the simulator encodes every point, the driver decodes the same value`, async () => {
    const { sim, drv } = setup({ sim: { wordOrder: order, layout: desc.LAYOUT.v103 }, drv: { wordOrder: order } });
    sim.state.currentLimit = 13.5;
    sim.state.release = 1;
    sim.lastHeartbeatAt = sim.clock.now();
    sim.tick();
    await drv.read();
    const want = sim.values();
    for (const p of desc.ENECTOR_POINTS) {
      if (p.access === 'w') continue;
      const got = drv.values[p.name] ?? (p.name === 'layoutVersion' ? drv.layout : p.name === 'firmware' ? drv.firmware : p.name === 'serial' ? drv.serial : undefined);
      if (typeof want[p.name] === 'number') assert.ok(Math.abs(got - want[p.name]) < 1e-3 * Math.max(1, Math.abs(want[p.name])), `${p.name}: ${got} vs ${want[p.name]}`);
      else assert.equal(got, want[p.name], p.name);
    }
  });
}

test('word order: auto-detect from voltage L1 picks the one plausible way, once', async () => {
  const { drv } = setup({ sim: { wordOrder: 'le' }, drv: { wordOrder: 'auto' } });
  const r = await drv.read();
  assert.equal(drv.wordOrder, 'le');
  assert.equal(r.wordOrder, 'le');
  assert.equal(r.phases[0].voltage, 230);
  const be = dm.encodeRegisterPoint(dm.findPoint(desc.ENECTOR_POINTS, 'L1.voltage'), 231.2, { wordOrder: 'be' });
  assert.equal(detectWordOrder(be), 'be');
  assert.equal(detectWordOrder([0, 0]), undefined, '0 V reads the same both ways: undecided');
});

test('heartbeat: 0x55AA to 0x0D00 at connect and every 5 s, independent of commands', async () => {
  const { drv, link, clock, step } = setup();
  drv.start();
  await flush();
  await step(20_000);
  const hb = link.calls.filter((c) => c.address === 0x0d00);
  assert.deepEqual(hb.map((c) => [c.fc, c.values[0]]), Array(5).fill([6, 0x55aa]));
  assert.equal(hb.length, 5, 'at 0, 5, 10, 15, 20 s');
  await drv.close();
  const n = link.calls.length;
  await step(30_000);
  assert.equal(link.calls.length, n, 'nothing after close');
  assert.equal(clock.pending >= 0, true);
});

test('start: current then release 1; the car charges; stop is release 0 only (never current 0)', async () => {
  const { drv, sim, writes, step } = setup();
  drv.start();
  await drv.read();
  const out = await drv.apply({ enabled: true, currentA: 10 });
  assert.deepEqual(out, { requested: 10, sent: 10, clamped: false });
  assert.deepEqual(writes().map((c) => [c.fc, c.address]), [[16, 0x0302], [6, 0x0d05]]);
  assert.equal(f32(writes()[0].values), 10);
  assert.deepEqual(writes()[1].values, [1]);
  await step(10_000);
  const r = await drv.read();
  assert.equal(r.state, 'charging');
  assert.equal(r.enabled, true);
  assert.equal(r.activePhases, 3);
  assert.ok(Math.abs(r.power - 10 * 230 * 3) < 1, `power ${r.power}`);
  assert.ok(r.sessionWh > 0);
  const before = writes().length;
  await drv.apply({ enabled: false, currentA: 10 });
  assert.deepEqual(writes().slice(before).map((c) => [c.fc, c.address, c.values[0]]), [[6, 0x0d05, 0]]);
  await step(5000);
  const p = await drv.read();
  assert.equal(p.state, 'paused');
  assert.equal(p.power, 0);
  assert.equal(sim.signalledA, 0);
  await drv.close();
});

test('current: clamped to 6 A … the lowest limit; 6.0 A goes out as 6.01 on layout ≤ 1.0.2 and as 6 on 1.0.3', async () => {
  const a = setup({ drv: { installationMaxA: 13 } });
  await a.drv.read();
  assert.deepEqual(await a.drv.apply({ enabled: true, currentA: 40 }), { requested: 40, sent: 13, clamped: true, reason: 'above the 13 A limit' });
  assert.equal(f32(a.writes()[0].values), 13);
  const b = setup();
  await b.drv.read();
  assert.deepEqual(await b.drv.apply({ enabled: true, currentA: 3 }), { requested: 3, sent: 6, clamped: true, reason: 'below the 6 A minimum' });
  assert.ok(Math.abs(f32(b.writes()[0].values) - 6.01) < 1e-6, 'layout 1.0.2: 6.01');
  assert.equal(b.link.calls.filter((c) => c.fc === 16).length, 1);
  assert.ok(b.sim.log.every((l) => l.accepted), 'the box accepted every write');
  const c = setup({ sim: { layout: desc.LAYOUT.v103 } });
  await c.drv.read();
  await c.drv.apply({ enabled: true, currentA: 6 });
  assert.equal(f32(c.writes()[0].values), 6);
  // The simulator rejects exactly 6.0 on the old layout (the reason for 6.01).
  const d = setup();
  assert.deepEqual(d.sim.modbus.write(50, 16, 0x0302, dm.encodeRegisterPoint(dm.findPoint(desc.ENECTOR_POINTS, 'currentLimit'), 6)), { exception: 3 });
  await assert.rejects(a.drv.apply({ enabled: true, currentA: NaN }), /currentA must be a number/);
  await assert.rejects(a.drv.apply({ enabled: 'yes', currentA: 8 }), /enabled must be true or false/);
});

test('a decrease goes out at once even inside the 5 s pacing (it may protect a fuse)', async () => {
  const { drv, writes, step } = setup();
  await drv.read();
  await drv.apply({ enabled: true, currentA: 16 });
  await step(1000);
  await drv.apply({ enabled: true, currentA: 8 });
  assert.deepEqual(writes().filter((c) => c.address === 0x0302).map((c) => f32(c.values)), [16, 8]);
});

test('current increases no faster than every 5 s: later values are coalesced into one deferred write', async () => {
  const { drv, writes, step, clock } = setup();
  await drv.read();
  const t0 = clock.now();
  await drv.apply({ enabled: true, currentA: 10 });
  await step(1000);
  await drv.apply({ enabled: true, currentA: 12 });
  await step(1000);
  await drv.apply({ enabled: true, currentA: 14 });
  await step(6000);
  const cur = writes().filter((c) => c.address === 0x0302);
  assert.deepEqual(cur.map((c) => f32(c.values)), [10, 14]);
  assert.equal(clock.now() - t0 >= 5000, true);
});

test('phase switching: refused by default; when allowed, release 0 → 0x0D04 → the box pause → release 1', async () => {
  const a = setup();
  await a.drv.read();
  const r = await a.drv.apply({ enabled: true, currentA: 10, phases: 1 });
  assert.equal(r.reason, 'phase switching is not allowed for this car (setting)');
  assert.ok(!a.writes().some((c) => c.address === 0x0d04));
  const b = setup({ drv: { allowPhaseSwitching: true } });
  b.drv.start();
  const events = [];
  b.drv.on('write', (w) => events.push([w.address, w.values.length === 1 ? w.values[0] : f32(w.values), w.at]));
  await b.drv.read();
  const t0 = b.clock.now();
  const pending = b.drv.apply({ enabled: true, currentA: 10, phases: 1 });
  await flush();
  await b.step(31_000);
  await pending;
  assert.deepEqual(events.map(([a, v, t]) => [a, v, t - t0]), [
    [0x0d05, 0, 0],
    [0x0d04, 1, 0],
    [0x0302, 10, 30_000],
    [0x0d05, 1, 30_000],
  ]);
  await b.step(10_000);
  const reading = await b.drv.read();
  assert.equal(reading.state, 'charging');
  assert.equal(reading.activePhases, 1);
  assert.ok(reading.phases[0].current > 9 && reading.phases[1].current === 0, 'a 1-phase draw on L1');
  const c = setup({ sim: { phaseOptions: 1 }, drv: { allowPhaseSwitching: true } });
  await c.drv.read();
  assert.equal((await c.drv.apply({ enabled: true, currentA: 10, phases: 1 })).reason, 'the box cannot switch phases (0x030C ≠ 2)');
  await b.drv.close();
});

test('recovery: error state 6 → current 0 and release 1 once, then the wanted current again', async () => {
  const { drv, sim, writes, step } = setup();
  drv.start();
  await drv.read();
  await drv.apply({ enabled: true, currentA: 10 });
  await step(6000);
  sim.injectError();
  const n = writes().length;
  const r = await drv.read();
  assert.equal(r.state, 'error');
  await step(6000);
  const after = writes().slice(n).map((c) => [c.address, c.values.length === 1 ? c.values[0] : f32(c.values)]);
  assert.deepEqual(after, [[0x0302, 0], [0x0d05, 1], [0x0302, 10]]);
  await drv.read();
  assert.notEqual(sim.state.evseState, 6);
  assert.equal(drv.counters.recoveries, 1);
  await step(6000);
  assert.equal((await drv.read()).state, 'charging');
  await drv.close();
});

test('a reboot (release lost) while we want to charge: the box is commanded again', async () => {
  const { drv, sim, writes, step } = setup();
  drv.start();
  await drv.read();
  await drv.apply({ enabled: true, currentA: 8 });
  await step(6000);
  sim.reboot();
  const n = writes().length;
  await drv.read();
  await step(6000);
  assert.deepEqual(writes().slice(n).map((c) => c.address), [0x0302, 0x0d05]);
  await step(6000);
  assert.equal((await drv.read()).state, 'charging');
  await drv.close();
});

test('master lost: after close the heartbeat stops and the box falls back to its own setting (pause) after 10 s', async () => {
  const { drv, sim, step } = setup({ sim: { masterLostFallback: 1 } });
  drv.start();
  await drv.read();
  await drv.apply({ enabled: true, currentA: 10 });
  await step(6000);
  assert.ok(sim.signalledA >= 10);
  await drv.close();
  await step(9000);
  assert.equal(sim.state.masterLost, 0, 'within 10 s of the last heartbeat');
  await step(6000);
  assert.equal(sim.state.masterLost, 1);
  assert.equal(sim.signalledA, 0, 'fallback 1: pause');
  const keep = setup({ sim: { masterLostFallback: 8 } });
  keep.drv.start();
  await keep.drv.read();
  await keep.drv.apply({ enabled: true, currentA: 12 });
  await keep.step(6000);
  await keep.drv.close();
  await keep.step(16_000);
  assert.equal(keep.sim.signalledA, 8, 'fallback 6–32: that current');
  const pause = setup({ drv: { onClose: 'pause' } });
  pause.drv.start();
  await pause.drv.read();
  await pause.drv.apply({ enabled: true, currentA: 12 });
  await pause.drv.close();
  assert.deepEqual(pause.writes().at(-1).values, [0], 'onClose pause: release 0 before the heartbeat stops');
});

test('layout 1.0.0: registers of later layouts are never read (the box would answer exception 2)', async () => {
  const { drv, link } = setup({ sim: { layout: desc.LAYOUT.v100 } });
  const r = await drv.read();
  assert.equal(r.layout, '1.0.0');
  assert.equal(r.serial, null);
  for (const c of link.calls.filter((x) => x.fc === 3)) {
    for (let a = c.address; a < c.address + c.count; a++) {
      const p = desc.ENECTOR_POINTS.find((q) => a >= q.source.address && a < q.source.address + dm.pointWords(q));
      if (p) assert.ok(!desc.POINT_LAYOUT[p.name], `read ${p.name} on layout 1.0.0`);
    }
  }
});

test('faults: a failed poll rejects with code and short text and the next one recovers', async () => {
  const { drv, link } = setup();
  const errors = [];
  drv.on('poll-error', (e) => errors.push(e));
  link.failWith = 'timeout';
  await assert.rejects(drv.read(), (e) => e.code === 'timeout' && /read layout version/.test(e.short));
  link.failWith = null;
  const r = await drv.read();
  assert.equal(r.kind, 'charger');
  assert.equal(errors.length, 1);
});

test('car model: minimum current, ramp, taper, 1p/3p and unplug', () => {
  const t0 = 0;
  const car = new Car({ phases: 3, minCurrentA: 8, maxCurrentA: 16, rampAps: 2, capacityWh: 10_000, socAtPlugIn: 50 });
  car.plugIn();
  car.advance(t0, 6, 3);
  assert.equal(car.advance(t0 + 10_000, 6, 3).powerW, 0, 'below the car minimum of 8 A: nothing');
  car.advance(t0 + 11_000, 10, 3);
  assert.equal(car.currentA, 2, 'ramps at 2 A/s');
  car.advance(t0 + 20_000, 10, 3);
  assert.equal(car.currentA, 10);
  assert.deepEqual(car.draw().currents, [10, 10, 10]);
  car.advance(t0 + 21_000, 10, 1);
  assert.deepEqual(car.draw().currents, [10, 0, 0], 'on a 1-phase offer');
  car.soc = 95;
  assert.equal(car.wantA(), 2 + (16 - 2) * 0.5, 'taper: half way from 90 % to 100 %');
  car.unplug();
  assert.equal(car.advance(t0 + 22_000, 10, 3).powerW, 0);
  const one = new Car({ phases: 1, maxCurrentA: 32 });
  one.plugIn();
  one.advance(0, 16, 3);
  one.advance(60_000, 16, 3);
  assert.deepEqual(one.draw().currents, [16, 0, 0], 'a 1-phase car on a 3-phase box uses L1');
  const stubborn = new Car({ ignoreChangeS: 5, rampAps: 100 });
  stubborn.plugIn();
  stubborn.advance(0, 16, 3);
  stubborn.advance(1000, 16, 3);
  stubborn.advance(2000, 8, 3);
  assert.equal(stubborn.currentA, 16, 'ignores the change for 5 s');
  stubborn.advance(8000, 8, 3);
  assert.equal(stubborn.currentA, 8);
  const sched = new Car({ schedule: [[1000, 5000]] });
  sched.advance(0, 16, 3);
  assert.equal(sched.plugged, false);
  sched.advance(2000, 16, 3);
  assert.equal(sched.plugged, true);
  sched.advance(6000, 16, 3);
  assert.equal(sched.plugged, false);
});
