'use strict';
// The Sofar descriptor drives decoding, the simulator's encoding and the help (issue 10): the
// descriptor is sound, the simulator encodes every point and the driver decodes each value back,
// every field of a normalized reading is listed in `outputs` (and every output occurs), the
// registry serves it, and the built help carries the generated table.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const sofar = require(path.join(dist, 'lib/devices/sofar'));
const device = require(path.join(dist, 'lib/api/device'));
const { findDevice, deviceForNode } = require(path.join(dist, 'lib/registry'));
const { SofarSim } = require(path.join(dist, 'lib/sim/sofar-sim'));
const { Household } = require(path.join(dist, 'lib/sim/household'));
const { VirtualClock } = require(path.join(dist, 'lib/util/clock'));
const { SimLink } = require('./sofar-sim-link');

const d = sofar.sofarDescriptor;
const T0 = Date.UTC(2024, 5, 1, 10);

/** A simulator in a given state: a mode, faults, and the variant encodings. */
function simIn({ mode = 'charge', watts = 1200, voltageScale = 0.1, gridRegister = 's16', faults } = {}) {
  const clock = new VirtualClock(T0);
  const sim = new SofarSim({ clock, household: new Household({ clock, load: 1300, pv: 3100 }), batteryVoltageScale: voltageScale, gridRegister, plant: { socPct: 80, rampWPerS: 20000 } });
  sim.setMode(mode, watts);
  clock.advance(5000);
  if (faults) sim.setFaults({ inverterFaults: faults });
  return { sim, clock };
}

/** What a value becomes on the wire and back: rounded to the register's resolution. */
function quantized(p, v) {
  if (typeof v === 'string') return v;
  return device.scaleIn(p, Math.round(device.scaleOut(p, v)));
}

/** Decodes every block the simulator serves, through the descriptor's points only. */
function decodeServed(sim) {
  const link = new SimLink(sim);
  const out = {};
  for (const b of [sofar.REALTIME_BLOCK, sofar.WORK_MODE_BLOCK, sofar.BATTERY_SETTINGS_BLOCK, sofar.DEVICE_INFO_BLOCK]) {
    const words = link.handler.read(1, b.fc, b.address, b.count);
    assert.ok(Array.isArray(words), `the simulator serves ${b.fc}/${b.address.toString(16)}×${b.count}`);
    Object.assign(out, device.decodeBlock(d.points, b.fc, b.address, words));
  }
  return out;
}

describe('Sofar descriptor', () => {
  it('is sound: checkDescriptor finds nothing; register blocks are the spans of their points', () => {
    assert.deepEqual(device.checkDescriptor(d), []);
    assert.deepEqual(sofar.REALTIME_BLOCK, { fc: 3, address: 0x0200, count: 70 }, '0x0200–0x0245 (§3.3)');
    assert.deepEqual(sofar.BATTERY_SETTINGS_BLOCK, { fc: 4, address: 0x10b0, count: 13 });
    assert.deepEqual(sofar.DEVICE_INFO_BLOCK, { fc: 4, address: 0x2000, count: 12 });
    assert.deepEqual(sofar.WORK_MODE_BLOCK, { fc: 3, address: 0x1200, count: 21 });
    for (const p of d.points) {
      assert.equal(p.source.kind, 'register', p.name);
      assert.ok([3, 4].includes(p.source.fc), p.name);
      assert.match(p.src, /§3\.\d+/, `${p.name} cites its dossier section`);
    }
    assert.deepEqual(d.nodeTypes, ['sofar-inverter']);
  });

  it('the registry serves it: findDevice, deviceForNode, create() gives a BatteryControl', async () => {
    assert.equal(findDevice('Sofar'), sofar.sofarDevice);
    assert.equal(deviceForNode('sofar-inverter'), sofar.sofarDevice);
    const { sim } = simIn();
    const drv = sofar.sofarDevice.create({ link: new SimLink(sim), settings: { onClose: 'none' } });
    for (const m of ['read', 'setPower', 'release', 'limits', 'start', 'close', 'on', 'off']) assert.equal(typeof drv[m], 'function', m);
    assert.equal(drv.descriptor, d);
    assert.equal(drv.serial, null, 'unknown before the first read');
    const r = await drv.read();
    assert.equal(drv.serial, 'SA1ES130K12345');
    assert.equal(r.serial, drv.serial);
    assert.throws(() => sofar.sofarDevice.create({}), /needs a Modbus link/);
    await drv.close();
    await sim.stop();
  });

  it('the simulator encodes every point; the driver decodes each value back', async () => {
    const encoded = new Set();
    const configs = [
      { voltageScale: 0.1 },
      { voltageScale: 0.01, mode: 'discharge', watts: 2000 },
      { gridRegister: 's32', mode: 'standby' },
      { gridRegister: 'u16', mode: 'standby', faults: [5, 52] },
    ];
    for (const cfg of configs) {
      const { sim } = simIn(cfg);
      const values = sim.pointValues();
      const back = decodeServed(sim);
      // An s32 grid value covers the load register as well (that firmware has its load elsewhere).
      const overwritten = cfg.gridRegister === 's32' ? ['loadPower'] : [];
      let checked = 0;
      for (const [name, v] of Object.entries(values)) {
        encoded.add(name);
        if (overwritten.includes(name)) continue;
        const p = sofar.point(name);
        assert.equal(back[name], quantized(p, v), `${name} (${JSON.stringify(cfg)})`);
        checked++;
      }
      assert.ok(checked >= 60, `${checked} points checked`);
      await sim.stop();
    }
    const missing = d.points.map((p) => p.name).filter((n) => !encoded.has(n));
    assert.deepEqual(missing, [], 'points the simulator never encodes');
  });

  it('the driver reads the simulator state through the points: signs, variants, faults', async () => {
    for (const cfg of [{ voltageScale: 0.1 }, { voltageScale: 0.01 }, { gridRegister: 's32', mode: 'standby' }]) {
      const { sim, clock } = simIn(cfg);
      const inv = new sofar.SofarInverter({ link: new SimLink(sim), clock, settings: { onClose: 'none', gridRegister: cfg.gridRegister ?? 's16' } });
      const r = await inv.read();
      const st = sim.household.state();
      assert.equal(r.power, quantized(sofar.point('acPower'), sim.plant.powerW));
      assert.equal(r.gridPower, quantized(sofar.point('gridPower'), st.gridW), 'grid + import');
      assert.equal(r.soc, 80);
      assert.equal(inv.last.rt.batteryVoltageScale, cfg.voltageScale ?? 0.1, 'auto detects the simulator encoding');
      assert.deepEqual(r.warnings, undefined);
      await inv.close();
      await sim.stop();
    }
  });
});

/** Field paths of a reading: nested plain objects are walked, arrays and values are leaves. */
function paths(o, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(o)) {
    const p = prefix + k;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(p, ...paths(v, p + '.'));
    else out.push(p);
  }
  return out;
}

describe('Sofar outputs', () => {
  it('every field of a normalized reading is in outputs, and every output occurs in a reading', async () => {
    const { sim, clock } = simIn({ mode: 'standby' });
    const inv = new sofar.SofarInverter({ link: new SimLink(sim), clock, settings: { onClose: 'none' } });
    await inv.read();
    await inv.setpoint(-1000); // passiveStatus, setpoint, strategy
    clock.advance(2000);
    const r = await inv.read();
    const fields = new Set(d.outputs.map((o) => o.field));
    const covered = (p) => fields.has(p) || [...fields].some((f) => p.startsWith(f + '.'));
    const seen = paths(r);
    const uncovered = seen.filter((p) => !covered(p) && ![...fields].some((f) => f.startsWith(p + '.')));
    assert.deepEqual(uncovered, [], 'reading fields missing from outputs');
    const absent = [...fields].filter((f) => !seen.includes(f) && f !== 'warnings');
    assert.deepEqual(absent, [], 'outputs no reading has');
    for (const o of d.outputs) assert.ok(o.from.length > 0 || o.note, `${o.field}: points or a note`);
    await inv.close();
    await sim.stop();
  });

  it('the built help has the generated table and refers to nothing a user does not have', () => {
    const html = fs.readFileSync(path.join(dist, 'nodes/sofar-inverter/locales/en-US/sofar-inverter.html'), 'utf8');
    assert.ok(html.includes(device.outputsMarkdown(d)), 'the table from the descriptor');
    assert.match(html, /\| `gridPower` \| W \| grid power, \+ import/);
    assert.match(html, /register 530 \(0x0212, FC 03, s16\)/);
    assert.doesNotMatch(html, /<!-- outputs -->/);
    assert.doesNotMatch(html, /\.\.\/shared|protocols\/|dossier/);
  });
});
