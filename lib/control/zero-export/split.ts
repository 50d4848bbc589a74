/**
 * Splitting a total battery setpoint over several units (CONTROL-ANCHORS.md §3.7):
 * - every unit that can take part shares the power (as the benchmark's oracle does); with `stage`,
 *   only as many units as run efficiently: a unit's conversion loss is roughly P0 + k·P² (the shape
 *   lib/sim/battery.ts models), so k units sharing P lose k·P0 + P²·k/k, least for k ≈ P / P*,
 *   with P* the power where one unit is most efficient (`efficientW`). A unit is added when the
 *   share passes P*·√(k(k+1)) by 15 % and dropped 15 % below P*·√(k(k−1)), at most once per
 *   `dwellMs` — but at once when the power needs more units than are in use;
 * - the units used are those with the most energy to give (discharge) or the most room (charge);
 *   units already in use keep their place unless another has 5 % of capacity more;
 * - within those, the power is shared in proportion to the energy each can give or take, so their
 *   states of charge converge; what a unit cannot take (its limit) goes to the others;
 * - a change of the total goes to one unit while every unit stays within `toleranceW` of that fair
 *   share (and on the same side of 0 W): one command instead of one per unit. Only when one unit
 *   cannot take it is every unit set to its fair share again. The cost is small: the loss grows with
 *   k·δ² for a share δ off, 0.4 W at 100 W off.
 *
 * Why not staging by default: the power a staged split saves (mostly P0 of the idle units, some
 * 40 W at a night's 400 W over three units) is stored and only helps if the batteries empty before
 * they fill. On 6 of 8 December days of the benchmark (2006-12-17 … 24) they fill at noon and the
 * saved energy is exported (2006-12-20, 3 units, 10 s meter: +350 Wh export, regret 2.48 vs 1.45 %);
 * on the other two they empty first and staging is ahead (2006-12-17: 1.08 vs 1.67 %). Which comes
 * first depends on the PV to come, which the controller does not know.
 */

export interface SplitUnit {
  id: string;
  /** Most charge, W (≤ 0). */
  lo: number;
  /** Most discharge, W; below 0 when the unit must charge at least that much (reserve refill). */
  hi: number;
  /** Energy it can still give, Wh ≥ 0. */
  dischargeWh: number;
  /** Room it can still take, Wh ≥ 0. */
  chargeWh: number;
  capacityWh: number;
  /** Its present setpoint, W. */
  current: number;
}

export interface StageState {
  direction: -1 | 0 | 1;
  count: number;
  changedAt: number;
}

export interface SplitOptions {
  efficientW: number;
  dwellMs: number;
  now: number;
  /** Run only as many units as are efficient (the staging above); otherwise all that can take part. */
  stage?: boolean;
  /** How far a unit's share may stay off its fair share so that a change goes to one unit only, W (0 = re-split every time). */
  toleranceW?: number;
}

export function newStageState(): StageState {
  return { direction: 0, count: 0, changedAt: -Infinity };
}

/** Total power the units can deliver: [sum of lo, sum of hi]. */
export function totalRange(units: SplitUnit[]): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const u of units) {
    lo += u.lo;
    hi += u.hi;
  }
  return [lo, hi];
}

/** Distributes `total` (clamped to totalRange) over the units. Returns W per unit id; updates `stage`. */
export function splitPower(total: number, units: SplitUnit[], stage: StageState, o: SplitOptions): Map<string, number> {
  const out = new Map<string, number>();
  // Forced part: a unit that must charge (hi < 0) starts at hi; every other unit at 0.
  let rest = total;
  for (const u of units) {
    const base = Math.min(0, u.hi);
    out.set(u.id, base);
    rest -= base;
  }
  const dir: -1 | 0 | 1 = rest > 0.5 ? 1 : rest < -0.5 ? -1 : 0;
  if (dir === 0) {
    if (stage.direction !== 0) Object.assign(stage, { direction: 0, count: 0, changedAt: o.now });
    return out;
  }
  const room = (u: SplitUnit) => (dir > 0 ? u.hi - (out.get(u.id) as number) : (out.get(u.id) as number) - u.lo);
  const energy = (u: SplitUnit) => (dir > 0 ? u.dischargeWh : u.chargeWh);
  const candidates = units.filter((u) => room(u) > 0.5);
  if (!candidates.length) return out;
  const score = (u: SplitUnit) => energy(u) + (Math.sign(u.current) === dir && u.current !== 0 ? 0.05 * u.capacityWh : 0);
  candidates.sort((a, b) => score(b) - score(a) || (a.id < b.id ? -1 : 1));
  const need = Math.abs(rest);

  // Least count that can carry the power.
  let minCount = candidates.length;
  let sum = 0;
  for (let i = 0; i < candidates.length; i++) {
    sum += room(candidates[i]);
    if (sum >= need - 0.5) {
      minCount = i + 1;
      break;
    }
  }
  // Efficient count, with hysteresis around the current one.
  const eff = (c: number) => {
    if (o.stage === false) return candidates.length;
    const p = o.efficientW;
    while (c < candidates.length && need > p * Math.sqrt(c * (c + 1)) * 1.15) c++;
    while (c > 1 && need < p * Math.sqrt(c * (c - 1)) * 0.85) c--;
    return Math.max(1, c);
  };
  let count: number;
  if (stage.direction !== dir) {
    count = Math.max(minCount, eff(1));
    Object.assign(stage, { direction: dir, changedAt: o.now });
  } else {
    count = Math.min(Math.max(stage.count, 1), candidates.length);
    const wanted = eff(count);
    if (wanted !== count && o.now - stage.changedAt >= o.dwellMs) count = wanted;
    if (minCount > count) count = minCount;
  }
  count = Math.min(count, candidates.length);
  if (count !== stage.count) {
    stage.count = count;
    stage.changedAt = o.now;
  }

  // Water-filling in proportion to energy.
  let open = candidates.slice(0, count);
  let left = need;
  while (open.length && left > 1e-9) {
    const weights = open.map((u) => Math.max(energy(u), 1e-3));
    const wsum = weights.reduce((a, b) => a + b, 0);
    const over = open.filter((u, i) => (left * weights[i]) / wsum >= room(u));
    if (!over.length) {
      open.forEach((u, i) => out.set(u.id, (out.get(u.id) as number) + dir * ((left * weights[i]) / wsum)));
      left = 0;
      break;
    }
    for (const u of over) {
      const r = room(u);
      out.set(u.id, (out.get(u.id) as number) + dir * r);
      left -= r;
    }
    open = open.filter((u) => !over.includes(u));
  }
  return keepShares(units, out, o.toleranceW ?? 0);
}

/**
 * The present setpoints with the whole change on one unit, when every unit then stays within `tol`
 * of its fair share `fair` (same sign, at 0 W where the fair share is 0, within its limits); the unit
 * that ends nearest its fair share takes it. Otherwise the fair shares.
 */
function keepShares(units: SplitUnit[], fair: Map<string, number>, tol: number): Map<string, number> {
  if (!(tol > 0) || units.length < 2) return fair;
  let target = 0;
  let sum = 0;
  for (const u of units) {
    target += fair.get(u.id) as number;
    sum += u.current;
  }
  const delta = target - sum;
  const fits = (u: SplitUnit, x: number) => {
    const f = fair.get(u.id) as number;
    if (x < u.lo - 1e-9 || x > u.hi + 1e-9) return false;
    if (f === 0 || u.hi < 0) return x === f;
    return Math.sign(x) === Math.sign(f) && Math.abs(x - f) <= tol;
  };
  let best: SplitUnit | null = null;
  let bestDev = Infinity;
  for (const j of units) {
    let dev = 0;
    let ok = true;
    for (const u of units) {
      const x = u === j ? u.current + delta : u.current;
      if (!fits(u, x)) {
        ok = false;
        break;
      }
      dev = Math.max(dev, Math.abs(x - (fair.get(u.id) as number)));
    }
    if (ok && dev < bestDev) {
      best = j;
      bestDev = dev;
    }
  }
  if (!best) return fair;
  const out = new Map<string, number>();
  for (const u of units) out.set(u.id, u === best ? u.current + delta : u.current);
  return out;
}
