/**
 * The peak-shaving controller's own memory (pure, no foresight): per clock quarter, the energy the
 * house would have imported without the battery and its PV surplus (grid + battery power, integrated
 * by the controller), for the last days. From it, replaying each past day from the same time of day:
 *
 * - `reserveWh(level)`: the energy the battery must hold now so that the next `horizon` quarters of
 *   that day's replay stay at or below `level` (backward recursion: a quarter needs its excess over
 *   the level from the battery, at most the discharge power; PV surplus and the headroom under the
 *   level recharge it, at most the charge power; both through the round-trip efficiency). Infinite
 *   when a quarter's excess is more than the battery's power can cover. One figure per past day; the
 *   controller takes a rank of them (0 = the worst day);
 * - `levelFor(stored)`: the lowest level (≥ a floor) whose reserve is within the energy stored now —
 *   the level the battery can truly hold if today is like the past days.
 */

export interface QuarterRecord {
  /** Wh imported in the quarter without the battery. */
  importWh: number;
  /** Wh of PV surplus in the quarter (exported without the battery). */
  surplusWh: number;
}

export interface ReserveParams {
  maxChargeW: number;
  maxDischargeW: number;
  /** One-way efficiency used in the replay (default 0.93). */
  efficiency: number;
  /** The controller's margin under the level, W. */
  marginW: number;
  /** Quarters replayed ahead (default 96 = a day). */
  horizon: number;
  /** Past days replayed (default 7). */
  days: number;
  /** Which past day decides: 0 = the worst, 1 = the second worst, … (default 1). */
  rank: number;
  /**
   * Count the headroom under the level as recharge from the grid from this replayed quarter on (default
   * 0: all; Infinity = PV surplus only). Nearer quarters count only PV surplus.
   */
  gridChargeFrom?: number;
  /** A quarter beyond the discharge power needs that power (the most the battery can do) instead of making the level infeasible (default false). */
  capPower?: boolean;
  /**
   * The billing month ends inside the replay: from quarter `from` on the level is `levelW` (the new month's limit, the
   * desired peak), and a quarter beyond the discharge power needs that power (the month's level does not depend on it).
   */
  nextMonth?: { from: number; levelW: number };
}

const Q_MS = 900_000;
const DAY_Q = 96;

export class LoadHistory {
  private readonly quarters = new Map<number, QuarterRecord>();

  constructor(private readonly keepDays = 8) {}

  /** Records the quarter starting at `quarterStart` (ms). */
  add(quarterStart: number, r: QuarterRecord): void {
    const q = Math.floor(quarterStart / Q_MS);
    this.quarters.set(q, r);
    const oldest = q - this.keepDays * DAY_Q;
    for (const k of this.quarters.keys()) if (k < oldest) this.quarters.delete(k);
  }

  /** The quarters as rows [quarter index, importWh, surplusWh] (for Node-RED context). */
  snapshot(): Array<[number, number, number]> {
    return [...this.quarters.entries()].map(([q, r]) => [q, Math.round(r.importWh * 10) / 10, Math.round(r.surplusWh * 10) / 10]);
  }

  /** Restores rows from `snapshot()`; malformed rows are skipped. Returns how many were taken. */
  restore(rows: unknown): number {
    if (!Array.isArray(rows)) return 0;
    let n = 0;
    for (const row of rows) {
      if (!Array.isArray(row) || row.length !== 3 || !row.every((x) => typeof x === 'number' && Number.isFinite(x)) || row[1] < 0 || row[2] < 0) continue;
      this.add(row[0] * Q_MS, { importWh: row[1], surplusWh: row[2] });
      n++;
    }
    return n;
  }

  get size(): number {
    return this.quarters.size;
  }

  /** Replays of the past days from the quarter starting at `from` (ms): one array per day with complete data. */
  replays(from: number, p: Pick<ReserveParams, 'horizon' | 'days'>): QuarterRecord[][] {
    const q0 = Math.floor(from / Q_MS);
    const out: QuarterRecord[][] = [];
    for (let d = 1; d <= p.days; d++) {
      const r: QuarterRecord[] = [];
      for (let i = 0; i < p.horizon; i++) {
        const rec = this.quarters.get(q0 - d * DAY_Q + i);
        if (!rec) break;
        r.push(rec);
      }
      // A day counts when at least 90 % of it was seen.
      if (r.length >= p.horizon * 0.9) out.push(r);
    }
    return out;
  }
}

/** The energy (Wh) the battery must hold at the replay's start to keep every quarter at or below `level`. */
export function reserveWh(replay: QuarterRecord[], levelW: number, p: ReserveParams): number {
  const nm = p.nextMonth;
  const budgetOf = (w: number) => Math.max(0, w - p.marginW) / 4;
  const maxD = p.maxDischargeW / 4;
  const maxC = p.maxChargeW / 4;
  let need = 0;
  for (let i = replay.length - 1; i >= 0; i--) {
    const r = replay[i];
    const later = nm !== undefined && i >= nm.from;
    const budget = budgetOf(later ? nm.levelW : levelW);
    let excess = Math.max(0, r.importWh - budget);
    if (excess > maxD + 1e-9) {
      if (!p.capPower && !later) return Infinity;
      excess = maxD;
    }
    const charge = Math.min(maxC, r.surplusWh + (i >= (p.gridChargeFrom ?? 0) ? Math.max(0, budget - r.importWh) : 0)) * p.efficiency;
    need = Math.max(0, need + excess / p.efficiency - charge);
  }
  return need;
}

/** The reserve at `level` over the replays, at the configured rank (0 = worst day); 0 without replays. */
export function rankedReserveWh(replays: QuarterRecord[][], levelW: number, p: ReserveParams): number {
  if (!replays.length) return 0;
  const r = replays.map((x) => reserveWh(x, levelW, p)).sort((a, b) => b - a);
  return r[Math.min(r.length - 1, p.rank)];
}

/** The lowest level in [floorW, ceilW] (to 10 W) whose ranked reserve is at most `availableWh`; ceilW when none is. */
export function levelFor(replays: QuarterRecord[][], availableWh: number, floorW: number, ceilW: number, p: ReserveParams): number {
  if (!replays.length || rankedReserveWh(replays, floorW, p) <= availableWh) return floorW;
  let lo = floorW;
  let hi = ceilW;
  if (rankedReserveWh(replays, hi, p) > availableWh) return hi;
  while (hi - lo > 10) {
    const mid = (lo + hi) / 2;
    if (rankedReserveWh(replays, mid, p) <= availableWh) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The highest quarter (W) in the replays: no level above it is ever needed. */
export function highestQuarterW(replays: QuarterRecord[][]): number {
  let m = 0;
  for (const r of replays) for (const q of r) m = Math.max(m, q.importWh * 4);
  return m;
}
