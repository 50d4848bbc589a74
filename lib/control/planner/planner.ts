/**
 * The rolling-horizon planner around planBattery: re-plans on new prices or forecasts and every
 * slot, adopts a new plan only when it is cheaper than the current one (evaluated on the same new
 * inputs) by at least `minImprovementEur`, keeps the slot being executed, and turns the plan into
 * `grid-target` messages for zero export (DESIGN §4.1). Pure: time is passed in.
 */
import { actionOf, noBatteryCost, planBattery, slotCost, type Plan, type PlannedSlot, type PlannerBattery, type PlanSlot } from './dp';

export interface PlannerParams extends PlannerBattery {
  /** A new plan must save at least this much over the current one (EUR); default 0.01. */
  minImprovementEur?: number;
  /** Level spacing (Wh). */
  stepWh?: number;
  /** Slack around the planned grid power while holding (W, either side); default 0: a point target at the planned grid power, so the battery stays near 0 W. */
  holdBandW?: number;
  /**
   * Hours planned beyond the last known slot with the last known day repeated (default 48; 0: off).
   * Day-ahead prices end a day or two ahead, and what the energy left then is worth depends on the
   * day after: a repeated day values it better than one average price. Only the known slots are
   * kept in the plan; with `finalValue` given (the end of a period) nothing is added.
   */
  extendH?: number;
}

const DAY_MS = 86_400_000;

/**
 * The slots followed by `hours` more: the last 24 h of them repeated day after day (prices, load
 * and PV as the last known day). Fewer than 24 h known: unchanged.
 */
export function extendByLastDay(slots: PlanSlot[], hours: number): PlanSlot[] {
  if (!(hours > 0) || !slots.length) return slots;
  const end = slots[slots.length - 1].end;
  if (end - slots[0].start < DAY_MS) return slots;
  const stop = end + hours * 3_600_000;
  const last = slots.filter((x) => x.start >= end - DAY_MS);
  const out = [...slots];
  for (let shift = DAY_MS; end - DAY_MS + shift < stop; shift += DAY_MS) {
    for (const x of last) if (x.start + shift < stop) out.push({ ...x, start: x.start + shift, end: Math.min(stop, x.end + shift) });
  }
  return out;
}

/** The plan cut back to the slots that end by `end`: costs and saving over those, the energy left then valued at the plan's finalValue. */
function cutPlan(plan: Plan, input: PlanSlot[], end: number, b: PlannerBattery): Plan {
  const slots = plan.slots.filter((x) => x.end <= end);
  if (slots.length === plan.slots.length || !slots.length) return plan;
  const inputs = new Map(input.map((x) => [x.start, x]));
  let cost = 0;
  let base = 0;
  for (const x of slots) {
    cost += x.costEur;
    const i = inputs.get(x.start);
    if (i) base += noBatteryCost(i, b);
  }
  cost -= (((slots[slots.length - 1].socEndPct - slots[0].socStartPct) / 100) * b.capacityWh * plan.finalValue) / 1000;
  return { ...plan, slots, costEur: cost, noBatteryCostEur: base, savingEur: base - cost };
}

export interface GridTarget {
  kind: 'grid-target';
  minW: number;
  maxW: number;
  until: number;
  reason: string;
}

/**
 * The grid-target for a planned slot: 0 W while the battery balances or stores PV, else a point
 * target at the planned grid power (for `hold` that is the forecast net load, so the battery stays
 * near 0 W; `holdBandW` widens it to a band around that).
 */
export function gridTargetOf(p: PlannedSlot, holdBandW = 0): GridTarget {
  const reason = `plan ${p.action} ${Math.round(p.batteryW)} W`;
  if (p.action === 'hold') return { kind: 'grid-target', minW: Math.round(p.gridW - holdBandW), maxW: Math.round(p.gridW + holdBandW), until: p.end, reason };
  if (p.action === 'balance' || p.action === 'charge-pv') return { kind: 'grid-target', minW: 0, maxW: 0, until: p.end, reason };
  const w = Math.round(p.gridW);
  return { kind: 'grid-target', minW: w, maxW: w, until: p.end, reason };
}

/**
 * The cost of following `powers` (AC W, + discharge, by slot start; slots not in it follow
 * `fallback`) on `slots` from `socPct`, clamped to the battery, the end state valued as `fallback` does.
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
  return cost - ((e - start) * fallback.finalValue) / 1000;
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

  get plan(): Plan | undefined {
    return this.current;
  }

  /**
   * Plans again from `now` with the given slots (prices and forecasts) and the battery's SoC.
   * `finalValue` (EUR/kWh) values the energy left at the horizon's end (default: median import price × ηd).
   */
  replan(slots: PlanSlot[], socPct: number, now: number, finalValue?: number): ReplanResult {
    const known = slots.filter((s) => s.end > now);
    const ahead = finalValue === undefined ? extendByLastDay(known, this.p.extendH ?? 48) : known;
    const full = planBattery(ahead, this.p, socPct, { stepWh: this.p.stepWh, finalValue });
    const candidate = known.length ? cutPlan(full, known, known[known.length - 1].end, this.p) : full;
    const old = this.current;
    if (!old || !old.slots.some((s) => s.end > now)) {
      this.current = candidate;
      return { plan: candidate, changed: true, reason: 'first plan' };
    }
    // both plans on the same inputs, the added day included (the old one follows the new there)
    const powers = new Map(old.slots.filter((s) => s.end > now).map((s) => [s.start, s.batteryW]));
    const oldCost = evaluate(ahead, powers, full, this.p, socPct);
    const gain = oldCost - full.costEur;
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
    return s ? gridTargetOf(s, this.p.holdBandW) : undefined;
  }
}

export { actionOf };
