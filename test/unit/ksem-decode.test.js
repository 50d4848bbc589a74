'use strict';
// KSEM points table, decoder, SunSpec walker and normalizer against hand-built register words
// (addresses and encodings from ../shared/protocols/ksem.md §1.3–1.11).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const d = require('../../dist/lib/devices/ksem/decode');
const desc = require('../../dist/lib/devices/ksem/descriptor');
const { nativeToReading, sunspecToReading, KsemDataError } = require('../../dist/lib/devices/ksem/normalize');
const { validator } = require('../../dist/lib/api/validate');
const { meterReadingSchema } = require('../../dist/lib/api/schemas');
const { KsemSimMeter } = require('../../dist/lib/sim/ksem-sim');
const { Household } = require('../../dist/lib/sim/household');
const { VirtualClock } = require('../../dist/lib/util/clock');

const check = validator(meterReadingSchema, 'payload');
const u32 = (v) => [Math.floor(v / 0x10000) & 0xffff, v & 0xffff];
const s32 = (v) => u32(v < 0 ? v + 0x100000000 : v);
const u64 = (v) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v));
  return [0, 2, 4, 6].map((i) => b.readUInt16BE(i));
};
const { pointWords } = require('../../dist/lib/api/device');
const point = (name) => desc.POINTS_BY_NAME.get(name);
const addr = (p) => p.source.address;

test('points table: addresses from ksem.md §1.4–1.8', () => {
  const at = (name) => addr(point(name));
  assert.equal(at('activePowerPlus'), 0);
  assert.equal(at('activePowerMinus'), 2);
  assert.equal(at('apparentPowerMinus'), 18);
  assert.equal(at('powerFactor'), 24);
  assert.equal(at('frequency'), 26);
  assert.equal(at('L1.activePowerPlus'), 40);
  assert.equal(at('L1.current'), 60);
  assert.equal(at('L2.current'), 100);
  assert.equal(at('L3.voltage'), 142);
  assert.equal(at('L3.powerFactor'), 144);
  assert.equal(at('activeEnergyPlus'), 512);
  assert.equal(at('apparentEnergyMinus'), 548);
  assert.equal(at('L1.activeEnergyPlus'), 592);
  assert.equal(at('L2.activeEnergyMinus'), 676);
  assert.equal(at('L3.apparentEnergyMinus'), 788);
  assert.equal(at('productId'), 0x2001);
  assert.equal(at('serialNumber'), 0x2024);
  for (const p of desc.NATIVE_POINTS) assert.match(p.src, /ksem\.md §1\.\d/, p.name);
  // No two points share a register.
  const used = new Map();
  for (const p of desc.NATIVE_POINTS) {
    for (let a = addr(p); a < addr(p) + pointWords(p); a++) {
      assert.ok(!used.has(a), `${p.name} overlaps ${used.get(a)} at ${a}`);
      used.set(a, p.name);
    }
  }
});

test('poll blocks: each read ≤ 125 registers, together they cover every native point, and every point lies in a push group', () => {
  const blocks = [...desc.POLL_BLOCKS.current, ...desc.POLL_BLOCKS.energy, ...desc.POLL_BLOCKS.phaseEnergy];
  for (const b of blocks) assert.ok(b.count >= 1 && b.count <= 125, JSON.stringify(b));
  assert.equal(blocks.length, 5);
  for (const p of desc.NATIVE_POINTS) {
    const n = pointWords(p);
    assert.ok(blocks.some((b) => addr(p) >= b.start && addr(p) + n <= b.start + b.count), `${p.name} not polled`);
    assert.ok(desc.NATIVE_GROUPS.some((g) => addr(p) >= g.start && addr(p) + n <= g.start + g.count), `${p.name} not in a push group`);
  }
});

test('native decoding: 0.1 W, signed cos φ, 0.001 Hz/V/A, u64 energies in 0.1 Wh, big-endian word order', () => {
  const img = new d.RegisterImage();
  img.set(0, [...u32(12345), ...u32(0)]); // 1234.5 W import
  img.set(24, s32(-950)); // cos φ −0.95
  img.set(26, u32(49987)); // 49.987 Hz
  img.set(40, [...u32(262144), ...u32(0)]); // 0x00040000 (the value ksem.md §1.9 saw stuck) = 26214.4 W
  img.set(60, u32(6543)); // 6.543 A
  img.set(62, u32(230123)); // 230.123 V
  img.set(64, s32(998));
  img.set(512, u64(43210005)); // 4 321 000.5 Wh
  img.set(516, u64(2 ** 40)); // needs all four words
  const v = d.decodeNative(img);
  assert.equal(v.activePowerPlus, 1234.5);
  assert.equal(v.activePowerMinus, 0);
  assert.equal(v.powerFactor, -0.95);
  assert.equal(v.frequency, 49.987);
  assert.equal(v['L1.activePowerPlus'], 26214.4);
  assert.equal(v['L1.current'], 6.543);
  assert.equal(v['L1.voltage'], 230.123);
  assert.equal(v['L1.powerFactor'], 0.998);
  assert.equal(v.activeEnergyPlus, 4321000.5);
  assert.equal(v.activeEnergyMinus, 2 ** 40 / 10);
  // Points whose registers were not read are absent, not 0.
  assert.equal('L2.voltage' in v, false);
  assert.equal('reactivePowerPlus' in v, false);
});

test('not-implemented patterns are absent: u32 0xFFFFFFFF, s32 0x80000000, u64 all ones, non-ASCII serial', () => {
  const img = new d.RegisterImage();
  img.set(0, [0xffff, 0xffff, 0, 10]);
  img.set(24, [0x8000, 0]);
  img.set(512, [0xffff, 0xffff, 0xffff, 0xffff]);
  img.set(8228, [0x00ff, 0x1b02, 0, 0]);
  const v = d.decodeNative(img);
  assert.equal('activePowerPlus' in v, false);
  assert.equal(v.activePowerMinus, 1);
  assert.equal('powerFactor' in v, false);
  assert.equal('activeEnergyPlus' in v, false);
  assert.deepEqual(d.decodeInfo(img), {});
});

test('device info block 0x2000 and serial string at 0x2024', () => {
  const img = new d.RegisterImage();
  img.set(8192, [1, 18530, 0x0100, 0x0262]);
  img.set(8228, [0x3734, 0x3031, 0x3233, 0x3435]); // "74012345"
  assert.deepEqual(d.decodeInfo(img), { manufacturerId: 1, productId: 18530, hardwareVersion: 256, firmwareVersion: 0x262, serialNumber: '74012345' });
  assert.ok(desc.KNOWN_PRODUCT_IDS.includes(18530));
});

test('normalizer signs (DESIGN.md §2): power = "+" − "−", import and export parts, per phase too', () => {
  const base = { frequency: 50.01, powerFactor: 0.97 };
  const imp = nativeToReading({ ...base, activePowerPlus: 1500.5, activePowerMinus: 0 }, 1000);
  assert.equal(imp.power, 1500.5);
  assert.equal(imp.importPower, 1500.5);
  assert.equal(imp.exportPower, 0);
  const exp = nativeToReading(
    {
      ...base,
      activePowerPlus: 0,
      activePowerMinus: 2300.1,
      'L1.activePowerPlus': 100.2,
      'L1.activePowerMinus': 0,
      'L1.voltage': 231.5,
      'L1.current': 0.5,
      'L1.powerFactor': -0.9,
      'L2.activePowerPlus': 0,
      'L2.activePowerMinus': 1200.2,
      activeEnergyPlus: 10,
      activeEnergyMinus: 20,
    },
    1700000000123,
  );
  assert.equal(exp.power, -2300.1);
  assert.equal(exp.importPower, 0);
  assert.equal(exp.exportPower, 2300.1);
  assert.deepEqual(exp.phases[0], { voltage: 231.5, current: 0.5, power: 100.2, importPower: 100.2, exportPower: 0, powerFactor: -0.9 });
  assert.equal(exp.phases[1].power, -1200.2);
  assert.deepEqual(exp.phases[2], {});
  assert.deepEqual(exp.energy, { importWh: 10, exportWh: 20 });
  assert.equal(exp.frequency, 50.01);
  assert.equal(exp.powerFactor, 0.97);
  assert.equal(exp.source, 'ksem');
  assert.equal(exp.timestamp, 1700000000123);
  assert.equal(check(exp), null);
  // 0.1 W values add without binary noise.
  assert.equal(nativeToReading({ activePowerPlus: 0.3, activePowerMinus: 0.1 }, 0).power, 0.2);
});

test('normalizer plausibility: implausible values are left out, missing total power is a KsemDataError naming the register', () => {
  const r = nativeToReading({ activePowerPlus: 5, activePowerMinus: 0, frequency: 0, powerFactor: 1.5, 'L1.voltage': 5000, 'L1.current': 3 }, 0);
  assert.equal('frequency' in r, false);
  assert.equal('powerFactor' in r, false);
  assert.deepEqual(r.phases[0], { current: 3 });
  assert.throws(() => nativeToReading({ activePowerMinus: 0 }, 0), (e) => e instanceof KsemDataError && /activePowerPlus \(register 0\)/.test(e.message));
  assert.throws(() => nativeToReading({ activePowerPlus: 2e6, activePowerMinus: 0 }, 0), KsemDataError);
});

/** A SunSpec map as hand-built words: 'SunS', model 1 (L 65 or 66), model 203 (L 105), end. */
function sunspecWords(layout, base = 40000) {
  const L1 = layout === 'fw2.5' ? 65 : 66;
  const words = new Map();
  const set = (a, ws) => ws.forEach((w, i) => words.set(a + i, w));
  set(base, [0x5375, 0x6e53]);
  set(base + 2, [1, L1]);
  const str = (a, n, s) => set(a, Array.from({ length: n }, (_, i) => ((s.charCodeAt(2 * i) || 0) << 8) | (s.charCodeAt(2 * i + 1) || 0)));
  for (let a = base + 4; a < base + 4 + L1; a++) words.set(a, 0);
  str(base + 4, 16, 'KOSTAL');
  str(base + 20, 16, 'KOSTAL Smart Energy Meter');
  str(base + 44, 8, layout === 'fw2.5' ? '2.5.1' : '2.6.2');
  str(base + 52, 16, '1234567890');
  words.set(base + 68, 71);
  const m = base + 4 + L1;
  for (let a = m; a < m + 107; a++) words.set(a, 0);
  set(m, [203, 105]);
  // A = 12.34 A (SF −2), phases 4.11/4.12/4.11; V SF −1: 230.1 V …; Hz 50.02 (SF −2); W −1230 (SF 1 → −123); PF 97 % (SF 0)
  set(m + 2, [1234, 411, 412, 411, 0xfffe]);
  set(m + 7, [2301, 2301, 2302, 2300]);
  words.set(m + 15, 0xffff);
  set(m + 16, [5002, 0xfffe]);
  set(m + 18, [(-123) & 0xffff, (-41) & 0xffff, (-41) & 0xffff, 0x8000, 1]);
  set(m + 33, [97, 97, 97, 97, 0]);
  set(m + 38, u32(654321)); // TotWhExp
  set(m + 46, u32(1234567)); // TotWhImp
  words.set(m + 54, 0);
  set(m + 107, [0xffff, 0]);
  return { words, meter: m, end: m + 107 };
}

function reader(map, log = []) {
  return async (a, n) => {
    log.push([a, n]);
    const out = [];
    for (let i = 0; i < n; i++) {
      if (!map.has(a + i)) {
        const e = new Error('exception 2');
        e.code = 'exception';
        throw e;
      }
      out.push(map.get(a + i));
    }
    return out;
  };
}

test('SunSpec walk: both firmware layouts (model 203 at 40069 before 2.6, 40070 from 2.6), two requests each', async () => {
  for (const [layout, at, W, endAt] of [
    ['fw2.5', 40069, 40087, 40176],
    ['fw2.6', 40070, 40088, 40177],
  ]) {
    const { words } = sunspecWords(layout);
    const log = [];
    const map = await d.walkSunSpec(reader(words, log));
    assert.equal(map.base, 40000);
    assert.deepEqual(
      map.models.map((m) => [m.id, m.address, m.length]),
      [
        [1, 40002, layout === 'fw2.5' ? 65 : 66],
        [203, at, 105],
      ],
    );
    const points = desc.sunspecPoints({ base: 40000, commonLength: map.models[0].length, meterAddress: at });
    assert.equal(addr(points.find((p) => p.name === 'm203.W')), W, 'M_AC_Power address from ksem.md §1.11');
    assert.deepEqual(log, [
      [40000, 125],
      [endAt, 2],
    ]);
    const common = d.decodeCommon([...Array(2 + map.models[0].length).keys()].map((i) => words.get(40002 + i)));
    assert.deepEqual(common, { manufacturer: 'KOSTAL', model: 'KOSTAL Smart Energy Meter', version: layout === 'fw2.5' ? '2.5.1' : '2.6.2', serialNumber: '1234567890', deviceAddress: 71 });
  }
});

test('SunSpec walk: other bases when 40000 has no map; clear error when none has; transport errors propagate', async () => {
  const { words } = sunspecWords('fw2.6', 50000);
  const map = await d.walkSunSpec(reader(words));
  assert.equal(map.base, 50000);
  assert.equal(map.models[1].address, 50070);
  await assert.rejects(d.walkSunSpec(reader(new Map())), (e) => e instanceof d.SunSpecError && /40000.*0.*50000/.test(e.message));
  // A chain without an end marker, and one whose first model is not 1.
  const loop = new Map();
  [0x5375, 0x6e53].forEach((w, i) => loop.set(40000 + i, w));
  for (let a = 40002; a < 42000; a += 2) {
    loop.set(a, 1);
    loop.set(a + 1, 0);
  }
  await assert.rejects(d.walkSunSpec(reader(loop), { bases: [40000] }), /more than 64 models/);
  const bad = sunspecWords('fw2.6').words;
  bad.set(40002, 203);
  await assert.rejects(d.walkSunSpec(reader(bad), { bases: [40000] }), /first model is 203/);
  const timeout = Object.assign(new Error('timeout'), { transport: true });
  await assert.rejects(
    d.walkSunSpec(
      async () => {
        throw timeout;
      },
      { isTransportError: (e) => e.transport === true },
    ),
    (e) => e === timeout,
  );
});

test('model 203 decoding: scale factors, PF percent → fraction, 0x8000 absent, acc32 counters', () => {
  const { words, meter } = sunspecWords('fw2.6');
  const w = [...Array(55).keys()].map((i) => words.get(meter + i));
  const m = d.decodeMeter203(w);
  assert.equal(m.A, 12.34);
  assert.equal(m.AphB, 4.12);
  assert.equal(m.PhVphC, 230);
  assert.equal(m.PhVphA, 230.1);
  assert.equal(m.Hz, 50.02);
  assert.equal(m.W, -1230);
  assert.equal(m.WphA, -410);
  assert.equal('WphC' in m, false, '0x8000 = not implemented');
  assert.equal(m.PF, 0.97);
  assert.equal(m.TotWhExp, 654321);
  assert.equal(m.TotWhImp, 1234567);
  const r = sunspecToReading(m, 5);
  assert.equal(r.power, -1230);
  assert.equal(r.importPower, 0);
  assert.equal(r.exportPower, 1230);
  assert.deepEqual(r.phases[0], { voltage: 230.1, current: 4.11, power: -410, importPower: 0, exportPower: 410, powerFactor: 0.97 });
  assert.deepEqual(r.phases[2], { voltage: 230, current: 4.11, powerFactor: 0.97 });
  assert.deepEqual(r.energy, { importWh: 1234567, exportWh: 654321 });
  assert.equal(check(r), null);
  // A missing scale factor drops its points; signed-int32 era counters beyond 2^31 are dropped.
  w[22] = 0x8000;
  w[38] = 0x8000;
  w[39] = 0;
  const m2 = d.decodeMeter203(w);
  assert.equal('W' in m2, false);
  assert.equal('TotWhExp' in m2, false);
  assert.throws(() => sunspecToReading(m2, 0), /model 203 W/);
});

test('garbage words never throw from the decoders; the normalizer gives a valid reading or a KsemDataError', () => {
  let x = 0x12345678;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) & 0xffff;
  };
  let valid = 0;
  for (let i = 0; i < 2000; i++) {
    const img = new d.RegisterImage();
    for (const b of [...desc.POLL_BLOCKS.current, ...desc.POLL_BLOCKS.energy, ...desc.POLL_BLOCKS.phaseEnergy]) {
      // Mostly small values so some readings pass the plausibility checks.
      img.set(b.start, Array.from({ length: b.count }, () => (i % 2 ? rnd() : rnd() & 0x0f)));
    }
    const words = Array.from({ length: 55 }, rnd);
    for (const [decode, norm] of [
      [() => d.decodeNative(img), nativeToReading],
      [() => d.decodeMeter203(words), sunspecToReading],
    ]) {
      const v = decode();
      try {
        const r = norm(v, 1000);
        assert.equal(check(r), null, JSON.stringify(r));
        valid++;
      } catch (e) {
        assert.ok(e instanceof KsemDataError, String(e));
      }
    }
    d.decodeCommon(Array.from({ length: 68 }, rnd));
    d.decodeInfo(img);
  }
  assert.ok(valid > 500, `only ${valid} valid`);
});

test('simulator map: native values follow the household; values refresh once per second; exception 2 outside the map', () => {
  const clock = new VirtualClock(Date.UTC(2024, 5, 3, 12, 0, 0, 400));
  const household = new Household({ clock, load: 2000, pv: 500 });
  const m = new KsemSimMeter({ household, clock, layout: 'fw2.5', startEnergyWh: { import: 1000, export: 0 } });
  const img = new d.RegisterImage();
  for (const b of [...desc.POLL_BLOCKS.current, ...desc.POLL_BLOCKS.energy]) img.set(b.start, m.read(b.start, b.count));
  const r = nativeToReading(d.decodeNative(img), clock.now());
  assert.equal(r.power, 1500);
  assert.equal(r.phases[0].power, 633.3); // 40 % of the load − a third of the PV, at 0.1 W resolution
  assert.equal(r.phases[1].power, 433.3);
  assert.ok(Math.abs(r.phases.reduce((s, p) => s + p.power, 0) - 1500) <= 0.2);
  assert.equal(r.energy.importWh, 1000);
  // One hour at 1500 W import adds 1500 Wh.
  clock.advance(3_600_000);
  img.set(512, m.read(512, 40));
  assert.equal(d.decodeNative(img).activeEnergyPlus, 2500);
  assert.deepEqual(m.read(146, 1), { exception: 2 });
  assert.deepEqual(m.read(40170, 20), { exception: 2 }, 'reads past the end marker (40176/40177) fail');
  assert.ok(Array.isArray(m.read(40176, 2)));
});
