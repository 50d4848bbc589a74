'use strict';
// The battery planner (lib/control/planner): small problems with known optima (one a greedy
// cheapest/dearest rule gets wrong), losses and wear that make cycling unprofitable, PV shifting,
// inputs that look infeasible (empty battery, unknown SoC, missing prices, NaN forecasts), plan
// hysteresis, the kept slot, the grid-target messages, and the end value (the last known day repeated).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const dist = path.join(__dirname, '../../dist');
const D = require(path.join(dist, 'lib/control/planner/dp'));
const P = require(path.join(dist, 'lib/control/planner/planner'));

const Q = 15 * 60_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);
/** 1 kWh battery that fills or empties in one 15-min slot, lossless, no wear, SoC 0–100 %. */
const ideal = { capacityWh: 1000, chargeW: 4000, dischargeW: 4000, etaCharge: 1, etaDischarge: 1, minSocPct: 0, maxSocPct: 100, wearEurPerKWh: 0 };
const slots = (prices, extra = {}) => prices.map((p, i) => ({ start: T0 + i * Q, end: T0 + (i + 1) * Q, importPrice: p, exportPrice: p, pvW: 0, loadW: 0, ...(typeof extra === 'function' ? extra(i) : extra) }));

describe('planBattery: known optima', () => {
  it('buy low, sell high: −0.2 EUR on prices 0.1 then 0.3', () => {
    const p = D.planBattery(slots([0.1, 0.3]), ideal, 0, { finalValue: 0 });
    close(p.costEur, 0.1 - 0.3);
    assert.deepEqual(p.slots.map((s) => s.action), ['charge-grid', 'discharge-grid']);
    assert.deepEqual(p.slots.map((s) => Math.round(s.batteryW)), [-4000, 4000]);
  });
  it('order matters (a greedy cheapest/dearest pairing would discharge first from an empty battery): 0.3, 0.1, 0.2 → −0.1', () => {
    const p = D.planBattery(slots([0.3, 0.1, 0.2]), ideal, 0, { finalValue: 0 });
    close(p.costEur, -0.1);
    assert.deepEqual(p.slots.map((s) => s.action), ['hold', 'charge-grid', 'discharge-grid']);
  });
  it('two cycles when the battery is small: 0.1, 0.3, 0.1, 0.3 → −0.4', () => {
    close(D.planBattery(slots([0.1, 0.3, 0.1, 0.3]), ideal, 0, { finalValue: 0 }).costEur, -0.4);
  });
  it('losses and wear: a spread below 1/η² − 1 plus wear is not cycled', () => {
    const b = { ...ideal, etaCharge: 0.95, etaDischarge: 0.95 };
    const flat = D.planBattery(slots([0.2, 0.22]), b, 0, { finalValue: 0 });
    assert.deepEqual(flat.slots.map((s) => s.action), ['hold', 'hold']);
    const wide = D.planBattery(slots([0.2, 0.3]), b, 0, { finalValue: 0 });
    assert.equal(wide.slots[0].action, 'charge-grid');
    // 0.95 kWh stored from 1 kWh bought, 0.9025 kWh sold
    close(wide.costEur, 0.2 - 0.9025 * 0.3, 1e-9);
    const worn = D.planBattery(slots([0.2, 0.3]), { ...b, wearEurPerKWh: 0.09 }, 0, { finalValue: 0 });
    assert.deepEqual(worn.slots.map((s) => s.action), ['hold', 'hold']);
  });
  it('PV surplus is stored for the evening load instead of exported at 0', () => {
    const s = slots([0.3, 0.3], (i) => (i === 0 ? { pvW: 2000, exportPrice: 0 } : { loadW: 2000 }));
    const p = D.planBattery(s, ideal, 0, { finalValue: 0 });
    assert.deepEqual(p.slots.map((x) => x.action), ['charge-pv', 'balance']);
    close(p.costEur, 0);
    close(p.noBatteryCostEur, 0.15);
    close(p.savingEur, 0.15);
  });
});

describe('planBattery: the capacity tariff', () => {
  it('with a month peak of 1 kW and 5 EUR/kW the cheap slot charges only up to the peak; the rest at the next price: −0.125 instead of −0.2', () => {
    const free = D.planBattery(slots([0.1, 0.2, 0.2, 0.2, 0.3]), ideal, 0, { finalValue: 0 });
    close(free.costEur, -0.2);
    const capped = D.planBattery(slots([0.1, 0.2, 0.2, 0.2, 0.3]), { ...ideal, capacityRateEurPerKW: 5, monthPeakW: 1000 }, 0, { finalValue: 0 });
    close(capped.costEur, -0.125, 1e-6);
    assert.ok(capped.slots.every((x) => x.gridW <= 1000 + 1e-6), JSON.stringify(capped.slots.map((x) => x.gridW)));
    assert.equal(capped.slots[4].action, 'discharge-grid');
    const pl = new P.BatteryPlanner({ ...ideal, capacityRateEurPerKW: 5 });
    assert.equal(pl.setMonthPeak(1000), true);
    assert.equal(pl.setMonthPeak(1000), false, 'unchanged');
    close(pl.replan(slots([0.1, 0.2, 0.2, 0.2, 0.3]), 0, T0, 0).plan.costEur, -0.125, 1e-6);
  });
});

describe('planBattery: inputs that look infeasible still give a safe plan', () => {
  const b = { ...ideal, minSocPct: 5 };
  it('an empty battery below the window starts at the minimum; an unknown SoC too', () => {
    const p = D.planBattery(slots([0.3, 0.1]), b, 0, { finalValue: 0 });
    assert.equal(p.slots[0].socStartPct, 5);
    assert.equal(p.slots[0].action, 'hold');
    const q = D.planBattery(slots([0.3]), b, NaN);
    assert.equal(q.slots[0].socStartPct, 5);
    assert.match(q.warnings[0], /SoC unknown/);
  });
  it('prices missing for part of the horizon: planned up to there, with a warning', () => {
    const p = D.planBattery(slots([0.1, 0.3, NaN, 0.5]), ideal, 0, { finalValue: 0 });
    assert.equal(p.slots.length, 2);
    assert.match(p.warnings[0], /no price from/);
  });
  it('a NaN or negative forecast counts as 0; no slots give an empty plan', () => {
    const p = D.planBattery(slots([0.1, 0.3], (i) => ({ pvW: i ? NaN : -5, loadW: NaN })), ideal, 50, { finalValue: 0 });
    assert.equal(p.slots.length, 2);
    assert.ok(p.slots.every((s) => Number.isFinite(s.gridW) && Number.isFinite(s.batteryW)));
    assert.ok(p.warnings.some((w) => /taken as 0/.test(w)));
    const none = D.planBattery([], ideal, 50);
    assert.deepEqual([none.slots.length, none.costEur], [0, 0]);
  });
  it('the SoC window and power limits hold on random inputs', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const bat = { capacityWh: 10_000, chargeW: 2200, dischargeW: 1700, etaCharge: 0.95, etaDischarge: 0.95, minSocPct: 5, maxSocPct: 100, wearEurPerKWh: 0.09 };
    for (let run = 0; run < 20; run++) {
      const s = slots(Array.from({ length: 96 }, () => rnd() * 0.6 - 0.1), () => ({ pvW: rnd() * 5000, loadW: rnd() * 3000 }));
      const p = D.planBattery(s, bat, rnd() * 100);
      for (const x of p.slots) {
        assert.ok(x.socEndPct >= 5 - 1e-9 && x.socEndPct <= 100 + 1e-9);
        assert.ok(x.batteryW <= 1700 + 1e-6 && x.batteryW >= -2200 - 1e-6);
      }
    }
  });
});

describe('BatteryPlanner: hysteresis, the kept slot, grid targets', () => {
  const b = { ...ideal, minImprovementEur: 0.05 };
  it('a plan that would change the next slot for only a little is not adopted; a cheaper one that starts the same, or a clearly better one, is', () => {
    const pl = new P.BatteryPlanner(b);
    assert.equal(pl.replan(slots([0.1, 0.3, 0.2, 0.2]), 0, T0).changed, true);
    // the best plan now holds in the next slot instead of charging, for 0.03 EUR: kept
    const small = pl.replan(slots([0.2, 0.2, 0.2, 0.23]), 0, T0);
    assert.equal(small.changed, false);
    assert.match(small.reason, /kept: a new plan would save only 0\.03 EUR/);
    assert.equal(pl.plan.slots[0].action, 'charge-grid');
    // slightly cheaper, and the next slot still charges: taken, and not counted as a change
    const same = pl.replan(slots([0.1, 0.3, 0.2, 0.23]), 0, T0);
    assert.equal(same.changed, true);
    assert.equal(pl.changes, 0);
    const big = pl.replan(slots([0.1, 0.3, 0.1, 0.6]), 0, T0);
    assert.equal(big.changed, true);
    assert.equal(pl.plan.slots[2].action, 'charge-grid');
    assert.equal(pl.changes, 0, 'the next slot still charges: not a change of what the battery does');
    assert.equal(pl.replan(slots([0.5, 0.3, 0.1, 0.6]), 0, T0).changed, true);
    assert.equal(pl.changes, 1);
  });
  it('the slot being executed is kept when a new plan arrives mid-slot', () => {
    const pl = new P.BatteryPlanner({ ...b, minImprovementEur: 0 });
    pl.replan(slots([0.1, 0.3]), 0, T0);
    assert.equal(pl.slotAt(T0 + 1000).action, 'charge-grid');
    pl.replan(slots([0.5, 0.3]), 0, T0 + 2000);
    assert.equal(pl.slotAt(T0 + 3000).action, 'charge-grid');
    assert.equal(pl.slotAt(T0 + Q).start, T0 + Q);
  });
  it('grid targets: point target when trading with the grid, 0 when balancing, the net load to hold', () => {
    const p = D.planBattery(slots([0.3, 0.1, 0.2, 0.3], (i) => ({ loadW: i === 3 ? 500 : 0 })), ideal, 0, { finalValue: 0 });
    const t = p.slots.map((s) => P.gridTargetOf(s));
    assert.deepEqual(t[0], { kind: 'grid-target', minW: 0, maxW: 0, until: T0 + Q, reason: 'plan hold 0 W' });
    assert.deepEqual(P.gridTargetOf({ ...p.slots[0], gridW: 640 }, 100), { kind: 'grid-target', minW: 540, maxW: 740, until: T0 + Q, reason: 'plan hold 0 W' });
    const bal = P.gridTargetOf({ ...p.slots[3], action: 'balance' });
    assert.deepEqual([bal.minW, bal.maxW], [0, 0]);
    assert.deepEqual([t[1].minW, t[1].maxW], [4000, 4000]);
    assert.equal(t[1].until, T0 + 2 * Q);
    assert.ok(p.slots.every((s) => s.end - s.start === Q));
  });
});

describe('the energy left at the end: the last known day repeated for ever', () => {
  const day = (prices) => slots(prices);
  it('periodicEndCost: with a spread that pays, stored energy is worth the cheap price it saves buying (0.1 of 0.1 / 0.3)', () => {
    // 1 kWh, levels 0 / 0.5 / 1 kWh; each day buys at 0.1 and sells at 0.3: energy at the day's start saves buying it
    const h = D.periodicEndCost(day([0.1, 0.3]), ideal, 500, 3);
    assert.deepEqual(Array.from(h).map((x) => Math.round(x * 1e9) / 1e9), [0, -0.05, -0.1]);
  });
  it('periodicEndCost: with a spread below the wear, stored energy is worth the dear price less wear (0.22 − 0.09)', () => {
    const h = D.periodicEndCost(day([0.2, 0.22]), { ...ideal, wearEurPerKWh: 0.09 }, 500, 3);
    assert.deepEqual(Array.from(h).map((x) => Math.round(x * 1e9) / 1e9), [0, -0.065, -0.13]);
    assert.deepEqual(Array.from(D.periodicEndCost([], ideal, 500, 3)), [0, 0, 0]);
  });
  it('endCostOf: linear between levels, or at finalValue without an end cost', () => {
    const end = { loWh: 0, stepWh: 500, costEur: [0, -0.05, -0.1] };
    close(D.endCostOf({ end, finalValue: 0 }, 0, 750), -0.075);
    close(D.endCostOf({ end, finalValue: 0 }, 1000, 250), 0.075);
    close(D.endCostOf({ end, finalValue: 0 }, 0, 5000), -0.1, 1e-12);
    close(D.endCostOf({ finalValue: 0.2 }, 0, 500), -0.1);
  });
  it('a price just under the median × ηd is not bought when the repeated day cannot sell it dearer than its wear allows', () => {
    // median 0.11, cheapest 0.096, dearest 0.146: with 0.09 EUR/kWh wear a stored kWh earns 0.056 at most
    const prices = Array.from({ length: 96 }, (_, i) => (i < 8 ? 0.096 : i >= 72 && i < 80 ? 0.146 : 0.11));
    const b = { ...ideal, capacityWh: 2000, chargeW: 1000, dischargeW: 1000, wearEurPerKWh: 0.09 };
    const periodic = new P.BatteryPlanner({ ...b, minImprovementEur: 0 }).replan(slots(prices), 0, T0).plan;
    assert.ok(periodic.slots.every((x) => x.action === 'hold'), periodic.slots.map((x) => x.action).join());
    const median = new P.BatteryPlanner({ ...b, minImprovementEur: 0, periodicEnd: false }).replan(slots(prices), 0, T0).plan;
    assert.equal(median.slots[0].action, 'charge-grid', 'valued at the median × ηd it buys');
    // and a full battery keeps its energy: selling it at 0.146 − wear is below the median × ηd
    const full = new P.BatteryPlanner({ ...b, minImprovementEur: 0 }).replan(slots(prices), 100, T0).plan;
    close(full.slots[95].socEndPct, 100, 1e-6);
  });
  it('lastDay: the last 24 h, nothing under 24 h known', () => {
    const d = slots(Array.from({ length: 120 }, () => 0.1));
    assert.equal(P.lastDay(d).length, 96);
    assert.equal(P.lastDay(d)[0].start, d[24].start);
    assert.equal(P.lastDay(d.slice(0, 95)).length, 0);
    assert.equal(P.lastDay([]).length, 0);
  });
  it('energy bought today is kept for tomorrow morning when the repeated day says it will be dear', () => {
    // known: one day, dear in its first quarter-hours, cheap after; the day after repeats it, so
    // charging in the cheap end of today pays off tomorrow morning. Valued at the median price the
    // battery buys less.
    const prices = Array.from({ length: 96 }, (_, i) => (i < 8 ? 0.5 : 0.1));
    const b = { ...ideal, capacityWh: 2000, chargeW: 1000, dischargeW: 1000 };
    const withDay = new P.BatteryPlanner({ ...b, minImprovementEur: 0 }).replan(slots(prices), 0, T0).plan;
    const without = new P.BatteryPlanner({ ...b, minImprovementEur: 0, periodicEnd: false }).replan(slots(prices), 0, T0).plan;
    assert.equal(withDay.slots.length, 96);
    close(withDay.slots[95].socEndPct, 100, 1e-6);
    assert.ok(without.slots[95].socEndPct < 100, `valued at the median it ends at ${without.slots[95].socEndPct} %`);
    // 2 kWh bought at 0.1, worth 0.5 each tomorrow morning: −0.8 EUR
    close(withDay.costEur, 0.2 - 1.0, 1e-9);
    close(withDay.savingEur, withDay.noBatteryCostEur - withDay.costEur, 1e-9);
  });
});

describe('grid-targets for zero export: source, the floating hold, capacity rate per year, several batteries', () => {
  const I = require(path.join(dist, 'lib/control/planner/inputs'));
  const { ZeroExportController } = require(path.join(dist, 'lib/control/zero-export/controller'));
  const { BatteryPlant } = require(path.join(dist, 'lib/sim/battery'));
  const holdSlot = { start: T0, end: T0 + Q, batteryW: 0, gridW: 400, socStartPct: 50, socEndPct: 50, action: 'hold', costEur: 0 };

  it('every grid-target names its source; hold with Infinity is the widest band a grid-target carries (±100 kW)', () => {
    const src = 'battery-planner:abc';
    assert.deepEqual(P.gridTargetOf(holdSlot, Infinity, src), { kind: 'grid-target', minW: -100000, maxW: 100000, until: T0 + Q, reason: 'plan hold 0 W', source: src });
    assert.deepEqual(P.gridTargetOf(holdSlot, 0, src), { kind: 'grid-target', minW: 400, maxW: 400, until: T0 + Q, reason: 'plan hold 0 W', source: src });
    assert.equal(P.gridTargetOf({ ...holdSlot, action: 'balance' }, Infinity, src).source, src);
    assert.equal(P.gridTargetOf({ ...holdSlot, action: 'charge-grid', batteryW: -2000, gridW: 2400 }, Infinity, src).minW, 2400);
    assert.equal(P.gridTargetOf(holdSlot).source, undefined, 'the library default (the benchmark) carries none');
    // the node's parameters: the source, the floating hold unless a band is set, the rate per year ÷ 12, the 2.5 kW floor
    const c = { capacityWh: 10000, chargeW: 2200, dischargeW: 1700, efficiency: 95, minSoc: 5, maxSoc: 100, cycles: 6000, dod: 90, minImprovement: 0.01, capacityRate: 49.4 };
    const p = I.plannerParams(c, src);
    assert.deepEqual([p.source, p.holdBandW, p.capacityRateEurPerKW, p.monthPeakW], [src, Infinity, 49.4 / 12, 2500]);
    assert.equal(I.plannerParams({ ...c, holdBandW: 300 }).holdBandW, 300);
    const pl = new P.BatteryPlanner(p);
    pl.replan([{ start: T0, end: T0 + Q, importPrice: 0.3, exportPrice: 0.3, pvW: 0, loadW: 400 }], 50, T0);
    assert.deepEqual(pl.targetAt(T0), { kind: 'grid-target', minW: -100000, maxW: 100000, until: T0 + Q, reason: 'plan hold 0 W', source: src });
  });

  /** Zero export in closed loop with one battery for 60 s: load `loadW`, the planner's hold band refreshed every 5 s, and optionally peak shaving's band. */
  function follow(hold, loadW, other) {
    const plant = new BatteryPlant({ latencyMs: 1000, rampWPerS: 2000, socPct: 50, minSocPct: 0 });
    const ctl = new ZeroExportController({ units: [{ id: 'b1' }] });
    let state;
    for (let t = 0; t <= 60000; t += 250) {
      const g = loadW - plant.advance(t);
      const inputs = { meter: { power: g, timestamp: t } };
      if (t % 1000 === 0) inputs.units = { b1: { power: plant.powerW, soc: plant.socPct, state: 'ready', limits: { maxChargeW: plant.maxChargeW, maxDischargeW: plant.maxDischargeW }, capacityWh: plant.capacityWh, timestamp: t } };
      const r = ctl.step(inputs, t);
      if (t % 5000 === 0) {
        ctl.step({ gridTarget: { ...hold, until: undefined } }, t);
        if (other) ctl.step({ gridTarget: other }, t);
      }
      for (const c of r.commands) plant.command(c.release ? 0 : c.power, t);
      state = ctl.state(t);
    }
    return state;
  }

  it('hold: the load forecast says 400 W, the house draws 1500 W; the floating band leaves the battery idle, a point target would discharge 1100 W', () => {
    const floating = follow(P.gridTargetOf(holdSlot, Infinity, 'battery-planner:x'), 1500);
    assert.equal(floating.totalSetpointW, 0);
    assert.equal(floating.gridW, 1500);
    const point = follow(P.gridTargetOf(holdSlot, 0, 'battery-planner:x'), 1500);
    assert.ok(Math.abs(point.totalSetpointW - 1100) <= 30, `point target: ${point.totalSetpointW} W`);
  });

  it("with peak shaving's band from its own source both are held: the intersection, the battery discharges only to keep the grid under peak shaving's limit", () => {
    const ps = { kind: 'grid-target', minW: 0, maxW: 1000, reason: 'peak shaving', source: 'peak-shaving:p' };
    const s = follow(P.gridTargetOf(holdSlot, Infinity, 'battery-planner:x'), 1500, ps);
    assert.deepEqual([s.band.minW, s.band.maxW], [0, 1000]);
    assert.ok(Math.abs(s.totalSetpointW - 500) <= 30, `${s.totalSetpointW} W`);
  });

  it('several batteries: SoC weighted by capacity when all report one, else the plain mean', () => {
    assert.equal(I.combinedSoc([]), undefined);
    close(I.combinedSoc([{ soc: 20, capacityWh: 5000 }, { soc: 80, capacityWh: 15000 }]), 65);
    close(I.combinedSoc([{ soc: 20, capacityWh: 5000 }, { soc: 80 }]), 50);
    const r = I.plannerInput({ payload: { kind: 'battery', serial: 's2', soc: 40, power: 100, capacityWh: 5200, timestamp: 5 } });
    assert.deepEqual(r, { what: 'battery', source: 's2', soc: 40, w: 100, at: 5, capacityWh: 5200 });
  });

  it("a peak-shaving state gives the peak, its account's rate (EUR/kW/year) and floor; a missing account gives the peak alone", () => {
    const account = { months: [], billedMeanW: 3100, floorW: 2500, rateEurPerKWYear: 54.2, costPerYearEur: 168.02, costPerMonthEur: 14 };
    assert.deepEqual(I.plannerInput({ payload: { kind: 'peak-shaving-state', monthPeakW: 3400, account } }), { what: 'peak', peakW: 3400, rateEurPerKWYear: 54.2, floorW: 2500 });
    assert.deepEqual(I.plannerInput({ payload: { kind: 'peak-shaving-state', monthPeakW: 3400, account: { ...account, rateEurPerKWYear: null } } }), { what: 'peak', peakW: 3400, floorW: 2500 });
    assert.deepEqual(I.plannerInput({ payload: { kind: 'peak-shaving-state', monthPeakW: 3400 } }), { what: 'peak', peakW: 3400 });
    assert.match(I.plannerInput({ payload: { kind: 'peak-shaving-state', monthPeakW: -1 } }).error, /monthPeakW/);
  });
});

describe('plannerInput refuses values a broken sender makes (the message-fuzz cases)', () => {
  const I = require(path.join(dist, 'lib/control/planner/inputs'));
  const slot = (o) => ({ payload: { kind: 'tariff', slots: [{ start: T0, end: T0 + Q, importPrice: 0.2, exportPrice: 0.05, ...o }] } });
  it('prices beyond ±100 EUR/kWh, a slot ending before its start, powers beyond ±100 kW, a kind or topic without toString', () => {
    assert.match(I.plannerInput(slot({ importPrice: 8.64e15 })).error, /payload\.slots\[0\]\.importPrice \/ exportPrice: must be within ±100 EUR\/kWh/);
    assert.match(I.plannerInput(slot({ end: -0.025 })).error, /payload\.slots\[0\]\.end: must be after its start/);
    assert.equal(I.plannerInput(slot({ importPrice: -100 })).what, 'prices');
    assert.match(I.plannerInput({ topic: 'pv', payload: 1e21 }).error, /topic "pv" needs a number \(W, within ±100000\)/);
    assert.match(I.plannerInput({ topic: 'grid', payload: -1e21 }).error, /topic "grid"/);
    assert.match(I.plannerInput({ payload: { kind: 'pv-forecast', slots: [{ start: T0, w: 1e21 }] } }).error, /payload\.slots\[0\]\.w/);
    assert.match(I.plannerInput({ payload: { kind: 'load-forecast', slots: [{ start: T0, end: T0 - 1, w: 300 }] } }).error, /payload\.slots\[0\]\.end/);
    assert.match(I.plannerInput({ payload: { kind: 'battery', soc: 50, power: 8.64e15 } }).error, /payload\.power/);
    assert.match(I.plannerInput({ payload: { kind: 'meter', power: 1e308 } }).error, /payload\.power/);
    assert.match(I.plannerInput({ topic: 'peak', payload: 1e21 }).error, /topic "peak"/);
    assert.match(I.plannerInput({ payload: { kind: 'peak-shaving-state', monthPeakW: 1e21 } }).error, /payload\.monthPeakW: must be a number 0–100000/);
    const noToString = Object.create(null);
    assert.match(I.plannerInput({ payload: { kind: noToString } }).error, /^payload\.kind: "object" is not/);
    assert.deepEqual(I.plannerInput({ topic: noToString, payload: { kind: 'battery', soc: 50 } }, 7), { what: 'battery', source: 'object', soc: 50, w: 0, at: 7 });
  });
});
