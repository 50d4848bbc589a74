'use strict';
// Issue 11: the Sofar node advised "set grid register to s32" against the simulator after a
// `sofar mode` change. Reproduction: a second battery in the house (not behind the Sofar's CTs)
// charges; `sofar mode auto` (another client) makes the Sofar hold the grid at exactly 0 W, so
// 0x0212 reads 0 — what the upper half of an s32 value looks like — while load − PV − battery does
// not add up. The advice must not come from that; a firmware that really encodes s32 still gets it,
// and only after the finding persisted.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const sofar = require(path.join(dist, 'lib/devices/sofar'));
const { SofarSim } = require(path.join(dist, 'lib/sim/sofar-sim'));
const { Household } = require(path.join(dist, 'lib/sim/household'));
const { VirtualClock } = require(path.join(dist, 'lib/util/clock'));
const { SimLink } = require('./sofar-sim-link');

const T0 = Date.UTC(2024, 5, 1, 11);

function setup(o = {}) {
  const clock = new VirtualClock(T0);
  const household = new Household({ clock, load: o.load ?? 1620, pv: o.pv ?? 4340 });
  if (o.otherBatteryW) household.addSource(() => o.otherBatteryW, { name: 'another battery' });
  const sim = new SofarSim({ clock, household, gridRegister: o.simGrid, plant: { rampWPerS: 2000 }, tickMs: 1000 });
  const inv = new sofar.SofarInverter({ link: new SimLink(sim), clock, settings: { onClose: 'none' } });
  const warnings = [];
  inv.on('warning', (w) => warnings.push(w));
  return { clock, sim, inv, warnings };
}

/** Polls once a second for `s` seconds of virtual time; returns the readings and the blocks' findings. */
async function pollFor(ctx, s) {
  const readings = [];
  const findings = [];
  for (let i = 0; i < s; i++) {
    ctx.clock.advance(1000);
    readings.push(await ctx.inv.read());
    findings.push(ctx.inv.last.rt.gridAdvice);
  }
  return { readings, findings };
}

const gridAdvice = (texts) => texts.filter((t) => /grid register/.test(t));

describe('Sofar grid register advice (issue 11)', () => {
  it('no advice after a mode change by another client, though single blocks look like s32', async () => {
    const ctx = setup({ otherBatteryW: -1550 });
    ctx.sim.setMode('discharge', 2000);
    await pollFor(ctx, 20);
    ctx.sim.setMode('auto'); // what `home-energy sofar mode auto` does through its own connection
    const { readings, findings } = await pollFor(ctx, 180);
    // The transient the old per-block check acted on is there: the grid settles at 0 W and s32 "fits".
    assert.ok(readings.slice(-10).every((r) => r.gridPower === 0), 'the auto mode holds the grid at 0 W');
    assert.ok(findings.filter((f) => f && f.type === 's32').length > 100, 'blocks whose finding is s32');
    assert.deepEqual(gridAdvice(ctx.warnings), []);
    assert.deepEqual(readings.flatMap((r) => gridAdvice(r.warnings ?? [])), []);
    assert.equal(ctx.inv.gridCheck.s32RuledOut, true, 'the earlier blocks ruled s32 out');
    await ctx.sim.stop();
  });

  it('no advice right after a command of ours or a power step, even before s32 is ruled out', () => {
    const check = new sofar.GridRegisterCheck();
    const finding = { gridAdvice: { type: 's32', text: 'set "grid register" to s32' }, notS32: false, acPower: -1000 };
    let t = 0;
    check.changed(t); // our command
    for (; t < 29_000; t += 1000) assert.equal(check.observe(finding, t), undefined, `t=${t}`);
    // Settled: five blocks over ≥ 30 s are needed from here.
    const given = [];
    for (; t < 120_000; t += 1000) if (check.observe(finding, t)) given.push(t);
    assert.equal(given[0], 60_000, 'advice 30 s after the settle time ended');
    // A step of the battery's power (a command from elsewhere) starts over.
    assert.equal(check.observe({ ...finding, acPower: 500 }, t), undefined);
    assert.equal(check.observe({ ...finding, acPower: 500 }, t + 1000), undefined);
    // A block with another finding (or none) breaks the streak.
    const c2 = new sofar.GridRegisterCheck({ settleMs: 0, minSpanMs: 4000, minReadings: 5 });
    const seq = [finding, finding, { ...finding, gridAdvice: null }, finding, finding, finding, finding, finding];
    const out = seq.map((f, i) => c2.observe(f, i * 1000));
    assert.deepEqual(out.map((x) => !!x), [false, false, false, false, false, false, false, true]);
    // One block whose upper word is not 0 / 0xFFFF rules s32 out for good.
    c2.observe({ gridAdvice: null, notS32: true, acPower: -1000 }, 9000);
    for (let i = 10; i < 60; i++) assert.equal(c2.observe(finding, i * 1000), undefined);
  });

  it('a firmware that encodes 0x0212 as s32 gets the advice once it has persisted, once as a log warning', async () => {
    const ctx = setup({ load: 500, pv: 1000, simGrid: 's32' });
    ctx.sim.setMode('standby');
    const first = await pollFor(ctx, 25);
    assert.ok(first.findings.every((f) => f && f.type === 's32'), 'every block fits s32');
    assert.deepEqual(gridAdvice(ctx.warnings), [], 'not before 30 s');
    const later = await pollFor(ctx, 60);
    const texts = gridAdvice(ctx.warnings);
    assert.equal(texts.length, 1, 'logged once');
    assert.match(texts[0], /^grid power 0 W does not match load − PV − battery = -500 W; as s32 the register gives -500 W: set "grid register" to s32$/);
    assert.ok(later.readings.at(-1).warnings.includes(texts[0]), 'and in the reading while it holds');
    await ctx.sim.stop();
  });
});
