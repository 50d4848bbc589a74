'use strict';
// EV charging controller in virtual time: every mode, start delay, hold and wait, automatic phases
// with band, interval and cap, fuse and imbalance limits (property test over random loads), the
// stale-meter fail safe, grid-limit with its failsafe, the battery policy, Time Mode across
// midnight and a DST change, one-shot overrides.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { EvChargingController } = require(path.join(__dirname, '../../dist/lib/control/ev-charging/controller'));
const { mulberry32 } = require('../helpers');

const V = 230;

/**
 * A tiny site: house load and PV (W, functions of t in s), a car that draws exactly what the last
 * command allows (on L1 for one phase), a meter every `periodS`. Steps the controller every second.
 */
function site(params, o = {}) {
  const c = new EvChargingController({ startDelayS: 0, ...params });
  const st = { t: 0, sp: null, phases: 3, log: [], commands: [] };
  const t0 = Date.UTC(2026, 5, 10, 10);
  const carPhases = o.carPhases ?? 3;
  const carA = () => (st.sp && st.sp.enabled ? st.sp.currentA : 0);
  const phasesNow = () => (st.sp?.phases ?? 3) === 1 || carPhases === 1 ? 1 : 3;
  const carW = () => carA() * V * phasesNow();
  const run = (seconds, load = () => o.load ?? 500, pv = () => o.pv ?? 0, extra = {}) => {
    for (let i = 0; i < seconds; i++) {
      st.t++;
      const now = t0 + st.t * 1000;
      const houseW = load(st.t);
      const grid = houseW - pv(st.t) + carW();
      const ph = phasesNow();
      const houseA = (o.houseA ?? [houseW / 3 / V, houseW / 3 / V, houseW / 3 / V]).map((x) => (typeof x === 'function' ? x(st.t) : x));
      const carPh = ph === 3 ? [carA(), carA(), carA()] : [carA(), 0, 0];
      const inputs = {
        charger: { state: o.unplugged ? 'idle' : carA() > 0 ? 'charging' : 'connected', power: carW(), currents: carPh, activePhases: ph, maxCurrentA: o.chargerMaxA ?? 16, minCurrentA: 6, phaseOptions: o.phaseOptions ?? [1, 3], timestamp: now },
        ...(st.t % (o.periodS ?? 1) === 0 && !o.meterDead ? { meter: { power: grid, currents: houseA.map((h, k) => h + carPh[k]), timestamp: now } } : {}),
        ...(typeof extra === 'function' ? extra(st.t, now) : extra),
      };
      const r = c.step(inputs, now);
      if (r.command) {
        st.sp = r.command;
        st.commands.push({ t: st.t, ...r.command });
      }
      st.log.push({ t: st.t, grid, carW: carW(), state: r.state, reasons: r.reasons, houseA, carPh });
    }
    return st.log.at(-1);
  };
  return { c, st, run, t0 };
}

test('solar-pure: starts when the surplus covers the 3-phase minimum, follows it, and imports nothing while following', () => {
  const s = site({ mode: 'solar-pure', phaseUsage: 'automatic' });
  let last = s.run(120, () => 500, () => 7500);
  assert.equal(last.state.phase, 'charging');
  assert.equal(last.state.phases, 3);
  assert.ok(Math.abs(last.carW - 7000) < 3 * V * 0.5, `car ${last.carW} W follows the 7 kW surplus`);
  assert.ok(last.grid <= 50, `grid ${last.grid} W`);
  assert.equal(last.state.counters.starts, 1);
  last = s.run(60, () => 500, () => 5000);
  assert.ok(Math.abs(last.carW - 4500) < 3 * V, `down with the surplus: ${last.carW} W`);
  assert.ok(last.grid <= 100);
});

test('solar-pure: start delay, hold the minimum 5 min, then wait 8 min before a restart', () => {
  const s = site({ mode: 'solar-pure', phaseUsage: 'single', startDelayS: 60, holdDeepPct: 0, holdImportWh: 0 });
  s.run(59, () => 300, () => 3000);
  assert.equal(s.st.sp?.enabled ?? false, false, 'no start before the delay');
  s.run(2, () => 300, () => 3000);
  assert.equal(s.st.sp.enabled, true);
  // Surplus gone: the minimum (6 A) for 300 s, then a pause.
  s.run(299, () => 300, () => 0);
  assert.equal(s.st.sp.enabled, true);
  assert.equal(s.st.sp.currentA, 6);
  assert.equal(s.st.log.at(-1).state.binding, 'hold');
  // The hold starts when the surplus falls below the minimum (a falling surplus is followed at once).
  s.run(3, () => 300, () => 0);
  assert.equal(s.st.sp.enabled, false);
  assert.equal(s.st.log.at(-1).state.phase, 'waiting');
  // The surplus returns at once: no restart during the 480 s wait.
  s.run(470, () => 300, () => 3000);
  assert.equal(s.st.sp.enabled, false);
  s.run(80, () => 300, () => 3000);
  assert.equal(s.st.sp.enabled, true, 'restart after the wait (and the start delay)');
  assert.equal(s.st.log.at(-1).state.counters.starts, 2);
});

test('solar-pure: a shallow cloud is held for the full 5 min; a deeper one until the hold has taken 30 Wh; a deep one (averaged surplus < 40 % of the minimum) pauses at once', () => {
  const shallow = site({ mode: 'solar-pure', phaseUsage: 'single' });
  shallow.run(60, () => 300, () => 3000);
  // 1.1 kW surplus (80 % of the 1.38 kW minimum): 0.28 kW from the grid, 23 Wh in 5 min: the whole hold.
  shallow.run(299, () => 300, () => 1400);
  assert.equal(shallow.st.sp.enabled, true);
  assert.equal(shallow.st.log.at(-1).state.binding, 'hold');
  shallow.run(3, () => 300, () => 1400);
  assert.equal(shallow.st.sp.enabled, false, 'paused after the hold');
  // 0.7 kW surplus (51 %): 0.68 kW from the grid: 30 Wh after 159 s, then a pause.
  const mid = site({ mode: 'solar-pure', phaseUsage: 'single' });
  mid.run(60, () => 300, () => 3000);
  const tm = mid.st.t;
  mid.run(300, () => 300, () => 1000);
  const midOff = mid.st.commands.find((c) => c.t > tm && !c.enabled);
  assert.ok(midOff && midOff.t - tm >= 155 && midOff.t - tm <= 165, `paused ${midOff && midOff.t - tm} s into the hold`);
  assert.match(mid.st.log.find((l) => l.t === midOff.t).reasons.join(' '), /hold took 30 Wh from the grid/);
  const deep = site({ mode: 'solar-pure', phaseUsage: 'single' });
  deep.run(60, () => 300, () => 3000);
  // Sun gone: the averaged surplus (60 s time constant) falls from 2.7 kW below 0.55 kW within
  // 60 × ln(3000 / 852) ≈ 76 s; then a pause without waiting out the hold.
  const t0 = deep.st.t;
  deep.run(120, () => 300, () => 0);
  const off = deep.st.commands.find((c) => c.t > t0 && !c.enabled);
  assert.ok(off, 'paused');
  assert.ok(off.t - t0 >= 70 && off.t - t0 <= 82, `paused ${off.t - t0} s after the sun went`);
  const imported = deep.st.log.filter((l) => l.t > t0).reduce((w, l) => w + Math.max(0, l.grid), 0) / 3600;
  assert.ok(imported < 45, `imported ${imported.toFixed(1)} Wh (a 5-min hold: 140 Wh)`);
  assert.equal(deep.st.log.at(-1).state.phase, 'waiting');
});

test('automatic phases: 1 phase at a small surplus; up at the 4.43 kW edge (3-phase minimum + 7 %) after 60 s; down below the 3.43 kW edge (1 kW band) after 30 s; ≥ 7 min apart', () => {
  const s = site({ mode: 'solar-pure', phaseUsage: 'automatic' });
  s.run(60, () => 0, () => 2500);
  assert.equal(s.st.sp.phases, 1);
  // 4.3 kW: above the 3-phase minimum (4140 W) but below the up edge (4430 W): stays on 1 phase.
  s.run(900, () => 0, () => 4300);
  assert.equal(s.st.sp.phases, 1, 'below the up edge: no switch');
  // 4.6 kW: the averaged surplus (60 s) passes the up edge, and 60 s later the car goes to 3 phases.
  const t1 = s.st.t;
  s.run(900, () => 0, () => 4600);
  const up = s.st.commands.find((c) => c.t > t1 && c.phases === 3);
  assert.ok(up, 'switched up');
  assert.ok(up.t - t1 >= 60 && up.t - t1 <= 60 + 150, `up ${up.t - t1} s after the rise`);
  assert.ok(Math.abs(s.st.log.at(-1).carW - 4600) <= 3 * V * 0.05 + 1e-6, 'on 3 phases the car takes the whole surplus (to the nearest 0.1 A)');
  // 3.6 kW: inside the band (above the 3.43 kW down edge): stays on 3 phases at the minimum, taking all the surplus.
  const tb = s.st.t;
  s.run(900, () => 0, () => 3600);
  assert.ok(!s.st.commands.some((c) => c.t > tb && c.phases === 1), 'inside the band: no switch');
  assert.equal(s.st.sp.currentA, 6);
  assert.equal(s.st.log.at(-1).state.phase, 'charging');
  // 3 kW: below the down edge: down 30 s after the averaged surplus passes it (and not before 7 min since the up switch).
  const t2 = s.st.t;
  s.run(600, () => 0, () => 3000);
  const down = s.st.commands.find((c) => c.t > t2 && c.phases === 1);
  assert.ok(down, 'switched down');
  assert.ok(down.t - up.t >= 420, `≥ 7 min between switches (${down.t - up.t} s)`);
  assert.ok(down.t - t2 >= 30 && down.t - t2 <= 30 + 120, `down ${down.t - t2} s after the drop`);
  assert.equal(s.st.log.at(-1).state.counters.phaseSwitches, 2);
  // A quick rise right after the down switch waits for the 7-min interval.
  s.run(600, () => 0, () => 6000);
  const up2 = s.st.commands.find((c) => c.t > down.t && c.phases === 3);
  assert.ok(up2 && up2.t - down.t >= 420, `next up ${up2 && up2.t - down.t} s after the down switch`);
});

test('automatic phases: the per-session cap and a car that must not be switched', () => {
  const s = site({ mode: 'solar-pure', phaseUsage: 'automatic', maxSwitchesPerSession: 1, minSwitchIntervalS: 0, upCheckS: 60, downAfterS: 60 });
  s.run(30, () => 0, () => 2500);
  s.run(200, () => 0, () => 7000);
  s.run(300, () => 0, () => 2500);
  assert.equal(s.st.log.at(-1).state.counters.phaseSwitches, 1);
  const n = site({ mode: 'solar-pure', phaseUsage: 'automatic', car: { switchable: false } });
  n.run(30, () => 0, () => 2500);
  n.run(2000, () => 0, () => 7000);
  assert.ok(n.st.commands.every((c) => c.phases === undefined), 'no phases in any command');
});

test('fuse property: over random house loads no phase exceeds fuse − margin, and the current is never below the minimum while charging', () => {
  const rnd = mulberry32(42);
  for (let trial = 0; trial < 40; trial++) {
    const fuse = 16 + Math.floor(rnd() * 20);
    const loads = [0, 1, 2].map(() => rnd() * fuse * 1.1);
    const swing = rnd() * 8;
    const s = site({ mode: rnd() < 0.5 ? 'power' : 'solar-plus', plusFloor: 'max', phaseUsage: rnd() < 0.5 ? 'automatic' : 'standard', fuseA: [fuse, fuse, fuse], imbalanceVA: 0 }, {
      houseA: loads.map((l, k) => (t) => Math.max(0, l + swing * Math.sin(t / (7 + k)))),
    });
    s.run(300, () => 1000, () => 0);
    for (const e of s.st.log.slice(2)) {
      const sp = e.carPh;
      if (!e.carPh.some((x) => x > 0)) continue;
      for (let k = 0; k < 3; k++) {
        // A phase the car does not use may be overloaded by the house alone: not the controller's doing.
        if (!sp[k]) continue;
        // The meter period is 1 s: the reading of this second is applied before the next.
        const total = e.houseA[k] + sp[k];
        assert.ok(total <= fuse - 1 + swing * 0.2 + 1e-6, `trial ${trial} t=${e.t} L${k + 1}: ${total.toFixed(2)} A > ${fuse - 1} A`);
      }
      assert.ok(Math.max(...sp) >= 6, `charging at ≥ 6 A (${sp})`);
    }
  }
});

test('phase imbalance: one-phase charging is held to 4.6 kVA (20 A) above the lightest phase', () => {
  const s = site({ mode: 'power', phaseUsage: 'single', fuseA: [63, 63, 63], maxCurrentA: 32 }, { houseA: [2, 0.5, 3], chargerMaxA: 32 });
  const last = s.run(30);
  assert.equal(last.state.binding, 'imbalance');
  assert.ok(Math.abs(s.st.sp.currentA - (20 + 0.5 - 2)) < 0.11, `current ${s.st.sp.currentA}`);
});

test('stale meter: minimum current (default) or pause, with the reason; recovers when the meter returns', () => {
  const s = site({ mode: 'power', phaseUsage: 'standard' });
  s.run(20);
  assert.equal(s.st.sp.currentA, 16);
  const s2 = site({ mode: 'power', phaseUsage: 'standard' }, { meterDead: false });
  s2.run(20);
  // Meter silent for 15 s.
  const c = s2.c;
  let r;
  for (let i = 1; i <= 15; i++) r = c.step({ charger: { state: 'charging', power: 11000, currents: [16, 16, 16], phaseOptions: [1, 3], timestamp: s2.t0 + (20 + i) * 1000 } }, s2.t0 + (20 + i) * 1000);
  assert.equal(r.state.phase, 'failsafe');
  assert.equal(r.state.setpoint.currentA, 6);
  assert.match(r.reasons[0], /meter .* old: minimum current 6 A/);
  const p = site({ mode: 'power', phaseUsage: 'standard', staleAction: 'pause' });
  p.run(20);
  for (let i = 1; i <= 15; i++) r = p.c.step({ charger: { state: 'charging', power: 11000, phaseOptions: [1, 3], timestamp: p.t0 + (20 + i) * 1000 } }, p.t0 + (20 + i) * 1000);
  assert.equal(r.state.setpoint.enabled, false);
  assert.match(r.reasons[0], /paused \(fail safe\)/);
});

test('grid-limit: binds while valid; without until it expires after 2 min of silence into the 10 kW failsafe for 7200 s', () => {
  const s = site({ mode: 'power', phaseUsage: 'standard' }, { load: 2000 });
  s.run(5, undefined, undefined, (t) => (t === 1 ? { gridLimit: { maxImportW: 8000 } } : {}));
  let last = s.run(10);
  assert.equal(last.state.binding, 'grid-limit');
  assert.ok(last.grid <= 8000, `grid ${last.grid}`);
  assert.equal(s.st.sp.currentA, Math.floor(((8000 - 2000) / (3 * V)) * 10) / 10);
  last = s.run(120);
  assert.equal(last.state.gridLimitW, 10000, 'source silent: failsafe');
  assert.match(last.reasons.join(' '), /failsafe/);
  last = s.run(7200);
  assert.equal(last.state.gridLimitW, null, 'failsafe over');
  assert.equal(s.st.sp.currentA, 16);
  const u = site({ mode: 'power', phaseUsage: 'standard' });
  u.run(2, undefined, undefined, (t, now) => (t === 1 ? { gridLimit: { maxImportW: 2000, until: now + 5000 } } : {}));
  assert.ok(u.st.sp.currentA < 6 || !u.st.sp.enabled || u.st.sp.currentA <= 2.2 + 6);
  u.run(10);
  assert.equal(u.st.log.at(-1).state.gridLimitW, null, 'until passed');
});

test('grid-limits of several sources combine: the lowest binds, each source replaces only its own, each expires alone', () => {
  const s = site({ mode: 'power', phaseUsage: 'standard' }, { load: 2000 });
  s.run(3, undefined, undefined, (t, now) =>
    t === 1 ? { gridLimit: { maxImportW: 9000, source: 'peak-shaving', until: now + 60_000 } } : t === 2 ? { gridLimit: { maxImportW: 7000, source: 'lpc', until: now + 20_000 } } : {},
  );
  let last = s.run(5);
  assert.equal(last.state.gridLimitW, 7000, 'the lower of 9000 and 7000');
  // peak shaving tightens its own limit: 6000 now binds; the LPC's 7000 is still there.
  // (site's t counts seconds from the start of the whole run)
  const once = (msg) => {
    const at = s.st.t + 1;
    return (t, now) => (t === at ? { gridLimit: { ...msg, until: now + 60_000 } } : {});
  };
  last = s.run(2, undefined, undefined, once({ maxImportW: 6000, source: 'peak-shaving' }));
  assert.equal(last.state.gridLimitW, 6000);
  // peak shaving relaxes to 9500: the LPC's 7000 binds again (a new limit of one source does not erase another's).
  last = s.run(2, undefined, undefined, once({ maxImportW: 9500, source: 'peak-shaving' }));
  assert.equal(last.state.gridLimitW, 7000);
  assert.equal(s.st.sp.currentA, Math.floor(((7000 - 2000) / (3 * V)) * 10) / 10);
  // The LPC's until passes: peak shaving's 9500 alone.
  last = s.run(15);
  assert.equal(last.state.gridLimitW, 9500);
  // Messages without a source are one sender: the second replaces the first.
  const u = site({ mode: 'power', phaseUsage: 'standard' }, { load: 2000 });
  last = u.run(3, undefined, undefined, (t) => (t === 1 ? { gridLimit: { maxImportW: 5000 } } : t === 2 ? { gridLimit: { maxImportW: 8000 } } : {}));
  assert.equal(last.state.gridLimitW, 8000);
});

test('a grid limit below the minimum pauses the car (the EV throttles first)', () => {
  const s = site({ mode: 'power', phaseUsage: 'standard' }, { load: 3000 });
  const last = s.run(5, undefined, undefined, { gridLimit: { maxImportW: 3500 } });
  assert.equal(s.st.sp.enabled, false);
  assert.match(last.reasons[0], /grid-limit .* < 6 A minimum: paused/);
});

test('battery policy: under "don\'t" a discharging home battery is not surplus; under "use" it is', () => {
  const bat = (t, now) => ({ battery: { power: 2000, soc: 60, timestamp: now } });
  const dont = site({ mode: 'solar-pure', phaseUsage: 'single', batteryPolicy: 'dont' });
  dont.run(30, () => 0, () => 0, bat);
  assert.equal(dont.st.log.at(-1).state.surplusW, -2000);
  assert.equal(dont.st.sp?.enabled ?? false, false);
  const use = site({ mode: 'solar-pure', phaseUsage: 'single', batteryPolicy: 'use' });
  use.run(30, () => 0, () => 2000, (t, now) => ({ battery: { power: -1500, soc: 50, timestamp: now } }));
  assert.equal(use.st.log.at(-1).state.surplusW <= 2000 + 1, true, 'a charging battery below the priority SoC keeps its power');
  const above = site({ mode: 'solar-pure', phaseUsage: 'single', prioritySoc: 40 });
  above.run(5, () => 0, () => 0, (t, now) => ({ battery: { power: -1500, soc: 50, timestamp: now } }));
  assert.equal(above.st.log.at(-1).state.surplusW, 1500, 'above the priority SoC its charge power is surplus');
});

test('solar-plus: the floor comes from grid + PV, surplus on top; a minimum surplus starts and stops it', () => {
  const s = site({ mode: 'solar-plus', phaseUsage: 'standard', plusFloor: 0.5 });
  let last = s.run(30, () => 500, () => 0);
  assert.equal(s.st.sp.enabled, true);
  assert.ok(Math.abs(last.carW - 5520) <= 3 * V * 0.1 + 1, `floor 50 % of 11 kW: ${last.carW} W`);
  last = s.run(150, () => 500, () => 9000);
  assert.ok(last.carW >= 8200, `surplus on top (rising surplus filtered with 30 s): ${last.carW} W`);
  const m = site({ mode: 'solar-plus', phaseUsage: 'standard', plusFloor: 0.5, plusMinSurplusPct: 60, holdS: 10, waitS: 10 });
  m.run(30, () => 500, () => 2000);
  assert.equal(m.st.sp?.enabled ?? false, false, 'surplus 1.5 kW < 60 % of 5.5 kW');
  m.run(90, () => 500, () => 4000);
  assert.equal(m.st.sp.enabled, true, 'surplus 3.5 kW ≥ 3.3 kW (after the 30 s rise filter)');
  m.run(60, () => 500, () => 0);
  assert.equal(m.st.sp.enabled, false, 'stops below the minimum surplus after the hold');
});

test('lock and power modes; a mode message with until, and until unplugged', () => {
  const s = site({ mode: 'lock' });
  s.run(5, () => 0, () => 8000);
  assert.equal(s.st.sp.enabled, false);
  s.run(1, undefined, undefined, (t, now) => ({ mode: { mode: 'power', until: now + 10_000 } }));
  s.run(5);
  assert.equal(s.st.sp.enabled, true);
  assert.equal(s.st.sp.currentA, 16);
  s.run(10);
  assert.equal(s.st.sp.enabled, false, 'back to lock after until');
  s.run(1, undefined, undefined, { mode: { mode: 'power', until: 'unplugged' } });
  s.run(3);
  assert.equal(s.st.sp.enabled, true);
  const r = s.c.step({ charger: { state: 'idle', power: 0, timestamp: s.t0 + 99_000_000 }, meter: { power: 0, timestamp: s.t0 + 99_000_000 } }, s.t0 + 99_000_000);
  assert.equal(r.state.override, null, 'unplugging ends the override');
  assert.equal(r.state.activeMode, 'lock');
});

test('time mode: weekday × hour in Europe/Amsterdam, across midnight and the spring DST change', () => {
  const table = Array.from({ length: 7 }, () => Array(24).fill(null));
  table[6][1] = 'lock'; // Sunday 01:00–02:00
  table[6][3] = 'power'; // Sunday 03:00–04:00 (02:00 does not exist on 2026-03-29)
  table[6][23] = 'power'; // Sunday 23:00
  table[0][0] = 'lock'; // Monday 00:00
  const c = new EvChargingController({ mode: 'time', timeTable: table, timeDefault: 'solar-pure' });
  assert.equal(c.activeMode(Date.UTC(2026, 2, 29, 0, 30)), 'lock', '01:30 CET');
  assert.equal(c.activeMode(Date.UTC(2026, 2, 29, 1, 30)), 'power', '03:30 CEST: one UTC hour later, two local hours');
  assert.equal(c.activeMode(Date.UTC(2026, 2, 29, 2, 30)), 'solar-pure', '04:30 CEST: empty cell → default');
  assert.equal(c.activeMode(Date.UTC(2026, 2, 29, 21, 30)), 'power', 'Sunday 23:30 CEST');
  assert.equal(c.activeMode(Date.UTC(2026, 2, 29, 22, 30)), 'lock', 'Monday 00:30 CEST, across midnight');
  // Autumn: 2026-10-25 02:00–03:00 happens twice; both are hour 2.
  table[6][2] = 'lock';
  assert.equal(c.activeMode(Date.UTC(2026, 9, 25, 0, 30)), 'lock');
  assert.equal(c.activeMode(Date.UTC(2026, 9, 25, 1, 30)), 'lock');
});

test('commands only on change (decreases at once, increases at most every 5 s, 0.1 A steps) and a refresh every 60 s', () => {
  const s = site({ mode: 'solar-pure', phaseUsage: 'standard' });
  s.run(300, () => 0, (t) => 6000 + (t % 20 < 10 ? 300 : -300));
  const incs = s.st.commands.filter((c, i, a) => i > 0 && c.currentA > a[i - 1].currentA);
  assert.ok(incs.length > 5);
  for (let i = 1; i < incs.length; i++) assert.ok(incs[i].t - incs[i - 1].t >= 5, 'increases ≥ 5 s apart');
  const decs = s.st.commands.filter((c, i, a) => i > 0 && c.currentA < a[i - 1].currentA);
  for (const d of decs) assert.equal(d.t % 20, 10, 'a decrease goes out the second the surplus falls');
  for (const c of s.st.commands) assert.equal(Math.round(c.currentA * 10), c.currentA * 10, '0.1 A steps');
  const q = site({ mode: 'power', phaseUsage: 'standard' });
  q.run(200);
  assert.deepEqual(q.st.commands.map((c) => c.t), [1, 61, 121, 181]);
});
