/**
 * Peak shaving for the capacity tariff (issue 14): holds the clock-aligned 15-minute average import
 * below a limit with the home battery, through `grid-target` bands for the zero-export node and a
 * `grid-limit` for the ev-charging node (DESIGN.md §4.1). A pure state machine in injected time.
 *
 * The scheme (Jullix "Sturing", made precise):
 * - SoC above minSoc + buffer: **balancing** — zero export as configured (the band ends now);
 * - SoC at or below minSoc + buffer: **peak limiting** — band [0, allowed import now]: PV surplus
 *   still charges the battery, deficits come from the grid, the battery discharges only as much as
 *   keeps the quarter average at the limit;
 * - SoC at or below minSoc + buffer / 2 (or below minSoc): **recharge** from the grid up to the
 *   desired peak, never above the allowed import, until the SoC is back at minSoc + buffer.
 * The limit is the higher of the desired peak and this month's peak so far (policy 'follow'), or
 * the desired peak alone ('desired'); the month is local (time zone) and resets on the 1st.
 *
 * Better than the scheme: it acts on the quarter average. E = energy imported so far this quarter
 * (the meter's 1-0:1.4.0 where it sends one, else integrated here); the rest of the quarter is
 * projected at the filtered import power (2 min time constant, so a short spike barely moves it).
 * While E + projection stays below (limit − margin) × 15 min nothing is shaved and spikes pass;
 * once it does not, the allowed import for the rest is (limit × 15 min − E) / remaining time, which
 * tightens as the quarter's end nears. The EV is throttled first (its grid-limit is the allowed
 * import; the battery's band leaves the car's own power on top), the battery second.
 *
 * Two changes the month-long benchmark (bench/peak-shaving) asked for:
 * - the recharge charges from the grid up to the limit − margin, not only up to the desired peak: once
 *   this month's peak is above the desired peak, importing up to it costs nothing more, and a battery
 *   left empty through a long evening above the desired peak cannot shave the next peak
 *   (`rechargeToLimit`, 26-day winter load: January peak 6.00 → 5.68 kW);
 * - front-loading (`frontLoad`): in a binding quarter the battery's band sits below the allowed import
 *   by the projected excess, so it shaves harder at once and keeps budget for a later rise beyond its
 *   power limit (2-day sample: 3.69 → 3.66 kW). The car's grid-limit stays the allowed import.
 *
 * What the month-long benchmark asked for next (`adaptive`, reserve.ts): the node learns, per quarter of
 * the last days, the house's import without the battery and its PV surplus, and replays the past 7 days
 * from the present time of day:
 * - the reserve (the SoC above which it balances) is what the worst of them needed to hold a level 20 %
 *   of the way from the lowest one a full battery held on that day to the limit, not counting on grid
 *   top-ups in the next 3 h, × 1.28 (before a day is seen: minSoc + buffer); where the coming PV surplus
 *   cannot refill the battery it is kept full; below the reserve the battery is topped up from the grid
 *   within the quarter's headroom (never above the month's limit), up to what the worst day needs when
 *   the grid may top up from 2 h on (a need the grid can still meet later is left to the morning's PV);
 * - the limit in force rises above the month's limit only to the lowest level the stored energy can hold
 *   on the lightest replayed day (a peak is conceded only when even the mildest past day forces it; the
 *   second-worst day let a light New Year's day through unshaved), instead of running empty and letting a
 *   later peak through; peak limiting tops up from the grid only the reserve itself, not its safety
 *   factor (that share is left to the coming PV surplus);
 * - with the battery within 5 % of full it aims at 70 % of the limit (the top-up refills it), and an
 *   import held 40 s without a dip counts in the projection at once (a sudden jump is caught earlier).
 *
 * Modes (a `mode` message, DESIGN.md §4.1; `PEAK_MODES`): `peak-shaving` is the above; `balance` sends no band of its
 * own (zero export as configured); `hold` a band [−site max, the battery's allowed import]: the battery idles unless the
 * quarter would end above the limit; `charge` the recharge band regardless of SoC (from the grid within the quarter's
 * headroom, never above the limit); `off` no band and no car limit. In every mode but `off` the car's grid-limit, the
 * month peak and the learning keep running. A mode with `until` is an override: it ends then and the standing mode
 * (the configured peak shaving, or what `enable` or a mode without `until` set) holds again, with a reason saying so.
 * Every grid-target and grid-limit carries `source` (zero export intersects the bands of several sources).
 */
import type { CapacityHistoryEntry } from '../../api/types';
import { BATTERY_MODES } from '../../api/control-schemas';
import { localFields } from '../../util/local-time';
import { LoadHistory, highestQuarterW, levelFor, rankedReserveWh, type ReserveParams } from './reserve';

export interface PeakShavingParams {
  /** Desired peak, W (default 2500, the Flemish billing minimum). */
  desiredPeakW?: number;
  /** Never discharge below, % (default 10). */
  minSocPct?: number;
  /** Peak buffer, % of capacity above minSoc kept for peaks (default 20). */
  peakBufferPct?: number;
  /** 'follow' = max(desired, month peak so far); 'desired' = pinned (default 'follow'). */
  limitPolicy?: 'follow' | 'desired';
  /** Stay this far below the limit, W (default 100). */
  marginW?: number;
  /** SoC hysteresis on band changes, % (default 1). */
  socHysteresisPct?: number;
  /** Time constant of the import power used for the projection, s (default 120). */
  projectionTauS?: number;
  /** Meter older than this → fallback, ms (default 10000). */
  meterTimeoutMs?: number;
  /** Battery older than this → SoC unknown (peak limiting), ms (default 60000). */
  batteryTimeoutMs?: number;
  /** Time zone of the billing month (default Europe/Brussels). */
  timeZone?: string;
  /**
   * Usable capacity when the batteries do not report it, Wh. The learnt reserve and level (`adaptive`) need it: while
   * neither this nor a battery reading's `capacityWh` gives one, the fixed SoC bands (minSoc + peak buffer) hold and the
   * state's `reserveBasis` says so. A battery reading's capacity replaces it.
   */
  capacityWh?: number;
  /** Largest import the site may draw at all (band maximum when nothing binds), W (default 100000). */
  siteMaxW?: number;
  /** Constraint messages are sent again at least this often, ms (default 10000) and expire after 3 of those. */
  refreshMs?: number;
  /**
   * Recharge from the grid up to the limit (the month's peak already set costs nothing more), not only
   * up to the desired peak (default true; false = the Jullix scheme's recharge at the desired peak).
   */
  rechargeToLimit?: boolean;
  /**
   * Front-loading in a quarter that binds: the battery's band maximum is the allowed import minus this
   * factor × the projected excess over it, so the battery shaves more early in the quarter and keeps
   * budget for a later rise it could not cover at its power limit (default 1; 0 = off).
   */
  frontLoad?: number;
  /**
   * Learn from the node's own history (reserve.ts): the SoC reserve the past days needed to hold the
   * limit, and the level the battery can truly hold now (default true; false = the fixed bands above).
   */
  adaptive?: boolean;
  /** Battery power limits for the replay, W (default: the highest seen in the battery readings, at least 1000 W). */
  maxChargeW?: number;
  maxDischargeW?: number;
  /** Past days replayed (default 7); which of them decides the reserve (0 = the worst, default 0) and the level in force (default 6 = the lightest: a peak is conceded only when even the mildest past day would force it). */
  reserveDays?: number;
  reserveRank?: number;
  levelRank?: number;
  /** In peak limiting, charge from the grid within the quarter's headroom while the SoC is below the reserve (default true). */
  topUp?: boolean;
  /**
   * The reserve is what holding a level between the lowest one a full battery would have held on the worst
   * past day (0) and the limit (1) needs, at this fraction (default 0.2): a day heavier than the past ones
   * then still finds energy in the battery.
   */
  refBlend?: number;
  /** The reserve counts on grid top-ups only this many hours ahead and later (default 3). */
  gridChargeAfterH?: number;
  /**
   * The top-up target (the SoC below which peak limiting charges from the grid) counts on grid top-ups from this many
   * hours ahead (default 2; the reserve above which it balances counts on them only from `gridChargeAfterH`): a need
   * the grid can still meet in time later is left to the PV surplus of the morning. With `gridChargeAfterH` 3 (was 4)
   * and `reserveFactor` 1.28 (was 1.3): bench row PV + 10 kWh + buffer 10 %, self-consumption 75.7 → 76.0 % (balancing
   * only 78.0 %), peak 6079 W unchanged; the 26-day + PV row 6175 → 6180 W, the other rows unchanged.
   */
  topUpAfterH?: number;
  /**
   * While the history holds fewer than `reserveDays` days, keep at least minSoc + peak buffer × the share of days still
   * missing as reserve (not within `gridChargeAfterH` of the PV surplus the past days saw; default true).
   */
  coldStart?: boolean;
  /** The learnt reserve × this (default 1.28): a day may need more than the past ones did. */
  reserveFactor?: number;
  /** Shave to the lowest level the stored energy affords (per the past days), also below the limit (default false). */
  shaveBelowLimit?: boolean;
  /** An import that holds this long without a dip counts in the projection at once (s, default 40; 0 = off). */
  persistS?: number;
  /** With the SoC within `fullBandPct` of full, shave to `fullShave` × the shave level (the top-up refills it; default 1 = off). */
  fullShave?: number;
  fullBandPct?: number;
  /** Full-battery shaving never aims below the lower of the desired peak and this, W (default 2500, the Flemish billing minimum: a lower peak costs nothing). */
  fullShaveFloorW?: number;
  /**
   * In the last seconds of a quarter the battery already follows the next quarter's band where that is
   * lower (s, default 5: the battery's command latency and ramp). A quarter that opens above the limit
   * then starts at full discharge instead of losing its first seconds to the ramp (0 = off).
   */
  quarterLeadS?: number;
  /**
   * The battery shaves this much further below the limit than the margin (W, default 0; the car's limit and the grid
   * top-up stay at the limit − margin). 50 holds the 14-day bench row's January at 2358 W instead of 2401 W.
   */
  shaveMarginW?: number;
  /**
   * The `source` of every grid-target and grid-limit sent (default "peak-shaving"; the node sets "peak-shaving:<node id>"):
   * zero export keeps one band per source and holds their intersection, so another controller's band does not replace ours.
   */
  source?: string;
}

export type PeakBand = 'balancing' | 'limiting' | 'recharge' | 'fallback';

/**
 * The battery modes of a `mode` message (DESIGN.md §4.1) as peak shaving takes them: `peak-shaving` (on, the configured
 * behaviour); `off` (no band, the car's limit lifts); `balance` (no band of its own: zero export as configured); `hold`
 * (the battery idles, a band [−site max, allowed import] only guards the limit); `charge` (from the grid within the
 * quarter's headroom, never above the limit). Outside `off` the car's grid-limit and the month peak keep running.
 */
export const PEAK_MODES = [...BATTERY_MODES, 'off'] as const;
export type PeakMode = (typeof PEAK_MODES)[number];

/** A mode switch: without `until` it stands (until redeploy); with it, it ends then and the standing mode holds again. */
export interface PeakModeInput {
  mode: PeakMode;
  /** ms since epoch. */
  until?: number;
  reason?: string;
}

export interface PeakInputs {
  /** Grid import, W (+ import) and, from a P1 meter, its capacity values. */
  meter?: { power: number; timestamp: number; currentAverageW?: number | null; averageComputed?: boolean; monthPeakW?: number | null; history?: CapacityHistoryEntry[] };
  /** Batteries: SoC % (capacity-weighted over units) and capacity, when known. */
  battery?: { soc: number | null; capacityWh?: number | null; timestamp: number; power?: number };
  /** The EV's charging power, W. */
  charger?: { power: number; timestamp: number };
  /** Switch off (bands end, the car's limit lifts) or on: the standing mode `off` or `peak-shaving` (ends an override). */
  enabled?: boolean;
  /** A mode switch, standing or until a time (an override). */
  mode?: PeakModeInput;
  /** A new desired peak, W (run-time, e.g. from Home Assistant): in force until the controller is rebuilt. */
  desiredPeakW?: number;
  /** Restore the month's peak after a restart (from context). */
  restore?: { monthKey: string; monthPeakW: number };
}

export interface PeakState {
  band: PeakBand;
  limitW: number;
  desiredPeakW: number;
  monthPeakW: number;
  monthKey: string;
  quarterStart: number;
  /** Average import of the running quarter so far, W, and projected at its end. */
  quarterAverageW: number | null;
  projectedW: number | null;
  /** Import allowed now for the rest of the quarter, W (null while nothing binds). */
  allowedW: number | null;
  soc: number | null;
  /** The level the battery shaves to, W (≤ limitW: lower while it holds more than the past days needed). */
  shaveW: number;
  /** The SoC above which the battery balances (minimum SoC + the reserve), %. */
  reserveSocPct: number;
  /** Quarters this month whose average ended above the limit. */
  quartersAboveLimit: number;
  lastQuarterW: number | null;
  /** The mode in force, and until when when it is an override (else null: it stands). */
  mode: PeakMode;
  modeUntil: number | null;
  /** The capacity the learnt reserve uses, Wh (null: unknown). */
  capacityWh: number | null;
  /** Where the reserve comes from: "learnt", or "fixed SoC bands" with the cause (e.g. "capacity unknown → fixed SoC bands"). */
  reserveBasis: string;
  /** Age of the latest battery reading, s (null: none seen). */
  batteryAgeS: number | null;
  /** The latest battery reading is older than the battery timeout: SoC unknown (peak limiting). */
  batteryStale: boolean;
}

interface Plan {
  limitW: number;
  shaveW: number;
  hiPct: number;
  loPct: number;
  /** The SoC below which peak limiting tops up from the grid, % (≤ hiPct). */
  topPct: number;
}

export interface PeakCommand {
  gridTarget: { kind: 'grid-target'; minW: number; maxW: number; until: number; reason: string; source: string } | null;
  gridLimit: { kind: 'grid-limit'; maxImportW: number; until: number; reason: string; source: string } | null;
}

export interface PeakResult extends PeakCommand {
  state: PeakState;
  reasons: string[];
}

const Q_MS = 15 * 60_000;
type Defaulted = Required<Omit<PeakShavingParams, 'capacityWh' | 'maxChargeW' | 'maxDischargeW'>> & Pick<PeakShavingParams, 'capacityWh' | 'maxChargeW' | 'maxDischargeW'>;
const DEFAULTS: Omit<Defaulted, 'capacityWh' | 'maxChargeW' | 'maxDischargeW'> = {
  source: 'peak-shaving',
  desiredPeakW: 2500,
  minSocPct: 10,
  peakBufferPct: 20,
  limitPolicy: 'follow',
  marginW: 100,
  socHysteresisPct: 1,
  projectionTauS: 120,
  meterTimeoutMs: 10_000,
  batteryTimeoutMs: 60_000,
  timeZone: 'Europe/Brussels',
  siteMaxW: 100_000,
  refreshMs: 10_000,
  rechargeToLimit: true,
  frontLoad: 1,
  adaptive: true,
  reserveDays: 7,
  reserveRank: 0,
  levelRank: 6,
  topUp: true,
  shaveBelowLimit: false,
  reserveFactor: 1.28,
  coldStart: true,
  refBlend: 0.2,
  gridChargeAfterH: 3,
  topUpAfterH: 2,
  persistS: 40,
  fullShave: 0.7,
  fullBandPct: 5,
  fullShaveFloorW: 2500,
  quarterLeadS: 5,
  shaveMarginW: 0,
};

const kW = (w: number) => `${(w / 1000).toFixed(2)} kW`;

/** "06:00": the local time of t (reasons and the node's status). */
export function hhmm(t: number, timeZone: string): string {
  const f = localFields(t, timeZone);
  return `${String(f.hour).padStart(2, '0')}:${String(f.minute).padStart(2, '0')}`;
}

export class PeakShavingController {
  readonly p: Defaulted;
  /** The mode that stands (configured: peak shaving; `enable` and a mode without `until` change it) and an override until a time. */
  private standing: PeakMode = 'peak-shaving';
  private override: (PeakModeInput & { until: number }) | null = null;
  /** The battery was stale at the last step (its reason goes out once per stale spell). */
  private batteryStale = false;
  private band: PeakBand = 'balancing';
  private quarterStart = 0;
  private energyWh = 0;
  /** The latest import sample; `at` is how far its energy has been integrated. */
  private lastMeter: { power: number; at: number } | null = null;
  /** When the latest meter sample arrived (freshness and the projection filter's step). */
  private lastMeterSeen: number | null = null;
  private meterAvg: { avg: number; at: number } | null = null;
  private filtered: number | null = null;
  private monthKey = '';
  private monthPeakW = 0;
  private meterMonthPeakW = 0;
  private quartersAbove = 0;
  private lastQuarterW: number | null = null;
  private soc: number | null = null;
  private socAt = -Infinity;
  private evW = 0;
  /** This quarter's projection has crossed the limit: the car keeps its limit to the quarter's end. */
  private quarterBound = false;
  private evAt = -Infinity;
  /** Import samples of the last `persistS` seconds (the oldest one at or before that window's start). */
  private recent: Array<{ at: number; power: number; house: number }> = [];
  private batteryW = 0;
  private seenChargeW = 0;
  private seenDischargeW = 0;
  /** This quarter's import and PV surplus without the battery (Wh), and whether it was seen from its start. */
  private netImpWh = 0;
  private netSurWh = 0;
  private quarterWhole = false;
  private readonly history = new LoadHistory();
  private planCache: { key: string; plan: Plan } | null = null;
  private lastSent: { target: string; limit: string; at: number } = { target: '', limit: '', at: -Infinity };

  constructor(params: PeakShavingParams = {}) {
    this.p = { ...DEFAULTS, ...Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) } as PeakShavingController['p'];
    if (this.p.peakBufferPct < 0 || this.p.minSocPct < 0 || this.p.minSocPct + this.p.peakBufferPct > 100) throw new RangeError('minSocPct + peakBufferPct must be within 0–100 %');
  }

  /** The learnt quarters (for Node-RED context, so a restart keeps them). */
  historySnapshot(): Array<[number, number, number]> {
    return this.history.snapshot();
  }

  /** Restores the learnt quarters after a restart; returns how many were taken. */
  restoreHistory(rows: unknown): number {
    this.planCache = null;
    return this.history.restore(rows);
  }

  /**
   * Where the billing month ends within the `quarters` from `from` (the replay's quarter index; the new month's limit is the
   * desired peak): a battery emptied in the month's last evening would leave the next month's first night unshaved.
   */
  private monthChange(from: number, quarters: number): ReserveParams['nextMonth'] {
    const month = this.monthOf(from - 1);
    if (this.monthOf(from + (quarters - 1) * Q_MS) === month) return undefined;
    // The first quarter in the new month: `lo` is always still in this month (−1: the quarter before `from`), `hi` not.
    let lo = -1;
    let hi = quarters - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.monthOf(from + mid * Q_MS) === month) lo = mid;
      else hi = mid;
    }
    return { from: hi, levelW: this.p.desiredPeakW };
  }

  /** The mode in force. */
  get mode(): PeakMode {
    return this.override?.mode ?? this.standing;
  }

  private get enabled(): boolean {
    return this.mode !== 'off';
  }

  /** "06:00" (local) or "2026-03-29 06:00" when not today: for reasons. */
  private clock(t: number, now: number): string {
    const date = localFields(t, this.p.timeZone).date;
    return date === localFields(now, this.p.timeZone).date ? hhmm(t, this.p.timeZone) : `${date} ${hhmm(t, this.p.timeZone)}`;
  }

  /** Applies `enable` and `mode` inputs, and ends an override whose time is up. */
  private switchMode(i: PeakInputs, now: number, reasons: string[]): void {
    const before = this.mode;
    let why = '';
    if (i.enabled !== undefined) {
      this.standing = i.enabled ? 'peak-shaving' : 'off';
      this.override = null;
    }
    if (i.mode) {
      const m = i.mode;
      if (m.until === undefined) {
        this.standing = m.mode;
        this.override = null;
      } else this.override = { mode: m.mode, until: m.until, ...(m.reason ? { reason: m.reason } : {}) };
      why = `${m.until !== undefined ? ` until ${this.clock(m.until, now)}` : ''}${m.reason ? ` (${m.reason})` : ''}`;
    }
    if (this.mode !== before || why) reasons.push(`mode ${before} → ${this.mode}${why}`);
    if (this.override && now >= this.override.until) {
      reasons.push(`mode ${this.override.mode} ended at ${this.clock(this.override.until, now)}: back to ${this.standing}`);
      this.override = null;
    }
  }

  /** "2026-03" — the billing month of t in the configured time zone. */
  monthOf(t: number): string {
    return localFields(t, this.p.timeZone).date.slice(0, 7);
  }

  limitW(): number {
    const month = Math.max(this.monthPeakW, this.meterMonthPeakW);
    return this.p.limitPolicy === 'follow' ? Math.max(this.p.desiredPeakW, month) : this.p.desiredPeakW;
  }

  /** Closes the running quarter at its end: its average, the month peak, the count above the limit. */
  private closeQuarter(reasons: string[]): void {
    const avg = (this.energyWh * 3_600_000) / Q_MS;
    this.lastQuarterW = Math.round(avg);
    if (this.monthOf(this.quarterStart) !== this.monthKey) return;
    if (avg > this.limitW() + 1) {
      this.quartersAbove++;
      reasons.push(`quarter ended at ${kW(avg)}, above the ${kW(this.limitW())} limit`);
    }
    this.monthPeakW = Math.max(this.monthPeakW, avg);
    if (this.quarterWhole) this.history.add(this.quarterStart, { importWh: this.netImpWh, surplusWh: this.netSurWh });
  }

  /** Adds the held import (and the house's net power without the battery) from `from` to `to`. */
  private accrue(from: number, to: number): void {
    if (!this.lastMeter || to <= from) return;
    const h = (to - from) / 3_600_000;
    this.energyWh += Math.max(0, this.lastMeter.power) * h;
    const net = this.lastMeter.power + this.batteryW;
    this.netImpWh += Math.max(0, net) * h;
    this.netSurWh += Math.max(0, -net) * h;
  }

  private startQuarter(start: number, whole: boolean): void {
    this.quarterStart = start;
    this.energyWh = 0;
    this.netImpWh = 0;
    this.netSurWh = 0;
    this.meterAvg = null;
    this.quarterWhole = whole;
    this.quarterBound = false;
  }

  /** Integrates the held import power up to `now`, closing every quarter boundary on the way. */
  private advanceTo(now: number, reasons: string[]): void {
    if (!this.lastMeter) {
      this.startQuarter(Math.floor(now / Q_MS) * Q_MS, false);
      return;
    }
    // A gap of more than a quarter without readings: start afresh at the quarter of now.
    if (now - this.lastMeter.at > Q_MS) {
      this.startQuarter(Math.floor(now / Q_MS) * Q_MS, false);
      this.lastMeter.at = this.quarterStart;
    }
    for (;;) {
      const end = this.quarterStart + Q_MS;
      const to = Math.min(now, end);
      this.accrue(this.lastMeter.at, to);
      this.lastMeter.at = Math.max(this.lastMeter.at, to);
      if (now < end) return;
      this.closeQuarter(reasons);
      this.rollMonth(end, reasons);
      this.startQuarter(end, true);
    }
  }

  private rollMonth(now: number, reasons: string[]): void {
    const m = this.monthOf(now);
    if (m === this.monthKey) return;
    if (this.monthKey) reasons.push(`new month ${m}: month peak reset (was ${kW(Math.max(this.monthPeakW, this.meterMonthPeakW))})`);
    this.monthKey = m;
    this.monthPeakW = 0;
    this.meterMonthPeakW = 0;
    this.quartersAbove = 0;
  }

  step(i: PeakInputs, now: number): PeakResult {
    const reasons: string[] = [];
    this.switchMode(i, now, reasons);
    if (i.desiredPeakW !== undefined) {
      if (!Number.isFinite(i.desiredPeakW) || i.desiredPeakW < 0 || i.desiredPeakW > 100_000) throw new RangeError('desiredPeakW: must be 0–100000 W');
      if (i.desiredPeakW !== this.p.desiredPeakW) reasons.push(`desired peak ${kW(this.p.desiredPeakW)} → ${kW(i.desiredPeakW)}`);
      this.p.desiredPeakW = i.desiredPeakW;
    }
    if (i.restore && i.restore.monthKey === this.monthOf(now)) {
      this.monthKey = i.restore.monthKey;
      this.monthPeakW = Math.max(this.monthPeakW, i.restore.monthPeakW);
    }
    if (!this.monthKey) this.rollMonth(now, reasons);
    this.advanceTo(now, reasons);
    this.rollMonth(now, reasons);
    // The battery first: a meter reading with it counts the battery's power of the same moment.
    if (i.battery) {
      this.soc = i.battery.soc;
      this.socAt = now;
      const bw = i.battery.power;
      this.batteryW = typeof bw === 'number' && Number.isFinite(bw) ? bw : 0;
      this.seenDischargeW = Math.max(this.seenDischargeW, this.batteryW);
      this.seenChargeW = Math.max(this.seenChargeW, -this.batteryW);
      if (i.battery.capacityWh) this.p.capacityWh = i.battery.capacityWh;
    }
    if (i.meter) {
      const m = i.meter;
      if (typeof m.monthPeakW === 'number' && m.monthPeakW >= 0) this.meterMonthPeakW = Math.max(this.meterMonthPeakW, m.monthPeakW);
      if (typeof m.currentAverageW === 'number' && m.averageComputed === false) this.meterAvg = { avg: m.currentAverageW, at: now };
      const dt = this.lastMeterSeen !== null ? (now - this.lastMeterSeen) / 1000 : 0;
      const imp = Math.max(0, m.power);
      const k = this.filtered === null ? 1 : 1 - Math.exp(-Math.max(0, dt) / this.p.projectionTauS);
      this.filtered = this.filtered === null ? imp : this.filtered + (imp - this.filtered) * k;
      // The house's import without the battery's own discharge: shaving is no dip of the load.
      this.recent.push({ at: now, power: imp, house: imp + Math.max(0, this.batteryW) });
      while (this.recent.length > 1 && this.recent[1].at <= now - this.p.persistS * 1000) this.recent.shift();
      this.lastMeter = { power: m.power, at: now };
      this.lastMeterSeen = now;
    }
    if (i.charger) {
      this.evW = Math.max(0, i.charger.power);
      this.evAt = now;
    }
    return this.decide(now, reasons);
  }


  /**
   * From the own history: the reserve (SoC to keep for peaks) and the limit in force. The reserve is what
   * the past days (at the configured rank) needed to hold `base` from this time of day on, never below
   * the peak buffer; when the battery holds less than that, the limit is the lowest level it can hold.
   */
  private plan(now: number, soc: number | null, base: number): Plan {
    const fixed: Plan = { limitW: base, shaveW: base, hiPct: this.p.minSocPct + this.p.peakBufferPct, loPct: this.p.minSocPct + this.p.peakBufferPct / 2, topPct: this.p.minSocPct + this.p.peakBufferPct };
    const cap = this.p.capacityWh;
    if (!this.p.adaptive || soc === null || !cap || this.history.size < 96) return fixed;
    const key = `${Math.floor(now / 60_000)}|${Math.round(base)}|${Math.round(soc * 2)}`;
    if (this.planCache?.key === key) return this.planCache.plan;
    const rp: ReserveParams = {
      maxChargeW: this.p.maxChargeW ?? Math.max(1000, this.seenChargeW),
      maxDischargeW: this.p.maxDischargeW ?? Math.max(1000, this.seenDischargeW),
      efficiency: 0.93,
      marginW: this.p.marginW,
      horizon: 96,
      days: this.p.reserveDays,
      rank: this.p.levelRank,
      nextMonth: this.monthChange(this.quarterStart + Q_MS, 96),
    };
    const replays = this.history.replays(this.quarterStart + Q_MS, rp);
    let plan = fixed;
    if (replays.length) {
      const need = rankedReserveWh(replays, base, { ...rp, rank: this.p.reserveRank });
      const available = Math.max(0, (cap * (soc - this.p.minSocPct)) / 100);
      // Keep the battery as full as the coming PV surplus allows: balancing spends only what free PV refills.
      const surplus = Math.max(...replays.map((r) => r.reduce((a, q) => a + q.surplusWh, 0) * rp.efficiency));
      const pvPct = 100 - (100 * surplus) / cap;
      // Learnt: what the worst past day needed from here to hold the lower of the limit and the lowest level a
      // full battery would have held on it (a heavier day than the past ones then still finds energy), with a
      // safety factor, replaces the fixed peak buffer.
      const ceil = Math.max(base, highestQuarterW(replays) + this.p.marginW + 10);
      const worst = { ...rp, rank: this.p.reserveRank };
      const full = (cap * (100 - this.p.minSocPct)) / 100;
      const noTopUp = Math.round(this.p.gridChargeAfterH * 4);
      const lref = levelFor(replays, full, Math.min(base, this.p.desiredPeakW), ceil, { ...worst, gridChargeFrom: noTopUp, capPower: true });
      const ref = Math.min(base, lref + this.p.refBlend * Math.max(0, base - lref));
      // Counting recharges from the grid only from `gridChargeAfterH` on: the battery balances above this
      // SoC, so within the next hours it must not count on topping up; later it can still top up in time.
      const needRef = Math.min(full, rankedReserveWh(replays, ref, { ...worst, gridChargeFrom: noTopUp, capPower: true }));
      // Cold start: while the history holds fewer than `reserveDays` days, the reserve keeps at least the configured peak
      // buffer's share for the missing days (a few past days can all lack the evening a heavier day brings), except
      // within `gridChargeAfterH` of the PV surplus the past days saw, which refills the battery: energy kept into it
      // would only displace PV. Bench, PV over 14 days from 20 Dec (3 days known on 23 Dec): December 6322 → 6166 W;
      // PV, 10 kWh, 14 days from 24 Dec: 6156 → 6073 W; the table's rows unchanged.
      const missing = Math.max(0, this.p.reserveDays - replays.length) / this.p.reserveDays;
      const pvSoon = replays.some((r) => r.slice(0, noTopUp).some((q) => q.surplusWh > 25));
      const coldPct = this.p.coldStart && missing > 0 && !pvSoon ? this.p.minSocPct + this.p.peakBufferPct * missing : 0;
      const hiPct = Math.min(100, Math.max(pvPct, coldPct, this.p.minSocPct + (100 * needRef * this.p.reserveFactor) / cap));
      // The grid tops up only the need itself: the safety factor's share is left to the coming PV surplus (a
      // factored need rises faster than the PV that meets it fills the battery, and grid energy bought for it
      // would take the PV's room).
      // The top-up counts on the grid sooner than the reserve (`topUpAfterH`): what the grid can still buy in time later is
      // not bought now, while the morning's PV surplus may yet fill it.
      const topFrom = Math.max(0, Math.round(this.p.topUpAfterH * 4));
      const needTop = topFrom === noTopUp ? needRef : Math.min(full, rankedReserveWh(replays, ref, { ...worst, gridChargeFrom: topFrom, capPower: true }));
      const topPct = Math.min(hiPct, Math.max(pvPct, this.p.minSocPct + (100 * needTop) / cap));
      const floor = this.p.shaveBelowLimit ? Math.min(base, this.p.desiredPeakW) : base;
      // Pinned to the desired peak: the limit never rises, only the reserve is learnt.
      const pinned = this.p.limitPolicy === 'desired';
      const level = pinned || (need <= available && !this.p.shaveBelowLimit) ? base : levelFor(replays, available, floor, ceil, rp);
      plan = { limitW: Math.max(base, level), shaveW: Math.max(floor, level), hiPct, loPct: this.p.minSocPct + (topPct - this.p.minSocPct) / 2, topPct };
    }
    this.planCache = { key, plan };
    return plan;
  }

  /** Why the reserve is learnt or the fixed SoC bands hold (the same tests as plan()). */
  private reserveBasis(soc: number | null): string {
    if (!this.p.adaptive) return 'fixed SoC bands (learning off)';
    if (!this.p.capacityWh) return 'capacity unknown → fixed SoC bands';
    if (soc === null) return 'SoC unknown → fixed SoC bands';
    if (this.history.size < 96) return `learning (${this.history.size} of 96 quarters) → fixed SoC bands`;
    return 'learnt';
  }

  private decide(now: number, reasons: string[]): PeakResult {
    const elapsed = now - this.quarterStart;
    const remMs = Q_MS - elapsed;
    const meterFresh = this.lastMeterSeen !== null && now - this.lastMeterSeen <= this.p.meterTimeoutMs;
    const soc = now - this.socAt <= this.p.batteryTimeoutMs ? this.soc : null;
    // A battery that has reported and then gone quiet: its SoC is unknown (peak limiting, never balancing on an old SoC).
    const batteryAgeMs = this.socAt === -Infinity ? null : now - this.socAt;
    const batteryStale = batteryAgeMs !== null && batteryAgeMs > this.p.batteryTimeoutMs;
    if (batteryStale !== this.batteryStale) reasons.push(batteryStale ? `battery stale ${Math.round((batteryAgeMs ?? 0) / 1000)} s → SoC unknown: peak limiting` : 'battery readings again');
    this.batteryStale = batteryStale;
    // The month's limit (desired peak or the peak already set), and the limit in force now (≥ it).
    const base = this.limitW();
    const { limitW: limit, shaveW, hiPct, loPct, topPct } = this.plan(now, soc, base);
    const until = now + 3 * this.p.refreshMs;
    // Energy so far: the meter's own running average where it sends one (1-0:1.4.0), else ours.
    const eWh = this.meterAvg && this.meterAvg.at >= this.quarterStart ? Math.max(this.energyWh, (this.meterAvg.avg * elapsed) / 3_600_000) : this.energyWh;
    const avgSoFar = elapsed > 0 ? (eWh * 3_600_000) / elapsed : null;
    // The import for the projection: the filtered one, or what has held for `persistS` without a dip (a
    // sustained rise counts at once after that; a shorter spike never lifts it).
    const persisted = this.recent.length > 0 && this.recent[0].at <= now - this.p.persistS * 1000;
    const held = persisted ? Math.min(...this.recent.map((r) => r.power)) : 0;
    const pf = Math.max(this.filtered ?? 0, held);
    // Whether the quarter binds counts the load that has held without the battery's discharge: the battery's own
    // shaving must not end the shaving (a jump to 7.8 kW was shaved for 4 s, then left for 20 s unshaved).
    const heldHouse = persisted ? Math.min(...this.recent.map((r) => r.house)) : 0;
    const projectedWh = eWh + (Math.max(pf, heldHouse) * remMs) / 3_600_000;
    const budgetWh = ((limit - this.p.marginW) * Q_MS) / 3_600_000;
    const allowed = remMs > 0 ? Math.max(0, ((budgetWh - eWh) * 3_600_000) / remMs) : 0;
    const binds = projectedWh > budgetWh;
    // The recharge's headroom: the constant import that ends the quarter at the month's limit − margin.
    const baseBudgetWh = ((base - this.p.marginW) * Q_MS) / 3_600_000;
    const headroom = remMs > 0 ? Math.max(0, ((baseBudgetWh - eWh) * 3_600_000) / remMs) : 0;

    // SoC bands with hysteresis.
    const lo = loPct;
    const hi = hiPct;
    const h = this.p.socHysteresisPct;
    const before = this.band;
    if (!this.enabled) this.band = 'balancing';
    else if (!meterFresh) this.band = 'fallback';
    else if (soc === null) this.band = this.band === 'recharge' ? 'recharge' : 'limiting';
    else if (soc < this.p.minSocPct || soc <= lo) this.band = 'recharge';
    else if (this.band === 'recharge') this.band = soc >= topPct ? 'limiting' : 'recharge';
    else if (soc <= hi) this.band = 'limiting';
    else if (this.band === 'limiting' || this.band === 'fallback') this.band = soc >= hi + h ? 'balancing' : 'limiting';
    else this.band = 'balancing';
    if (this.band !== before) reasons.push(`${before} → ${this.band}${soc !== null ? ` (SoC ${soc.toFixed(1)} %)` : ''}`);

    let target: PeakCommand['gridTarget'] = null;
    let gridLimit: PeakCommand['gridLimit'] = null;
    // Once the quarter has bound, the car keeps the allowed import as its limit to the quarter's end (no pause and
    // resume each time the projection dips below the budget); before that a short spike does not throttle it.
    if (binds && this.enabled && meterFresh) this.quarterBound = true;
    const allowedNow = binds || this.quarterBound ? allowed : this.p.siteMaxW;
    // The battery's share: with front-loading it shaves deeper than the car's limit early in a binding quarter.
    // The battery aims at its shave level (≤ the limit: lower while it holds more than the past days needed).
    const shaveAt = soc !== null && soc >= 100 - this.p.fullBandPct ? Math.max(Math.min(this.p.desiredPeakW, this.p.fullShaveFloorW), shaveW * this.p.fullShave) : shaveW;
    // The battery aims `shaveMarginW` below the car's allowed import: a spike it follows late (latency, ramp) then
    // still ends the quarter under the limit − margin.
    const shaveMarginW = this.p.marginW + this.p.shaveMarginW;
    const shaveBudgetWh = ((shaveAt - shaveMarginW) * Q_MS) / 3_600_000;
    const shaveAllowed = remMs > 0 ? Math.max(0, ((shaveBudgetWh - eWh) * 3_600_000) / remMs) : 0;
    const shaveBinds = projectedWh > shaveBudgetWh;
    // The car sheds first: the battery's band covers the house alone (the car's power goes on top of it), and
    // front-loading counts only the house's excess, so the battery never discharges into a car that could slow down.
    const evW = now - this.evAt <= this.p.meterTimeoutMs * 3 ? this.evW : 0;
    // The house's excess counts its load without the battery's discharge: counted on the grid import, the excess
    // vanishes as soon as the battery follows the allowed import, and a load that rises later in the quarter beyond
    // the battery's power finds the budget spent (a 6.4 → 9.1 kW quarter with the battery at 1.7 kW: 6501 W
    // instead of 6322 W; bench + PV 6180 → 6159 W, defaults' peakRatio 1.032 → 1.027).
    const housePf = Math.max(0, Math.max(pf, heldHouse) - evW);
    let batteryAllowed = shaveBinds ? Math.max(0, shaveAllowed - this.p.frontLoad * Math.max(0, housePf - shaveAllowed)) : this.p.siteMaxW;
    // Near the quarter's end: the next quarter's band (nothing imported in it yet) where it is lower.
    const nextAllowed = shaveAt - shaveMarginW;
    if (remMs <= this.p.quarterLeadS * 1000 && housePf > nextAllowed) batteryAllowed = Math.min(batteryAllowed, Math.max(0, nextAllowed - this.p.frontLoad * (housePf - nextAllowed)));
    const mode = this.mode;
    const source = this.p.source;
    if (!this.enabled) {
      target = { kind: 'grid-target', minW: 0, maxW: 0, until: now, reason: 'peak shaving off: zero export as configured', source };
      gridLimit = null;
      reasons.push('peak shaving off');
    } else if (this.band === 'fallback') {
      target = { kind: 'grid-target', minW: 0, maxW: 0, until: now, reason: 'meter stale: zero export as configured', source };
      gridLimit = { kind: 'grid-limit', maxImportW: Math.round(Math.max(0, limit - this.p.marginW)), until, reason: 'peak shaving: meter stale, static limit', source };
      reasons.unshift(`meter ${this.lastMeterSeen === null ? 'not seen yet' : `${Math.round((now - this.lastMeterSeen) / 1000)} s old`}: static ${kW(limit)} limit for the car, battery back to zero export`);
    } else {
      // The car sheds first: its limit is the allowed import; the battery's band leaves the car's power on top.
      gridLimit = {
        kind: 'grid-limit',
        maxImportW: Math.round(Math.min(this.p.siteMaxW, allowedNow)),
        until,
        reason: binds ? `peak shaving: quarter projected ${kW((projectedWh * 3_600_000) / Q_MS)} > ${kW(limit)}` : this.quarterBound ? `peak shaving: quarter held at ${kW(limit)} to its end` : 'peak shaving: quarter below the limit',
        source,
      };
      // The battery's share of the allowed import (the car's power on top of it), for the bands below.
      const batteryMaxW = Math.max(0, Math.round(Math.min(this.p.siteMaxW, batteryAllowed + evW)));
      // What a recharge may draw: up to the limit (or the desired peak), never faster than the quarter's budget allows.
      const rechargeW = Math.min(headroom, (this.p.rechargeToLimit ? base : this.p.desiredPeakW) - this.p.marginW);
      if (mode === 'balance') {
        // Another controller's mode (a schedule): no band of our own, zero export as configured; the car's limit stays.
        target = { kind: 'grid-target', minW: 0, maxW: 0, until: now, reason: 'mode balance: no band of its own, zero export as configured', source };
      } else if (mode === 'hold') {
        // The battery idles, except to keep the quarter at the limit.
        target = { kind: 'grid-target', minW: -this.p.siteMaxW, maxW: batteryMaxW, until, reason: `mode hold: battery idle, import ≤ ${kW(batteryMaxW)} (the limit)`, source };
      } else if (mode === 'charge') {
        // Charge from the grid as fast as the quarter's headroom allows: a schedule's charge never sets a quarter above the limit.
        const minW = Math.min(batteryMaxW, Math.max(0, Math.round(rechargeW)));
        target = { kind: 'grid-target', minW, maxW: batteryMaxW, until, reason: `mode charge: from the grid at ${kW(minW)} (never above ${kW(limit)})`, source };
      } else if (this.band === 'balancing') {
        // Zero export holds the grid at its target; the battery already does what it can.
        target = { kind: 'grid-target', minW: 0, maxW: 0, until: now, reason: 'balancing: zero export as configured', source };
      } else if (this.band === 'limiting') {
        const maxW = batteryMaxW;
        // Below the reserve: top up from the grid within the quarter's headroom (never above the month's limit).
        const minW = this.p.topUp && soc !== null && soc < topPct - h ? Math.min(maxW, Math.round(headroom)) : 0;
        const why = binds ? `peak limiting: import ≤ ${kW(allowedNow)} for the rest of the quarter` : minW > 0 ? `peak limiting: top up to ${hi.toFixed(0)} % at ≤ ${kW(minW)}` : 'peak limiting: deficits from the grid';
        target = { kind: 'grid-target', minW, maxW, until, reason: why, source };
      } else {
        // Charge from the grid up to the limit (or the desired peak), never faster than the quarter's budget allows;
        // spikes above it are shaved only when the quarter would otherwise end above the limit.
        // Below the minimum SoC the battery only charges.
        const maxW = soc !== null && soc < this.p.minSocPct ? this.p.siteMaxW : Math.round(Math.min(this.p.siteMaxW, batteryAllowed + evW));
        const minW = Math.min(maxW, Math.max(0, Math.round(rechargeW)));
        target = { kind: 'grid-target', minW, maxW: Math.max(minW, maxW), until, reason: `recharge from the grid at ${kW(minW)} (never above ${kW(limit)})`, source };
      }
      if (binds) reasons.push(`quarter: ${kW(avgSoFar ?? 0)} so far, projected ${kW((projectedWh * 3_600_000) / Q_MS)}: import ≤ ${kW(allowed)} for ${Math.round(remMs / 1000)} s`);
    }
    const state: PeakState = {
      band: this.band,
      limitW: Math.round(limit),
      desiredPeakW: this.p.desiredPeakW,
      monthPeakW: Math.round(Math.max(this.monthPeakW, this.meterMonthPeakW)),
      monthKey: this.monthKey,
      quarterStart: this.quarterStart,
      quarterAverageW: avgSoFar === null ? null : Math.round(avgSoFar),
      projectedW: meterFresh ? Math.round((projectedWh * 3_600_000) / Q_MS) : null,
      allowedW: binds ? Math.round(allowed) : null,
      soc,
      reserveSocPct: Math.round(hi * 10) / 10,
      shaveW: Math.round(shaveW),
      quartersAboveLimit: this.quartersAbove,
      lastQuarterW: this.lastQuarterW,
      mode,
      modeUntil: this.override?.until ?? null,
      capacityWh: this.p.capacityWh ?? null,
      reserveBasis: this.reserveBasis(soc),
      batteryAgeS: batteryAgeMs === null ? null : Math.round(batteryAgeMs / 1000),
      batteryStale,
    };
    // Send on change (50 W) and on the refresh period.
    const tKey = target ? `${target.minW}|${target.maxW}|${target.until === now}` : '';
    const lKey = gridLimit ? `${Math.round(gridLimit.maxImportW / 50)}` : '';
    const refresh = now - this.lastSent.at >= this.p.refreshMs;
    // A band that ends now (balancing, off, fallback) goes out once when it changes, not on every refresh.
    const sendT = tKey !== this.lastSent.target || (refresh && target !== null && target.until !== now) ? target : null;
    const sendL = refresh || lKey !== this.lastSent.limit ? gridLimit : null;
    if (sendT || sendL || refresh) this.lastSent = { target: tKey, limit: lKey, at: refresh ? now : this.lastSent.at };
    return { gridTarget: sendT, gridLimit: sendL, state, reasons };
  }
}
