/**
 * The rolling-horizon planner around planBattery: re-plans on new prices or forecasts and every
 * slot, adopts a new plan only when it is cheaper than the current one (evaluated on the same new
 * inputs) by at least `minImprovementEur`, keeps the slot being executed, and turns the plan into
 * `grid-target` messages for zero export (DESIGN §4.1). Pure: time is passed in.
 */
import { CONSTRAINT_MAX_W } from '../../api/control-schemas';
import { actionOf, endCostOf, planBattery, slotCost, type Plan, type PlannedSlot, type PlannerBattery, type PlanSlot } from './dp';

export interface PlannerParams extends PlannerBattery {
  /** A new plan must save at least this much over the current one (EUR); default 0.01. */
  minImprovementEur?: number;
  /** Level spacing (Wh). */
  stepWh?: number;
  /**
   * Slack around the planned grid power while holding (W, either side). Infinity (the node's
   * default): the grid floats, zero export spends no battery whatever the load does. 0 (the
   * library default, as the benchmark executes hold): a point target at the forecast net load.
   */
  holdBandW?: number;
  /** The `source` of the grid-target messages (zero export keeps one band per source). */
  source?: string;
  /**
   * How the energy left at the horizon's end is valued when no `finalValue` is given (default
   * true): by what the last known day, repeated for ever, earns with it (periodicEndCost), energy
   * the plan would sell off below the start level at least at the median import price × ηd. Day-ahead
   * prices end a day or two ahead, and what the energy is worth then depends on the days after.
   * false: all of it at the median import price × ηd.
   */
  periodicEnd?: boolean;
}

const DAY_MS = 86_400_000;

/** The last 24 h of the slots (the period repeated after them), or none under 24 h known. */
export function lastDay(slots: PlanSlot[]): PlanSlot[] {
  if (!slots.length) return [];
  const end = slots[slots.length - 1].end;
  return end - slots[0].start >= DAY_MS ? slots.filter((x) => x.start >= end - DAY_MS) : [];
}

export interface GridTarget {
  kind: 'grid-target';
  minW: number;
  maxW: number;
  until: number;
  reason: string;
  source?: string;
}

/**
 * The grid-target for a planned slot: 0 W while the battery balances or stores PV, a point target
 * at the planned grid power while it trades with the grid, and for `hold` a band of ± `holdBandW`
 * around the forecast net load, clipped to what a grid-target carries (± CONSTRAINT_MAX_W): with
 * Infinity the band is ± 100 kW, the grid floats and zero export, which spends no battery while
 * the grid is inside a band, leaves the battery idle even when the load forecast is wrong. 0 is a
 * point target at the forecast (the battery makes up any forecast error). `source` names the
 * sender, so zero export keeps this band apart from peak shaving's and holds their intersection.
 */
export function gridTargetOf(p: PlannedSlot, holdBandW = 0, source?: string): GridTarget {
  const reason = `plan ${p.action} ${Math.round(p.batteryW)} W`;
  const from = source ? { source } : {};
  const clip = (w: number) => Math.max(-CONSTRAINT_MAX_W, Math.min(CONSTRAINT_MAX_W, Math.round(w)));
  if (p.action === 'hold') return { kind: 'grid-target', minW: clip(p.gridW - holdBandW), maxW: clip(p.gridW + holdBandW), until: p.end, reason, ...from };
  if (p.action === 'balance' || p.action === 'charge-pv') return { kind: 'grid-target', minW: 0, maxW: 0, until: p.end, reason, ...from };
  const w = clip(p.gridW);
  return { kind: 'grid-target', minW: w, maxW: w, until: p.end, reason, ...from };
}

/**
 * The cost of following `powers` (AC W, + discharge, by slot start; slots not in it follow
 * `fallback`) on `slots` from `socPct`, clamped to the battery, the end state valued as `fallback`
 * does (its end cost by level, endCostOf).
 */
export function evaluate(slots: PlanSlot[], powers: Map<number, number>, fallback: Plan, b: PlannerBattery, socPct: number): number {
  const lo = (b.capacityWh * b.minSocPct) / 100;
  const hi = (b.capacityWh * b.maxSocPct) / 100;
  let e = Math.min(hi, Math.max(lo, (b.capacityWh * socPct) / 100));
  const start = e;
  let cost = 0;
  const byStart = new Map(fallback.slots.map((p) => [p.start, p.batteryW]));
  for (const s of slots) {
    const h = (s.end - s.start) / 3_600_000;
    const w = powers.get(s.start) ?? byStart.get(s.start) ?? 0;
    let dE = w >= 0 ? -(w * h) / b.etaDischarge : -w * h * b.etaCharge;
    dE = Math.min(hi - e, Math.max(lo - e, dE));
    cost += slotCost(s, dE, b).cost;
    e += dE;
  }
  return cost + endCostOf(fallback, start, e);
}

export interface ReplanResult {
  plan: Plan;
  changed: boolean;
  reason: string;
}

export class BatteryPlanner {
  private current?: Plan;
  private frozen?: PlannedSlot;
  /** Adopted plans that changed what the battery does in the next slot. */
  changes = 0;

  private readonly p: PlannerParams;
  constructor(p: PlannerParams) {
    this.p = { ...p };
  }

  /** The month's capacity peak so far (W); slots importing above it pay the capacity rate. True when it changed. */
  setMonthPeak(w: number): boolean {
    if (this.p.monthPeakW === w) return false;
    this.p.monthPeakW = w;
    return true;
  }

  /** The capacity rate (EUR per kW the month's peak rises, see PlannerBattery). True when it changed. */
  setCapacityRate(eurPerKW: number): boolean {
    if (this.p.capacityRateEurPerKW === eurPerKW) return false;
    this.p.capacityRateEurPerKW = eurPerKW;
    return true;
  }

  get plan(): Plan | undefined {
    return this.current;
  }

  /**
   * Plans again from `now` with the given slots (prices and forecasts) and the battery's SoC.
   * `finalValue` (EUR/kWh, e.g. at the end of a period) values the energy left at the horizon's end
   * linearly; without it the last known day repeated values it (`periodicEnd`).
   */
  replan(slots: PlanSlot[], socPct: number, now: number, finalValue?: number): ReplanResult {
    const known = slots.filter((s) => s.end > now);
    const repeat = finalValue === undefined && this.p.periodicEnd !== false ? lastDay(known) : undefined;
    const candidate = planBattery(known, this.p, socPct, { stepWh: this.p.stepWh, finalValue, repeat });
    const old = this.current;
    if (!old || !old.slots.some((s) => s.end > now)) {
      this.current = candidate;
      return { plan: candidate, changed: true, reason: 'first plan' };
    }
    // both plans on the same inputs and end valuation (the old one follows the new where it has no slot)
    const powers = new Map(old.slots.filter((s) => s.end > now).map((s) => [s.start, s.batteryW]));
    const oldCost = evaluate(known, powers, candidate, this.p, socPct);
    const gain = oldCost - candidate.costEur;
    // a change is when the battery would do something else in the next slot it executes: only that
    // needs the minimum improvement (no flip-flop); a cheaper plan that starts the same is taken
    const nowOld = old.slots.find((x) => x.end > now);
    const nowNew = candidate.slots.find((x) => x.end > now);
    const differs = !!nowOld && !!nowNew && (nowOld.action !== nowNew.action || Math.abs(nowOld.batteryW - nowNew.batteryW) > 50);
    if (gain >= (this.p.minImprovementEur ?? 0.01) || (!differs && gain > 1e-9)) {
      if (differs) this.changes++;
      this.current = candidate;
      return { plan: candidate, changed: true, reason: `new plan saves ${gain.toFixed(2)} EUR` };
    }
    return { plan: old, changed: false, reason: `kept: a new plan would save only ${Math.max(0, gain).toFixed(2)} EUR` };
  }

  /** The slot to execute at `now`: the one frozen when it began, else the plan's. */
  slotAt(now: number): PlannedSlot | undefined {
    if (this.frozen && now >= this.frozen.start && now < this.frozen.end) return this.frozen;
    const s = this.current?.slots.find((x) => now >= x.start && now < x.end);
    this.frozen = s;
    return s;
  }

  /** The grid-target to send at `now`, or undefined without a plan for now. */
  targetAt(now: number): GridTarget | undefined {
    const s = this.slotAt(now);
    return s ? gridTargetOf(s, this.p.holdBandW, this.p.source) : undefined;
  }
}

export { actionOf };
