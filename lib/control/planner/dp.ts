/**
 * Battery planner: which energy the battery should store or deliver in each price slot.
 *
 * Model (per slot i of length h_i hours): net load n_i = load − PV (W, + import). The battery moves
 * its stored energy by ΔE_i (Wh, + charge). Charging ΔE > 0 draws ΔE / ηc from the AC side
 * (at most chargeW · h), discharging ΔE < 0 delivers −ΔE · ηd (at most dischargeW · h). The grid is
 * g_i = n_i + ac_i (W). Cost of a slot:
 *   g_i > 0: g_i · h_i / 1000 × importPrice_i   (EUR)
 *   g_i < 0: g_i · h_i / 1000 × exportPrice_i   (a revenue)
 *   + wear × discharged kWh (AC)                 (battery cost per kWh: purchase ÷ (cycles × capacity × DoD))
 *   + capacity rate × (g_i − month peak)/1000    (optional, EUR/kW: a capacity tariff on the quarter-hour peak)
 * plus, at the end, an end cost by stored-energy level: the stored energy above the start valued at
 * `finalValue` EUR/kWh (linear), or with `repeat` (a period, e.g. the last known day, that follows
 * for ever) the relative value function of that period (periodicEndCost): energy is worth what the
 * repeated prices earn with it after losses and wear. With `repeat`, energy the plan would leave
 * below the start level still costs at least `finalValue` per kWh: a plan does not sell stored
 * energy off below the median price × ηd on the strength of the repeated day alone (after the known
 * prices the days may well be dearer), while buying more must pay off against that day.
 *
 * Solver: dynamic programming over stored-energy levels (stepWh apart, between the SoC window):
 * V_i(s) = min_k cost_i(k) + V_{i+1}(s + k), where k is a whole number of steps the charge and
 * discharge limits allow. The cost of a move depends on k only, so one slot costs
 * levels × moves operations (100 levels × 20 moves × 192 slots ≈ 0.4 M; the periodic end cost adds
 * up to 30 passes over the 96 slots of the period). The plan is exact for the
 * discretised problem; the error against the continuous optimum is at most about half a step per
 * slot. Nothing can make it infeasible: "stay" is always allowed, and a start outside the window
 * is moved to the nearest level inside it.
 */

export interface PlannerBattery {
  capacityWh: number;
  chargeW: number;
  dischargeW: number;
  /** One-way efficiencies, 0–1. */
  etaCharge: number;
  etaDischarge: number;
  minSocPct: number;
  maxSocPct: number;
  /** EUR per kWh discharged. */
  wearEurPerKWh: number;
  /**
   * Capacity tariff (optional): EUR per kW of monthly peak, and the month's peak so far (W, a
   * quarter-hour average). Each slot importing above the peak pays the rate for its excess: an
   * upper bound (the bill charges the month's highest quarter once), so the plan avoids new peaks.
   */
  capacityRateEurPerKW?: number;
  monthPeakW?: number;
}

/** The capacity-tariff cost of importing `gridW` (W) in a slot, 0 without a rate. */
export function peakCost(gridW: number, b: Pick<PlannerBattery, 'capacityRateEurPerKW' | 'monthPeakW'>): number {
  const rate = b.capacityRateEurPerKW ?? 0;
  return rate > 0 && gridW > (b.monthPeakW ?? 0) ? (rate * (gridW - (b.monthPeakW ?? 0))) / 1000 : 0;
}

export interface PlanSlot {
  start: number;
  end: number;
  importPrice: number;
  exportPrice: number;
  pvW: number;
  loadW: number;
}

/**
 * What a slot does: `hold` (battery idle), `balance` (the battery covers the net load: grid ≈ 0),
 * `charge-pv` (it stores the PV surplus: grid ≈ 0), `charge-grid` (it charges, importing),
 * `discharge-grid` (it discharges, exporting), `partial` (it moves less than balancing would, so the
 * grid still imports or exports a planned amount). "≈ 0" is within the level grid's resolution.
 */
export type PlanAction = 'charge-grid' | 'charge-pv' | 'hold' | 'balance' | 'discharge-grid' | 'partial';

export interface PlannedSlot {
  start: number;
  end: number;
  /** AC battery power, W, + discharge (DESIGN §2 sign). */
  batteryW: number;
  /** Planned grid power, W, + import. */
  gridW: number;
  socStartPct: number;
  socEndPct: number;
  action: PlanAction;
  costEur: number;
}

export interface Plan {
  slots: PlannedSlot[];
  /** The plan's cost over its horizon (EUR), the final stored energy's value subtracted. */
  costEur: number;
  /** The same slots without a battery. */
  noBatteryCostEur: number;
  savingEur: number;
  /** EUR per kWh the stored energy at the end was valued at (without `end`: linear). */
  finalValue: number;
  /** The cost-to-go after the last slot by stored-energy level (EUR, from loWh stepWh apart; 0 at the start level). */
  end?: { loWh: number; stepWh: number; costEur: number[] };
  /** Inputs that were not usable and what was done instead. */
  warnings: string[];
}

export interface PlanOptions {
  /** Level spacing, Wh; default near capacity / 100, chosen by chooseStep. */
  stepWh?: number;
  /** EUR per kWh stored at the end of the horizon; default the median import price × ηd. */
  finalValue?: number;
  /**
   * Slots that follow the horizon and repeat for ever (e.g. the last known day): without
   * `finalValue` the energy left at the end is valued by what it earns there (periodicEndCost).
   */
  repeat?: PlanSlot[];
}

/**
 * A level spacing near `targetWh` that makes the full charge and full discharge of a slot of
 * `hours` whole numbers of steps (or nearly): with 2.2 kW / 1.7 kW at 95 % over 15 min the moves
 * are 522 and 447 Wh, and 74.5 Wh steps give 7 and 6 steps, so the plan can use full power.
 */
export function chooseStep(b: PlannerBattery, hours: number, targetWh: number): number {
  const up = b.chargeW * hours * b.etaCharge;
  const dn = (b.dischargeW * hours) / b.etaDischarge;
  if (!(up > 0) || !(dn > 0)) return targetWh;
  let best = targetWh;
  let bestLoss = Infinity;
  for (const base of [up, dn]) {
    for (let k = Math.max(1, Math.floor(base / targetWh / 1.5)); k <= Math.ceil((base / targetWh) * 1.5); k++) {
      const step = base / k;
      const loss = (up - Math.floor(up / step + 1e-9) * step) / up + (dn - Math.floor(dn / step + 1e-9) * step) / dn + Math.abs(Math.log(step / targetWh)) * 0.02;
      if (loss < bestLoss) {
        bestLoss = loss;
        best = step;
      }
    }
  }
  return best;
}

/** Grid cost of `gridW` over `hours`. */
export function gridCost(gridW: number, hours: number, s: Pick<PlanSlot, 'importPrice' | 'exportPrice'>): number {
  const kWh = (gridW * hours) / 1000;
  return kWh > 0 ? kWh * s.importPrice : kWh * s.exportPrice;
}

/** What a slot costs without a battery: its net load bought or sold, plus any capacity charge. */
export function noBatteryCost(s: PlanSlot, b: Pick<PlannerBattery, 'capacityRateEurPerKW' | 'monthPeakW'>): number {
  const net = s.loadW - s.pvW;
  return gridCost(net, (s.end - s.start) / 3_600_000, s) + peakCost(net, b);
}

/** AC power (W, + discharge) for a stored-energy change `dE` (Wh) over `hours`. */
export function acPower(dE: number, hours: number, b: PlannerBattery): number {
  return dE >= 0 ? -dE / b.etaCharge / hours : (-dE * b.etaDischarge) / hours;
}

export function slotCost(s: PlanSlot, dE: number, b: PlannerBattery): { cost: number; gridW: number; batteryW: number } {
  const h = (s.end - s.start) / 3_600_000;
  const batteryW = acPower(dE, h, b);
  const gridW = s.loadW - s.pvW - batteryW;
  const wear = batteryW > 0 ? ((batteryW * h) / 1000) * b.wearEurPerKWh : 0;
  return { cost: gridCost(gridW, h, s) + wear + peakCost(gridW, b), gridW, batteryW };
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const a = [...xs].sort((x, y) => x - y);
  return a[a.length >> 1];
}

export function actionOf(dE: number, gridW: number, tolW = 1): PlanAction {
  if (Math.abs(dE) < 1e-9) return 'hold';
  if (Math.abs(gridW) <= tolW) return dE > 0 ? 'charge-pv' : 'balance';
  if (dE > 0) return gridW > 0 ? 'charge-grid' : 'partial';
  return gridW < 0 ? 'discharge-grid' : 'partial';
}

/** Cleans inputs: a slot without a usable price ends the horizon; NaN PV or load count as 0. */
export function cleanSlots(slots: PlanSlot[], warnings: string[]): PlanSlot[] {
  const out: PlanSlot[] = [];
  for (const s of slots) {
    if (!Number.isFinite(s.importPrice) || !Number.isFinite(s.exportPrice) || !(s.end > s.start)) {
      warnings.push(`no price from ${new Date(s.start).toISOString()}: planned up to there`);
      break;
    }
    const pvW = Number.isFinite(s.pvW) ? Math.max(0, s.pvW) : 0;
    const loadW = Number.isFinite(s.loadW) ? Math.max(0, s.loadW) : 0;
    if (pvW !== s.pvW || loadW !== s.loadW) warnings.push(`slot ${new Date(s.start).toISOString()}: PV or load not a number ≥ 0, taken as 0`);
    out.push({ ...s, pvW, loadW });
  }
  return out;
}

/** The cost of each move of one slot: costs[k + dn] for k = −dn … up steps. */
interface Moves {
  costs: Float64Array;
  up: number;
  dn: number;
}

function movesOf(sl: PlanSlot, b: PlannerBattery, step: number): Moves {
  const h = (sl.end - sl.start) / 3_600_000;
  const up = Math.floor((b.chargeW * h * b.etaCharge) / step + 1e-9);
  const dn = Math.floor((b.dischargeW * h) / b.etaDischarge / step + 1e-9);
  const costs = new Float64Array(up + dn + 1);
  for (let k = -dn; k <= up; k++) costs[k + dn] = slotCost(sl, k * step, b).cost;
  return { costs, up, dn };
}

/** One backward step: V_i(s) = min_k cost(k) + V_{i+1}(s + k); the move taken goes into `ch` (ties: the smaller move). */
function backStep(m: Moves, next: Float64Array, ch?: Int16Array): Float64Array {
  const levels = next.length;
  const cur = new Float64Array(levels);
  for (let s = 0; s < levels; s++) {
    let best = Infinity;
    let bk = 0;
    const kmin = Math.max(-m.dn, -s);
    const kmax = Math.min(m.up, levels - 1 - s);
    for (let k = kmin; k <= kmax; k++) {
      const v = m.costs[k + m.dn] + next[s + k];
      if (v < best - 1e-12 || (Math.abs(v - best) <= 1e-12 && Math.abs(k) < Math.abs(bk))) {
        best = v;
        bk = k;
      }
    }
    cur[s] = best;
    if (ch) ch[s] = bk;
  }
  return cur;
}

/**
 * The cost-to-go by level (EUR, level 0 = 0) of a period (e.g. a day) that repeats for ever: the
 * relative value function h with T h = h + g, where T is one backward pass over the period and g its
 * optimal cost per period. Found by relative value iteration from h = 0: one pass over the period,
 * then every level less level 0, until no level moves by more than `tol` EUR or after `maxPasses`
 * passes. h(s) − h(0) is what the energy stored at level s saves over all the repeats after, less
 * what it costs to keep: stored energy is worth what the repeated prices can earn with it, after
 * losses and wear, not one average price.
 */
export function periodicEndCost(period: PlanSlot[], b: PlannerBattery, stepWh: number, levels: number, maxPasses = 30, tol = 1e-6): Float64Array {
  const moves = period.map((s) => movesOf(s, b, stepWh));
  let h: Float64Array = new Float64Array(levels);
  for (let pass = 0; pass < maxPasses && moves.length; pass++) {
    let v = h;
    for (let i = moves.length - 1; i >= 0; i--) v = backStep(moves[i], v);
    const ref = v[0];
    let moved = 0;
    for (let s = 0; s < levels; s++) {
      v[s] -= ref;
      moved = Math.max(moved, Math.abs(v[s] - h[s]));
    }
    h = v;
    if (moved <= tol) break;
  }
  return h;
}

/** The optimal plan for the slots from a start SoC (%). */
export function planBattery(input: PlanSlot[], b: PlannerBattery, socPct: number, o: PlanOptions = {}): Plan {
  const warnings: string[] = [];
  const slots = cleanSlots(input, warnings);
  const n = slots.length;
  const step = o.stepWh ?? (n ? chooseStep(b, (slots[0].end - slots[0].start) / 3_600_000, b.capacityWh / 100) : b.capacityWh / 100);
  const lo = (b.capacityWh * b.minSocPct) / 100;
  const hi = (b.capacityWh * b.maxSocPct) / 100;
  const levels = Math.max(1, Math.floor((hi - lo) / step + 1e-9) + 1);
  const soc0 = Number.isFinite(socPct) ? socPct : b.minSocPct;
  if (!Number.isFinite(socPct)) warnings.push('SoC unknown: planned from the minimum');
  const e0 = Math.min(hi, Math.max(lo, (b.capacityWh * soc0) / 100));
  const s0 = Math.min(levels - 1, Math.max(0, Math.round((e0 - lo) / step)));
  const fv = o.finalValue ?? median(slots.map((s) => s.importPrice)) * b.etaDischarge;
  const repeat = o.finalValue === undefined && o.repeat?.length ? cleanSlots(o.repeat, []) : [];
  // the cost-to-go after the last slot, by level, relative to the start level
  let next: Float64Array = new Float64Array(levels);
  if (repeat.length) {
    const h = periodicEndCost(repeat, b, step, levels);
    // energy above the start level: what the repeated period earns with it; energy below it (what
    // the plan would sell off): at least finalValue, the median price × ηd
    for (let s = 0; s < levels; s++) next[s] = Math.max(h[s] - h[s0], s < s0 ? ((s0 - s) * step * fv) / 1000 : -Infinity);
  } else {
    for (let s = 0; s < levels; s++) next[s] = -((s - s0) * step * fv) / 1000;
  }
  const endCost = Array.from(next);
  // V[i][s]: the best cost from slot i at level s; choice[i][s]: the move k taken
  const choice: Int16Array[] = new Array(n);
  for (let i = n - 1; i >= 0; i--) {
    choice[i] = new Int16Array(levels);
    next = backStep(movesOf(slots[i], b, step), next, choice[i]);
  }
  const out: PlannedSlot[] = [];
  let s = s0;
  let total = 0;
  let base = 0;
  for (let i = 0; i < n; i++) {
    const k = choice[i][s];
    const dE = k * step;
    const c = slotCost(slots[i], dE, b);
    const h = (slots[i].end - slots[i].start) / 3_600_000;
    base += noBatteryCost(slots[i], b);
    total += c.cost;
    const pct = (lev: number) => ((lo + lev * step) / b.capacityWh) * 100;
    out.push({ start: slots[i].start, end: slots[i].end, batteryW: c.batteryW, gridW: c.gridW, socStartPct: pct(s), socEndPct: pct(s + k), action: actionOf(dE, c.gridW, step / h / 2 + 1), costEur: c.cost });
    s += k;
  }
  total += endCost[s];
  return { slots: out, costEur: total, noBatteryCostEur: base, savingEur: base - total, finalValue: fv, end: { loWh: lo, stepWh: step, costEur: endCost }, warnings };
}

/**
 * What the plan's end valuation charges for going from `fromWh` to `toWh` stored (EUR, − a gain):
 * its cost-to-go by level, linear between levels, or the change at `finalValue` without one.
 */
export function endCostOf(plan: Pick<Plan, 'end' | 'finalValue'>, fromWh: number, toWh: number): number {
  const e = plan.end;
  if (!e || !e.costEur.length) return -((toWh - fromWh) * plan.finalValue) / 1000;
  const at = (wh: number) => {
    const x = Math.min(e.costEur.length - 1, Math.max(0, (wh - e.loWh) / e.stepWh));
    const i = Math.min(e.costEur.length - 2, Math.floor(x));
    return i < 0 ? e.costEur[0] : e.costEur[i] + (x - i) * (e.costEur[i + 1] - e.costEur[i]);
  };
  return at(toWh) - at(fromWh);
}
