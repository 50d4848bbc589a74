/**
 * The peak-shaving oracle: perfect foresight of the household's net load, no latency, no ramp, the same
 * battery (power limits, the plant's conversion losses, SoC window) as every other contender.
 *
 * Method (exact search on the peak level, documented):
 * - The load and PV are held constant within each minute (the recorded data are 1-min averages), so a
 *   per-minute battery plan loses nothing.
 * - feasible(P): can every clock quarter of the run end with an average import ≤ P? Checked with the
 *   greedy plan that keeps the SoC as high as possible at every instant: in a quarter whose import
 *   without battery E exceeds P × 15 min, discharge exactly the excess R = E − P·¼ h, spread as evenly
 *   as possible over its importing minutes (never more than the minute's import — discharging into
 *   export does not lower the import — nor more than the discharge limit); PV surplus always charges
 *   (free); in a quarter below P the headroom P·¼ h − E charges the battery from the grid, spread evenly,
 *   up to the charge limit and the SoC ceiling. The SoC is checked minute by minute against the floor.
 *   Discharging only what a quarter needs and charging whatever is free or fits under P maximises the
 *   stored energy at every point, so if this plan fails at P every plan fails (up to the spreading of
 *   the losses within a quarter).
 * - The level is the smallest feasible P, by bisection to 1 W between 0 and the highest quarter of the
 *   run without battery. One level for the whole run: the oracle minimises the highest month peak of
 *   the run (any controller whose highest month peak is below it would contradict feasibility). Then
 *   each month's own level is lowered in calendar order as far as the run stays feasible.
 * The oracle is scored on its own plan, minute by minute, with the same score code as the others.
 */
import { BatteryPlant } from '../../lib/sim/battery';
import { waterFill } from '../zero-export/plant';

export interface OracleBattery {
  capacityWh: number;
  maxChargeW: number;
  maxDischargeW: number;
  socPct: number;
  minSocPct: number;
  maxSocPct: number;
}

export interface OracleMinute {
  /** Battery AC power in the minute, W (+ discharge). */
  batteryW: number;
  /** SoC at the end of the minute, %. */
  socPct: number;
}

const Q_MIN = 15;


/**
 * The greedy plan at level P over per-minute net load (W, + import) with quarters starting at
 * `quarterOffset` minutes into the arrays (the run's first minute may not be a quarter start).
 * Returns null when P is infeasible.
 */
export function planAtLevel(netW: Float64Array, quarterOffset: number, b: OracleBattery, level: number | ((quarter: number) => number)): OracleMinute[] | null {
  const loss = lossFunction(b);
  const floor = (b.capacityWh * b.minSocPct) / 100;
  const ceil = (b.capacityWh * b.maxSocPct) / 100;
  let stored = (b.capacityWh * b.socPct) / 100;
  const plan: OracleMinute[] = new Array(netW.length);
  // Quarter boundaries: [0, first), then every 15 minutes.
  const first = ((quarterOffset % Q_MIN) + Q_MIN) % Q_MIN;
  for (let q0 = 0, q = 0; q0 < netW.length; q++) {
    const q1 = Math.min(netW.length, q0 === 0 && first > 0 ? first : q0 + Q_MIN);
    const n = q1 - q0;
    const P = typeof level === 'number' ? level : level(q);
    let E = 0;
    const dCaps: number[] = [];
    const free: number[] = [];
    for (let i = q0; i < q1; i++) {
      const imp = Math.max(0, netW[i]);
      E += imp / 60;
      dCaps.push(Math.min(imp, b.maxDischargeW));
      free.push(Math.min(Math.max(0, -netW[i]), b.maxChargeW));
    }
    const budget = P / 4;
    let d = new Array<number>(n).fill(0);
    let e = new Array<number>(n).fill(0);
    if (E > budget + 1e-9) {
      const need = (E - budget) * 60;
      const can = dCaps.reduce((s, x) => s + x, 0);
      if (can < need - 1e-6) return null;
      d = waterFill(need, dCaps);
    } else {
      e = waterFill((budget - E) * 60, free.map((f) => b.maxChargeW - f));
    }
    for (let k = 0; k < n; k++) {
      let c = free[k] + e[k];
      if (c > 0) {
        const put = (c - loss(c)) / 60;
        if (put > ceil - stored) {
          // Fill to the ceiling only: solve the charge power that stores exactly the room (bisection).
          let lo = 0;
          let hi = c;
          for (let it = 0; it < 30; it++) {
            const mid = (lo + hi) / 2;
            if ((mid - loss(mid)) / 60 > ceil - stored) hi = mid;
            else lo = mid;
          }
          c = lo;
        }
        stored = Math.min(ceil, stored + Math.max(0, (c - loss(c)) / 60));
      }
      if (d[k] > 0) {
        stored -= (d[k] + loss(d[k])) / 60;
        if (stored < floor - 1e-6) return null;
      }
      plan[q0 + k] = { batteryW: d[k] - c, socPct: (100 * stored) / b.capacityWh };
    }
    q0 = q1;
  }
  return plan;
}

/** The plant's conversion loss at an AC power (W), from BatteryPlant's efficiency curve. */
function lossFunction(b: OracleBattery): (w: number) => number {
  const plant = new BatteryPlant({ capacityWh: b.capacityWh });
  return (w: number) => {
    const p = Math.abs(w);
    if (p < 1e-9) return 0;
    return p / plant.efficiency(p) - p;
  };
}

/**
 * The lowest feasible level (W, to 1 W) and its plan. With `quarterMonth` (the billing month of each
 * quarter), each month's level is then lowered in turn, in calendar order, as far as the whole run stays
 * feasible (the later months still at the common level): the highest month peak stays the lowest
 * reachable, and a month that needs less gets its own lower peak.
 */
export function oracle(netW: Float64Array, quarterOffset: number, b: OracleBattery, quarterMonth?: string[]): { levelW: number; monthLevelW: Record<string, number>; plan: OracleMinute[] } {
  // Upper bound: the highest quarter without battery (always feasible: no discharge needed).
  let hi = 0;
  const first = ((quarterOffset % Q_MIN) + Q_MIN) % Q_MIN;
  for (let q0 = 0; q0 < netW.length; ) {
    const q1 = Math.min(netW.length, q0 === 0 && first > 0 ? first : q0 + Q_MIN);
    let E = 0;
    for (let i = q0; i < q1; i++) E += Math.max(0, netW[i]) / 60;
    hi = Math.max(hi, E * 4);
    q0 = q1;
  }
  hi = Math.ceil(hi) + 1;
  let lo = 0;
  let best = planAtLevel(netW, quarterOffset, b, hi);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const p = planAtLevel(netW, quarterOffset, b, mid);
    if (p) {
      hi = mid;
      best = p;
    } else lo = mid;
  }
  if (!best) throw new Error('oracle: no feasible level (cannot happen: the no-battery level needs no discharge)');
  const levelW = hi;
  const monthLevelW: Record<string, number> = {};
  for (const m of quarterMonth ?? []) monthLevelW[m] = levelW;
  for (const m of Object.keys(monthLevelW)) {
    const at = (P: number) => planAtLevel(netW, quarterOffset, b, (q) => (quarterMonth![q] === m ? P : monthLevelW[quarterMonth![q]]));
    let l = 0;
    let h = levelW;
    while (h - l > 1) {
      const mid = Math.floor((l + h) / 2);
      const p = at(mid);
      if (p) {
        h = mid;
        best = p;
      } else l = mid;
    }
    monthLevelW[m] = h;
    best = at(h) ?? best;
  }
  return { levelW, monthLevelW, plan: best };
}
