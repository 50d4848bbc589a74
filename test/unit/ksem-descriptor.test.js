'use strict';
// The KSEM descriptor drives both sides (issue 10): the simulator encodes its state through the
// descriptor's points, the driver decodes through the same points, and every point gives its value
// back — native registers, device info and SunSpec model 1 / 203, in both firmware layouts
// (model 203 at 40069 before 2.6, 40070 from 2.6). Every field of a normalized reading is listed in
// the descriptor's outputs, and the descriptor checks clean.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { checkDescriptor, decodeRegisters, RegisterImage } = require('../../dist/lib/api/device');
const { DEVICES, findDevice, deviceForNode } = require('../../dist/lib/registry');
const { ksemDevice } = require('../../dist/lib/devices/ksem/device');
const desc = require('../../dist/lib/devices/ksem/descriptor');
const { applyScaleFactors } = require('../../dist/lib/devices/ksem/decode');
const { KsemPoller } = require('../../dist/lib/devices/ksem/poller');
const { ModbusError } = require('../../dist/lib/transport/modbus/errors');
const { KsemSimMeter } = require('../../dist/lib/sim/ksem-sim');
const { Household } = require('../../dist/lib/sim/household');
const { VirtualClock } = require('../../dist/lib/util/clock');

const T0 = Date.UTC(2024, 5, 3, 12, 0, 0, 300);

function simMeter(layout, { load = 2600, pv = 4100 } = {}) {
  const clock = new VirtualClock(T0);
  return new KsemSimMeter({ household: new Household({ clock, load, pv }), clock, layout });
}

/** A Modbus link served by the simulated meter in-process (FC 3; exceptions as the link gives them). */
function simLink(meter) {
  return {
    key: 'sim://ksem',
    connected: true,
    counters: { requests: 0, errors: 0, timeouts: 0, queue: 0, reconnects: 0 },
    async readHoldingRegisters(_unit, address, count) {
      const r = meter.read(address, count);
      if (!Array.isArray(r)) throw new ModbusError('exception', `exception ${r.exception}`, r.exception);
      return r;
    },
    on() {
      return this;
    },
    off() {
      return this;
    },
  };
}

/** Reads every area of the meter's map (in reads of ≤ 125 registers) into an image. */
function readAll(meter) {
  const image = new RegisterImage();
  const areas = [...desc.NATIVE_AREAS, { start: meter.sunspec.base, count: meter.meterAddress + 2 + desc.SUNSPEC.m203Length - meter.sunspec.base }];
  for (const a of areas) for (let at = a.start; at < a.start + a.count; at += 125) image.set(at, meter.read(at, Math.min(125, a.start + a.count - at)));
  return image;
}

/** Paths of a reading's fields as the outputs name them ("phases[].voltage", "energy.importWh"). */
function paths(v, prefix = '') {
  if (Array.isArray(v)) return v.flatMap((x) => paths(x, `${prefix}[]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => paths(x, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

test('the descriptor checks clean and is registered for the ksem-meter node', () => {
  assert.deepEqual(checkDescriptor(desc.KSEM_DESCRIPTOR), []);
  assert.equal(findDevice('KSEM'), ksemDevice);
  assert.equal(deviceForNode('ksem-meter'), ksemDevice);
  assert.ok(DEVICES.includes(ksemDevice));
  assert.deepEqual(ksemDevice.descriptor.nodeTypes, ['ksem-meter']);
  for (const p of desc.KSEM_DESCRIPTOR.points) {
    assert.equal(p.source.kind, 'register', p.name);
    if (p.source.type !== 'string') assert.equal(p.source.missing, 'sunspec', `${p.name}: not-implemented patterns decode as absent`);
    assert.match(p.src, /ksem\.md §1\.\d+/, p.name);
  }
  // Scale = 10^-decimals: 0.1 W, 0.001 V.
  assert.equal(desc.POINTS_BY_NAME.get('activePowerPlus').scale, 0.1);
  assert.equal(desc.POINTS_BY_NAME.get('L1.voltage').scale, 0.001);
  assert.throws(() => ksemDevice.create({}), /params\.link/);
});

for (const layout of ['fw2.5', 'fw2.6']) {
  test(`${layout}: the simulator writes every point through the descriptor, and every point decodes to what was written`, () => {
    const meter = simMeter(layout);
    meter.update();
    assert.equal(meter.meterAddress, layout === 'fw2.5' ? 40069 : 40070);
    const names = meter.points.map((p) => p.name);
    assert.deepEqual(names.filter((n) => !(n in meter.written)), [], 'points the simulator does not write');
    assert.deepEqual(Object.keys(meter.written).filter((n) => !names.includes(n)), [], 'values written outside the points');
    assert.equal(names.includes('m1.Pad'), layout === 'fw2.6', 'model 1 has Pad only from firmware 2.6 (L = 66)');
    const decoded = decodeRegisters(readAll(meter), meter.points);
    let compared = 0;
    for (const p of meter.points) {
      const want = meter.written[p.name];
      const got = decoded[p.name];
      if (want === null) assert.equal(got, undefined, `${p.name}: not implemented`);
      else if (typeof want === 'string') assert.equal(got, want, p.name);
      else {
        assert.equal(typeof got, 'number', `${p.name} decoded`);
        // Back within half a count of the register's resolution (values are rounded to whole counts).
        assert.ok(Math.abs(got - want) <= (p.scale ?? 1) / 2 + 1e-9, `${p.name}: wrote ${want}, decoded ${got}`);
      }
      compared++;
    }
    assert.ok(compared > 140, `${compared} points`);
    // The fw2.6 points are the ones the descriptor lists for the help.
    if (layout === 'fw2.6') assert.deepEqual(meter.points.map((p) => p.name).sort(), desc.KSEM_DESCRIPTOR.points.map((p) => p.name).sort());
  });

  test(`${layout}: the driver reads the simulator: native and SunSpec values equal what the simulator wrote`, async () => {
    const meter = simMeter(layout);
    const native = await new KsemPoller(simLink(meter), { layout: 'native', phaseEnergyEveryMs: 0, clock: meter.clock }).poll();
    assert.equal(native.raw.layout, 'native');
    for (const p of desc.NATIVE_POINTS) assert.ok(Math.abs(native.raw.values[p.name] - meter.written[p.name]) <= p.scale / 2 + 1e-9, p.name);
    assert.equal(native.reading.serial, meter.serial);
    assert.equal(native.reading.protocol, `KSEM Modbus, firmware ${meter.version}`);

    const sunspec = await new KsemPoller(simLink(meter), { layout: 'sunspec', clock: meter.clock }).poll();
    assert.equal(sunspec.raw.layout, 'sunspec');
    assert.equal(sunspec.raw.sunspec.models[1].address, meter.meterAddress);
    const want = applyScaleFactors(meter.written);
    assert.ok(Object.keys(want).length >= 30);
    for (const [k, v] of Object.entries(want)) assert.equal(sunspec.raw.values[k], v, k);
    // Both register sets describe the same household (10 W SunSpec resolution).
    assert.ok(Math.abs(sunspec.reading.power - native.reading.power) <= 5, `${sunspec.reading.power} vs ${native.reading.power}`);
    assert.equal(native.reading.power < 0, true, 'PV 4100 W > load 2600 W: export');
  });
}

test('every field of a normalized reading is in the outputs, and every output occurs in a reading', async () => {
  const seen = new Set();
  for (const layout of ['fw2.5', 'fw2.6']) {
    for (const mode of ['native', 'sunspec']) {
      for (const [load, pv] of [
        [2600, 4100],
        [3000, 0],
      ]) {
        const meter = simMeter(layout, { load, pv });
        const ev = await new KsemPoller(simLink(meter), { layout: mode, phaseEnergyEveryMs: 0, clock: meter.clock }).poll();
        for (const p of paths(ev.reading)) seen.add(p);
      }
    }
  }
  const fields = desc.KSEM_DESCRIPTOR.outputs.map((o) => o.field);
  assert.deepEqual([...seen].filter((p) => !fields.includes(p)), [], 'reading fields missing from the outputs');
  assert.deepEqual(fields.filter((f) => !seen.has(f)), [], 'outputs no reading has');
});
