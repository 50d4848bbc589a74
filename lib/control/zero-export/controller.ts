/**
 * ZeroExportController: holds the grid at a target ("nul op de meter") with one or more batteries.
 * A pure state machine (DESIGN.md §4): step(inputs, now) → { commands, state, reasons }; it never
 * reads the clock and owns no timers. Contract and parameter docs: types.ts.
 *
 * Control law (CONTROL-ANCHORS.md §3.1, written for the known failure of grid-following loops:
 * limit cycles when the meter lags the battery, AstraMeter #473, OpenEMS PR #2960):
 * 1. Each meter sample is placed at the instant it was measured. The batteries' power at that
 *    instant comes from their command history (UnitModel): a latency window [min, max] and a ramp
 *    give an interval [lo, hi] rather than one guess.
 * 2. Net load then = grid + battery power, as an interval; the total setpoint that would hold the
 *    target is that interval − target. If the present total setpoint lies inside it, nothing is
 *    known to be wrong and nothing changes (no chasing of the effect of a command still in flight);
 *    otherwise the total moves to the nearest edge. With the true latency inside the window this
 *    never overshoots; with no command in flight the interval is one value and the correction is
 *    exact (one step, whatever the meter period).
 * 3. Corrections under `deadbandW` are integrated (W·s) and sent once they add up to
 *    `errorBudgetWs`, so there is no steady-state error and no chasing of meter noise; a slew limit
 *    caps each change; the total is clamped to what the usable units can do, so nothing winds up.
 * 4. Each unit's limits come from its own report (the `limits` of its readings; UNREPORTED_LIMIT_W
 *    without), the user's caps, its state (empty, full), the
 *    SoC window and what it was seen to deliver (a unit that does not follow its setpoint is held at
 *    what it does for a minute), and splitPower() shares the total (split.ts).
 * 5. Fail safe: a meter sample older than the timeout (default 2 meter periods, ≥ 2.5 s) sends every
 *    unit 0 W or hands it back to its own strategy; a unit with stale data or in error drops out
 *    and the others take over at once.
 * 6. Composition (DESIGN.md §4.1, constraints.ts): a `grid-target` band replaces the target until it
 *    ends or goes silent; with `excludeChargerPower` the charger's power is left to the grid. A grid
 *    outside the band ± dead band for longer than `offTargetMs` sets `state.attention` with why.
 *    A `grid-limit` caps import and export (the lowest of its senders); a `mode` message switches
 *    the battery mode: `hold` opens the band (the batteries spend nothing unless a band, the
 *    grid-limit or the export cap needs them), `charge` also aims at charging at `modeChargeW`;
 *    `balance` and `peak-shaving` keep the configured behaviour. Each ends at its `until`.
 */
import type { BatteryState } from '../../api/types';
import { readingTime } from '../../api/control-schemas';
import { bandText, ChargerPower, GridLimitHold, GridTargetHold, ModeHold, w } from './constraints';
import { newStageState, splitPower, totalRange, type SplitUnit } from './split';
import type {
  AttentionCode,
  UnitObservation,
  UnitStatus,
  ZeroExportCommand,
  ZeroExportInputs,
  ZeroExportLike,
  ZeroExportMode,
  ZeroExportParams,
  ZeroExportResult,
  ZeroExportState,
  ZeroExportUnitConfig,
} from './types';
import { NetTrend } from './net-trend';
import { UnitModel } from './unit-model';

/** Every default, documented in types.ts. */
export const ZERO_EXPORT_DEFAULTS = {
  targetW: 0,
  exportCapW: null as number | null,
  deadbandW: 15,
  errorBudgetWs: 150,
  slewWPerS: 4000,
  meterTimeoutMs: 0,
  batteryTimeoutMs: 30_000,
  failSafe: 'zero' as 'zero' | 'release',
  minSocPct: 5,
  maxSocPct: 100,
  reserveSocPct: 0,
  reserveChargeW: 300,
  socHysteresisPct: 0.5,
  unitEfficientW: 800,
  stageDwellMs: 60_000,
  stageUnits: false,
  shareToleranceW: 100,
  refreshMs: 60_000,
  offTargetMs: 0,
  excludeChargerPower: false,
  modeChargeW: 1000,
  unit: {
    capacityWh: 5200,
    latencyMinMs: 1000,
    latencyMaxMs: 3000,
    rampWPerS: 1000,
  },
};

/**
 * Most charge and discharge, W, of a unit whose readings carry no `limits` (a battery node always
 * reports them; this is for other callers of the library): below the limits of the home batteries
 * this package drives, so such a unit is never asked for more than it can do.
 */
export const UNREPORTED_LIMIT_W = 1000;
/** offTargetMs auto: this many meter periods, at least OFF_TARGET_MIN_MS. */
const OFF_TARGET_PERIODS = 3;
const OFF_TARGET_MIN_MS = 10_000;

/** A meter timestamp further than this in the past (or 1 s in the future) of its arrival is not trusted. */
const MAX_METER_SKEW_MS = 5000;
const ASSUMED_METER_DELAY_MS = 500;
/** Meter period assumed for the timeout until two samples have arrived, ms. */
const UNKNOWN_PERIOD_MS = 10_000;
const MAX_TRUSTED_DELAY_MS = 2000;
/** Meter timestamps have 1 s resolution (P1): the sample was taken up to this much after its stamp. */
const STAMP_RESOLUTION_MS = 1000;
/** A unit that delivers more than this away from its settled setpoint does not follow it. */
const FOLLOW_TOLERANCE_W = 100;
const FOLLOW_TOLERANCE_REL = 0.25;
/** How long a unit that did not follow is held at what it delivered before it is tried again. */
const NOT_FOLLOWING_HOLD_MS = 60_000;
/** How far a unit's latency window may be widened beyond its configuration when it turns out slower. */
const MAX_EXTRA_LATENCY_MS = 7000;
/** Unit states in which the controller does not drive a unit. */
const NOT_DRIVABLE: ReadonlySet<BatteryState> = new Set<BatteryState>(['error', 'offline', 'override', 'unknown', 'starting']);
/** A reported active setpoint this far from ours makes us send ours again (at most every RESEND_MS). */
const MISMATCH_W = 50;
const RESEND_MS = 10_000;
/** A unit reading beyond this, W, counts as really charging or discharging (SoC window release). */
const MOVED_W = 20;
/** Samples whose battery power the model knows within this, W, feed the net load's line. */
const TREND_MAX_SPREAD_W = 60;
/** Meters slower than this, ms, correct each sample as it is (their samples are too far apart for a line). */
const TREND_MAX_PERIOD_MS = 5000;
/** The line is fitted over max(this, TREND_WINDOW_PERIODS meter periods), ms. */
const TREND_WINDOW_MS = 20_000;
const TREND_WINDOW_PERIODS = 4.5;
/** A line whose residuals spread more than this, W, is not used (the load is not smooth enough). */
const TREND_MAX_SIGMA_W = 40;
/** Most drift added ahead of a command, W. */
const TREND_MAX_LEAD_W = 200;
/** Meter period at which the dead band and error budget hold as configured; slower meters scale them down, ms. */
const SLOW_REF_MS = 1000;
/** Corrections below max(this, 5 × deadband) use the median of the last three samples. */
const SMALL_W = 100;

type P = Required<Omit<ZeroExportParams, 'units' | 'exportCapW'>> & { exportCapW: number | null };

interface Unit {
  cfg: Required<ZeroExportUnitConfig>;
  model: UnitModel;
  obs: UnitObservation | null;
  /** What we last commanded, W, or null (never, or released). */
  setpoint: number | null;
  sentAt: number;
  resentAt: number;
  /** In the set the controller drives now. */
  usable: boolean;
  note?: string;
  dischargeBlocked: boolean;
  chargeBlocked: boolean;
  /** Whether the unit was seen charging (discharging) since discharge (charge) was blocked at a SoC threshold. */
  movedSinceBlock: { charge: boolean; discharge: boolean };
  refill: boolean;
  /** Held at what it was seen to deliver, in one direction, until `until`. */
  held: { dir: 1 | -1; limitW: number; until: number } | null;
  lo: number;
  hi: number;
}

function finite(v: unknown, d: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : d;
}


export class ZeroExportController implements ZeroExportLike {
  readonly params: P;
  private readonly units: Unit[];
  private enabled = true;
  private mode: ZeroExportMode = 'waiting';
  private meter: { power: number; at: number } | null = null;
  private intervals: number[] = [];
  /** Arrival − timestamp of the last meter samples, ms. */
  private delays: number[] = [];
  private budgetWs = 0;
  private budgetS = 0;
  private lastCommandAt = -Infinity;
  private stage = newStageState();
  private curtailW = 0;
  private counters = { commands: 0, failsafes: 0 };
  private usableKey = '';
  /** The totals the last three meter samples asked for. */
  private goals: number[] = [];
  private readonly gridTarget = new GridTargetHold();
  private readonly gridLimit = new GridLimitHold();
  private readonly modeHold: ModeHold;
  private readonly trend = new NetTrend();
  private readonly charger = new ChargerPower();
  /** Since when the grid is outside the band ± dead band (sample time), or null. */
  private offSince: number | null = null;
  /** What the last sample asked of the batteries: more discharge (1), more charge (−1), and whether the total was at its end. */
  private attention: ZeroExportState['attention'] = null;

  constructor(params: ZeroExportParams) {
    const d = ZERO_EXPORT_DEFAULTS;
    if (!params || !Array.isArray(params.units) || params.units.length === 0) throw new Error('zero export: at least one unit is needed');
    const ids = new Set<string>();
    for (const u of params.units) {
      if (!u || typeof u.id !== 'string' || u.id === '') throw new Error('zero export: every unit needs an id');
      if (ids.has(u.id)) throw new Error(`zero export: unit id ${JSON.stringify(u.id)} is used twice`);
      ids.add(u.id);
    }
    this.params = {
      targetW: finite(params.targetW, d.targetW),
      exportCapW: params.exportCapW === null || params.exportCapW === undefined ? null : Math.max(0, finite(params.exportCapW, 0)),
      deadbandW: Math.max(0, finite(params.deadbandW, d.deadbandW)),
      errorBudgetWs: Math.max(0, finite(params.errorBudgetWs, d.errorBudgetWs)),
      slewWPerS: Math.max(1, finite(params.slewWPerS, d.slewWPerS)),
      meterTimeoutMs: Math.max(0, finite(params.meterTimeoutMs, d.meterTimeoutMs)),
      batteryTimeoutMs: Math.max(1, finite(params.batteryTimeoutMs, d.batteryTimeoutMs)),
      failSafe: params.failSafe === 'release' ? 'release' : 'zero',
      minSocPct: finite(params.minSocPct, d.minSocPct),
      maxSocPct: finite(params.maxSocPct, d.maxSocPct),
      reserveSocPct: Math.max(0, finite(params.reserveSocPct, d.reserveSocPct)),
      reserveChargeW: Math.max(0, finite(params.reserveChargeW, d.reserveChargeW)),
      socHysteresisPct: Math.max(0, finite(params.socHysteresisPct, d.socHysteresisPct)),
      unitEfficientW: Math.max(1, finite(params.unitEfficientW, d.unitEfficientW)),
      stageDwellMs: Math.max(0, finite(params.stageDwellMs, d.stageDwellMs)),
      stageUnits: typeof params.stageUnits === 'boolean' ? params.stageUnits : d.stageUnits,
      shareToleranceW: Math.max(0, finite(params.shareToleranceW, d.shareToleranceW)),
      refreshMs: Math.max(0, finite(params.refreshMs, d.refreshMs)),
      offTargetMs: Math.max(0, finite(params.offTargetMs, d.offTargetMs)),
      excludeChargerPower: params.excludeChargerPower === true,
      modeChargeW: Math.max(0, finite(params.modeChargeW, d.modeChargeW)),
    };
    this.modeHold = new ModeHold(this.params.modeChargeW);
    this.units = params.units.map((u) => {
      const cfg: Required<ZeroExportUnitConfig> = {
        id: u.id,
        maxChargeW: Math.max(0, finite(u.maxChargeW, Infinity)),
        maxDischargeW: Math.max(0, finite(u.maxDischargeW, Infinity)),
        capacityWh: Math.max(1, finite(u.capacityWh, d.unit.capacityWh)),
        latencyMinMs: Math.max(0, finite(u.latencyMinMs, d.unit.latencyMinMs)),
        latencyMaxMs: 0,
        rampWPerS: Math.max(1, finite(u.rampWPerS, d.unit.rampWPerS)),
      };
      cfg.latencyMaxMs = Math.max(cfg.latencyMinMs, finite(u.latencyMaxMs, Math.max(d.unit.latencyMaxMs, cfg.latencyMinMs)));
      return {
        cfg,
        model: new UnitModel(cfg.latencyMinMs, cfg.latencyMaxMs, cfg.rampWPerS),
        obs: null,
        setpoint: null,
        sentAt: -Infinity,
        resentAt: -Infinity,
        usable: false,
        dischargeBlocked: false,
        chargeBlocked: false,
        movedSinceBlock: { charge: false, discharge: false },
        refill: false,
        held: null,
        lo: 0,
        hi: 0,
      };
    });
  }

  step(inputs: ZeroExportInputs, now: number): ZeroExportResult {
    const commands: ZeroExportCommand[] = [];
    const reasons: string[] = [];
    const p = this.params;
    if (inputs.targetW !== undefined && Number.isFinite(inputs.targetW) && inputs.targetW !== p.targetW) {
      p.targetW = inputs.targetW;
      reasons.push(`target ${w(p.targetW)}`);
    }
    if (inputs.exportCapW !== undefined && inputs.exportCapW !== p.exportCapW) {
      p.exportCapW = inputs.exportCapW === null || !Number.isFinite(inputs.exportCapW) ? null : Math.max(0, inputs.exportCapW);
      if (p.exportCapW === null) this.curtailW = 0;
      reasons.push(p.exportCapW === null ? 'export cap off' : `export cap ${Math.round(p.exportCapW)} W`);
    }
    if (inputs.gridTarget && Number.isFinite(inputs.gridTarget.minW) && Number.isFinite(inputs.gridTarget.maxW)) {
      const line = this.gridTarget.set(inputs.gridTarget, now);
      if (line) reasons.push(line);
    }
    const ended = this.gridTarget.check(now, p.targetW);
    if (ended) reasons.push(ended);
    if (inputs.gridLimit) {
      const line = this.gridLimit.set(inputs.gridLimit, now);
      if (line) reasons.push(line);
    }
    const limitEnded = this.gridLimit.check(now);
    if (limitEnded) reasons.push(limitEnded);
    if (inputs.mode) {
      const line = this.modeHold.set(inputs.mode);
      if (line) reasons.push(line);
    }
    const modeEnded = this.modeHold.check(now, `configured behaviour (balance, target ${w(p.targetW)})`);
    if (modeEnded) reasons.push(modeEnded);
    if (inputs.charger && Number.isFinite(inputs.charger.power)) this.charger.set(inputs.charger, now);
    for (const [id, o] of Object.entries(inputs.units ?? {})) this.observe(id, o, now, reasons);
    let fresh: { power: number; at: number } | null = null;
    if (inputs.meter && Number.isFinite(inputs.meter.power)) {
      const ts = inputs.meter.timestamp;
      // A meter clock that runs behind would make a sample look older than it is, and the model
      // would then miss battery changes the meter already saw: timestamps are used only while the
      // delay they imply stays plausible (the smallest of the last 10 between 0 and 2 s).
      if (Number.isFinite(ts)) {
        this.delays.push(now - ts);
        if (this.delays.length > 10) this.delays.shift();
      }
      const minDelay = this.delays.length ? Math.min(...this.delays) : 0;
      const trusted = Number.isFinite(ts) && ts >= now - MAX_METER_SKEW_MS && ts <= now + 1000 && minDelay <= MAX_TRUSTED_DELAY_MS && minDelay >= -200;
      const at = trusted ? ts : now - ASSUMED_METER_DELAY_MS;
      if (!this.meter || at > this.meter.at) {
        if (this.meter) {
          this.intervals.push(at - this.meter.at);
          if (this.intervals.length > 8) this.intervals.shift();
        }
        fresh = { power: inputs.meter.power, at };
      }
    }

    if (inputs.enabled !== undefined && inputs.enabled !== this.enabled) {
      this.enabled = inputs.enabled;
      if (!this.enabled) {
        this.failSafeAll('disabled', now, commands);
        reasons.unshift(`disabled: ${p.failSafe === 'release' ? 'batteries handed back' : 'all setpoints 0 W'}`);
        this.mode = 'disabled';
      } else {
        reasons.unshift('enabled');
        this.mode = 'waiting';
      }
    }

    this.refreshUsable(now, commands, reasons);
    const prevMeter = this.meter;
    if (fresh) this.meter = fresh;

    if (!this.enabled) {
      this.mode = 'disabled';
    } else if (!this.meter) {
      this.mode = 'waiting';
    } else if (now - this.meter.at > this.meterTimeout()) {
      if (this.mode !== 'failsafe') {
        this.mode = 'failsafe';
        this.counters.failsafes++;
        this.failSafeAll('failsafe-meter', now, commands);
        reasons.unshift(
          `meter stale ${((now - this.meter.at) / 1000).toFixed(1)} s: ${p.failSafe === 'release' ? 'batteries handed back' : 'all setpoints 0 W'}`,
        );
      }
    } else if (!this.units.some((u) => u.usable)) {
      if (this.mode !== 'waiting') reasons.push('no usable battery');
      this.mode = 'waiting';
    } else {
      if (this.mode !== 'active') {
        if (this.mode === 'failsafe') reasons.push('meter back: control resumed');
        this.mode = 'active';
        this.budgetWs = 0;
        this.budgetS = 0;
      }
      if (fresh) this.control(fresh, prevMeter, now, commands, reasons);
    }
    if (fresh && p.exportCapW !== null) this.curtailment(fresh.power, reasons);
    this.refresh(now, commands);
    this.watch(fresh, now, reasons);
    this.counters.commands += commands.length;
    const state = this.state(now);
    return { commands, state, reasons: reasons.length ? reasons : [state.summary] };
  }

  /**
   * The band to hold the grid in now, W: grid-target or target (open in `hold` and `charge` mode), the
   * charger's power left to the grid, the export cap and the grid-limit (its import limit wins).
   */
  private heldBand(now: number): { lo: number; hi: number; carW: number } {
    const b = this.gridTarget.band(this.params.targetW, now);
    const carW = this.params.excludeChargerPower ? this.charger.now(now).power : 0;
    const mode = this.modeHold.mode;
    const open = b.source === 'config' && (mode === 'hold' || mode === 'charge');
    let lo = open ? -Infinity : b.minW + carW;
    let hi = open ? Infinity : b.maxW + carW;
    const limit = this.gridLimit.limit(now);
    const caps = [this.params.exportCapW, limit?.maxExportW ?? null].filter((x): x is number => x !== null);
    if (caps.length) {
      const cap = Math.min(...caps);
      lo = Math.max(lo, -cap);
      hi = Math.max(hi, -cap);
    }
    if (limit && limit.maxImportW !== null) {
      lo = Math.min(lo, limit.maxImportW);
      hi = Math.min(hi, limit.maxImportW);
    }
    return { lo, hi, carW };
  }

  /** The total the batteries aim at inside an open band: 0 W, or the charge power in `charge` mode (W, − charge). */
  private restTotal(): number {
    return this.modeHold.mode === 'charge' ? -this.modeHold.charging() : 0;
  }

  /** " (mode hold)" for a mode other than balance, else "". */
  private modeTag(): string {
    const m = this.modeHold.mode;
    return m === 'balance' ? '' : ` (mode ${m})`;
  }

  /**
   * Honest status (issue 11): the grid outside the band ± dead band for longer than offTargetMs
   * raises `attention` with the reason (at a limit, a unit not following, the SoC window); it
   * clears with the first sample back inside.
   */
  private watch(fresh: { power: number; at: number } | null, now: number, reasons: string[]): void {
    if (this.mode !== 'active') {
      this.offSince = null;
      this.attention = null;
      return;
    }
    if (!fresh) return;
    const { lo, hi } = this.heldBand(now);
    const db = this.params.deadbandW;
    const off = fresh.power > hi + db || fresh.power < lo - db;
    if (!off) {
      if (this.attention) reasons.push(`grid ${w(fresh.power)}: back on target ${bandText(lo, hi)}`);
      this.offSince = null;
      this.attention = null;
      return;
    }
    if (this.offSince === null) this.offSince = fresh.at;
    const limit = this.params.offTargetMs > 0 ? this.params.offTargetMs : Math.max(OFF_TARGET_MIN_MS, OFF_TARGET_PERIODS * (this.meterPeriod() ?? 1000));
    if (fresh.at - this.offSince < limit) return;
    const dir = fresh.power > hi ? 1 : -1;
    const held = this.units.find((u) => u.usable && u.held && u.held.dir === dir);
    const socNote = dir > 0 ? ['soc-min', 'empty', 'reserve', 'blocked'] : ['soc-max', 'full', 'blocked'];
    const socUnit = this.units.find((u) => u.usable && u.note !== undefined && socNote.includes(u.note));
    const total = this.currentTotal();
    const [minTotal, maxTotal] = totalRange(this.splitUnits());
    const atEnd = dir > 0 ? total >= maxTotal - 1 : total <= minTotal + 1;
    let code: AttentionCode;
    let why: string;
    let unit: string | undefined;
    if (held) {
      code = 'not-following';
      unit = held.cfg.id;
      why = `${unit} does not follow its setpoint (delivers ${w(held.obs?.power ?? 0)})`;
    } else if (atEnd && socUnit) {
      code = 'soc-window';
      unit = socUnit.cfg.id;
      const soc = socUnit.obs?.soc;
      why = `the SoC window stops ${dir > 0 ? 'discharging' : 'charging'} (${unit} ${typeof soc === 'number' ? Math.round(soc * 10) / 10 : '?'} %)`;
    } else if (atEnd) {
      code = dir > 0 ? 'discharge-limit' : 'charge-limit';
      why = `batteries at their ${dir > 0 ? 'discharge' : 'charge'} limit (${w(dir > 0 ? maxTotal : minTotal)})`;
    } else {
      code = 'off-target';
      why = `total ${w(total)}`;
    }
    const secs = Math.round((fresh.at - this.offSince) / 1000);
    const text = `off target ${secs} s: grid ${w(fresh.power)}, target ${bandText(lo, hi)}; ${why}`;
    if (!this.attention || this.attention.code !== code || this.attention.unit !== unit) reasons.push(text);
    this.attention = { code, ...(unit ? { unit } : {}), text, since: this.offSince };
  }

  /** One line on the present (state.summary). */
  private summary(now: number): string {
    const p = this.params;
    const grid = this.meter ? w(this.meter.power) : null;
    switch (this.mode) {
      case 'disabled':
        return 'disabled: nothing is sent';
      case 'failsafe':
        return `fail safe: meter stale ${this.meter ? ((now - this.meter.at) / 1000).toFixed(1) : '?'} s`;
      case 'waiting':
        if (!grid) return 'waiting: no meter reading yet';
        return `waiting: no usable battery (${this.units.map((u) => `${u.cfg.id} ${u.note ?? (u.obs ? u.obs.state : 'no-data')}`).join(', ')})`;
      default: {
        if (this.attention) return this.attention.text;
        const { lo, hi, carW } = this.heldBand(now);
        const b = this.gridTarget.band(p.targetW, now);
        const from = b.source === 'grid-target' ? ` (grid-target${b.reason ? `: ${b.reason}` : ''})` : b.expired ? ' (grid-target expired)' : '';
        const limit = this.gridLimit.limit(now);
        const lim = limit ? ` (grid-limit${limit.reason ? `: ${limit.reason}` : ''})` : '';
        const ms = this.modeHold.state();
        const mode = ms.mode === 'charge' ? ` (mode charge ${w(-(ms.chargeW ?? 0))}${ms.reason ? `: ${ms.reason}` : ''})` : ms.mode !== 'balance' ? ` (mode ${ms.mode}${ms.reason ? `: ${ms.reason}` : ''})` : ms.ended ? ` (mode ${ms.ended} ended)` : '';
        const car = carW > 0 ? `, car ${w(carW)} left to the grid` : '';
        return `holding: grid ${grid}, target ${bandText(lo, hi)}${from}${lim}${mode}${car}, total ${w(this.currentTotal())}`;
      }
    }
  }

  /** The observed meter period (median of recent intervals), ms, or null. */
  meterPeriod(): number | null {
    const iv = this.intervals.filter((x) => x > 0 && x < 120_000);
    if (!iv.length) return null;
    const s = iv.slice().sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  }

  private meterTimeout(): number {
    if (this.params.meterTimeoutMs > 0) return this.params.meterTimeoutMs;
    // Until two samples give the period, the slowest common one is assumed (DSMR 4: 10 s), so a slow
    // meter does not trip the fail safe between its first two samples.
    return Math.max(2500, 2 * (this.meterPeriod() ?? UNKNOWN_PERIOD_MS) + ASSUMED_METER_DELAY_MS);
  }

  private observe(id: string, o: UnitObservation, now: number, reasons: string[]): void {
    const u = this.units.find((x) => x.cfg.id === id);
    if (!u || !o || !Number.isFinite(o.power)) return;
    const ts = readingTime(o.timestamp, now);
    if (u.obs && ts < u.obs.timestamp) return;
    u.obs = { ...o, timestamp: ts };
    if (u.usable && u.setpoint !== null) u.model.observe(ts, o.power);
    // Does it follow? Judged only when the model says the last command has fully taken effect. A unit
    // that is late first widens its latency window (it is slower than configured); one still off
    // with the widest window does not follow and is held at what it delivers.
    // A unit that reports itself full or empty, or a limit below the setpoint, says why it stops: that
    // is no sign of a slow or disobedient unit (it would widen the window for good).
    const limit = u.setpoint !== null && u.setpoint > 0 ? o.limits?.maxDischargeW : o.limits?.maxChargeW;
    const explained = o.state === 'full' || o.state === 'empty' || (limit !== undefined && u.setpoint !== null && Math.abs(u.setpoint) > limit);
    if (u.usable && u.setpoint !== null && !explained && u.model.settled(ts)) {
      const expected = u.setpoint;
      if (Math.abs(o.power - expected) > Math.max(FOLLOW_TOLERANCE_W, FOLLOW_TOLERANCE_REL * Math.abs(expected))) {
        const widest = u.cfg.latencyMaxMs + MAX_EXTRA_LATENCY_MS;
        if (u.model.latencyMaxMs < widest) {
          const since = ts - (u.model.lastAt ?? ts);
          u.model.latencyMaxMs = Math.min(widest, Math.max(u.model.latencyMaxMs + 1000, since + 500));
          reasons.push(`${id} is slower than its latency window: now ${(u.model.latencyMinMs / 1000).toFixed(1)}–${(u.model.latencyMaxMs / 1000).toFixed(1)} s`);
        } else if (expected !== 0) {
          const dir = expected > 0 ? 1 : -1;
          u.held = { dir, limitW: Math.max(0, dir * o.power), until: now + NOT_FOLLOWING_HOLD_MS };
          u.model.reset(o.power);
          u.setpoint = o.power;
          reasons.push(`${id} delivers ${w(o.power)} of ${w(expected)}: held there for ${NOT_FOLLOWING_HOLD_MS / 1000} s`);
        }
      }
    }
  }

  /** Works out which units can be driven and their power range; drops units that cannot. */
  private refreshUsable(now: number, commands: ZeroExportCommand[], reasons: string[]): void {
    const p = this.params;
    const before = this.currentTotal();
    const h = p.socHysteresisPct;
    const floor = Math.max(p.minSocPct, p.reserveSocPct);
    for (const u of this.units) {
      const o = u.obs;
      let note: string | undefined;
      let state: BatteryState | 'no-data' | 'stale' = o ? o.state : 'no-data';
      if (!o) note = 'no-data';
      else if (now - o.timestamp > p.batteryTimeoutMs) note = state = 'stale';
      else if (NOT_DRIVABLE.has(o.state)) note = o.state;
      let lo = 0;
      let hi = 0;
      if (!note && o) {
        let maxC = Math.min(u.cfg.maxChargeW, finite(o.limits?.maxChargeW, UNREPORTED_LIMIT_W));
        let maxD = Math.min(u.cfg.maxDischargeW, finite(o.limits?.maxDischargeW, UNREPORTED_LIMIT_W));
        if (o.state === 'empty') maxD = 0;
        if (o.state === 'full') maxC = 0;
        const soc = o.soc;
        if (soc !== null && Number.isFinite(soc)) {
          // A blocked direction opens again past the hysteresis, or as soon as the SoC is off the
          // threshold because the unit really moved the other way (it charged since discharge was
          // blocked): that energy is there to use, and a SoC that only wobbles in its reading does
          // not count (it moves no power), so there is no chatter.
          if (soc <= floor) {
            u.dischargeBlocked = true;
            u.movedSinceBlock.charge = false;
          } else {
            if (u.dischargeBlocked && o.power < -MOVED_W) u.movedSinceBlock.charge = true;
            if (soc >= floor + h || (u.dischargeBlocked && u.movedSinceBlock.charge)) u.dischargeBlocked = false;
          }
          if (soc >= p.maxSocPct) {
            u.chargeBlocked = true;
            u.movedSinceBlock.discharge = false;
          } else {
            if (u.chargeBlocked && o.power > MOVED_W) u.movedSinceBlock.discharge = true;
            if (soc <= p.maxSocPct - h || (u.chargeBlocked && u.movedSinceBlock.discharge)) u.chargeBlocked = false;
          }
          if (p.reserveSocPct > 0 && soc < p.reserveSocPct - h) u.refill = true;
          else if (soc >= p.reserveSocPct) u.refill = false;
        }
        if (u.dischargeBlocked) maxD = 0;
        if (u.chargeBlocked) maxC = 0;
        if (u.held && now >= u.held.until) u.held = null;
        if (u.held) {
          if (u.held.dir > 0) maxD = Math.min(maxD, u.held.limitW);
          else maxC = Math.min(maxC, u.held.limitW);
        }
        lo = -Math.max(0, maxC);
        hi = Math.max(0, maxD);
        if (u.refill && !u.chargeBlocked) hi = Math.max(lo, -Math.min(p.reserveChargeW, maxC));
        note = u.refill ? 'reserve' : u.held ? 'not-following' : maxD === 0 && maxC === 0 ? 'blocked' : maxD === 0 ? (o.state === 'empty' ? 'empty' : 'soc-min') : maxC === 0 ? (o.state === 'full' ? 'full' : 'soc-max') : undefined;
      }
      const usable = !!o && state !== 'stale' && !NOT_DRIVABLE.has(o.state);
      if (u.usable && !usable) {
        reasons.push(`${u.cfg.id} dropped: ${note}`);
        // Stop it, unless someone else drives it on purpose (override: report, do not fight).
        if (this.mode !== 'disabled' && o?.state !== 'override' && u.setpoint !== null && u.setpoint !== 0) this.send(u, 0, 'unit-dropped', now, commands);
      }
      if (!u.usable && usable && u.setpoint === null) u.model.reset(o!.power);
      u.usable = usable;
      u.note = note;
      u.lo = lo;
      u.hi = hi;
    }
    // The set or the ranges changed: share the present total again at once, within the new limits.
    const key = this.units.map((u) => (u.usable ? `${u.lo}:${u.hi}` : '-')).join('|');
    if (key !== this.usableKey) {
      const first = this.usableKey === '';
      this.usableKey = key;
      if (!first && this.mode === 'active') this.apply(before, now, 'redistribute', commands);
    }
  }

  private currentTotal(): number {
    let t = 0;
    for (const u of this.units) if (u.usable && u.setpoint !== null) t += u.setpoint;
    return t;
  }

  private control(m: { power: number; at: number }, prev: { power: number; at: number } | null, now: number, commands: ZeroExportCommand[], reasons: string[]): void {
    const p = this.params;
    const band = this.heldBand(now);
    let bLo = 0;
    let bHi = 0;
    const late = Math.min(m.at + STAMP_RESOLUTION_MS, now);
    for (const u of this.units) {
      if (!u.usable) continue;
      const [lo, hi] = u.model.range(m.at);
      const [lo2, hi2] = late > m.at ? u.model.range(late) : [lo, hi];
      bLo += Math.min(lo, lo2);
      bHi += Math.max(hi, hi2);
    }
    // Totals that put the grid inside the band for every battery power the model allows.
    let wantLo = m.power + bLo - band.hi;
    let wantHi = m.power + bHi - band.lo;
    /** How far the net load is unknown (battery power in flight), W. */
    let spread = bHi - bLo;
    const current = this.currentTotal();
    const [minTotal, maxTotal] = totalRange(this.splitUnits());
    const period = this.meterPeriod() ?? 1000;
    // Between changes, the net load's line (net-trend.ts) instead of this one sample: its level
    // filters the noise, and its drift is followed to when a command would take effect.
    const kind = period < TREND_MAX_PERIOD_MS && bHi - bLo <= TREND_MAX_SPREAD_W ? this.trend.add(m.at, m.power + (bLo + bHi) / 2, Math.max(TREND_WINDOW_MS, TREND_WINDOW_PERIODS * period)) : 'short';
    const line = kind === 'trend' ? this.trend.fit(m.at) : null;
    const fit = line && line.sigma <= TREND_MAX_SIGMA_W ? line : null;
    if (fit) {
      const ahead = Math.max(-TREND_MAX_LEAD_W, Math.min(TREND_MAX_LEAD_W, (fit.slope * (now - m.at + this.latencyMidMs() + period / 2)) / 1000));
      wantLo = fit.level + ahead - band.hi;
      wantHi = fit.level + ahead - band.lo;
      spread = 0;
    }
    // The nearest total the measurement allows, within what the units can do.
    const clampTotal = (x: number) => Math.max(minTotal, Math.min(maxTotal, x));
    // Inside a band (minW < maxW) the battery spends no more than it must: the total nearest 0 W that keeps the grid
    // in [minW, maxW] (a car left to the grid by peak shaving's band is not fed from the battery). A point target
    // keeps the present total while the measurement allows it.
    const within = (lo: number, hi: number) => (current < lo ? lo : current > hi ? hi : current);
    const hold = within(wantLo, wantHi);
    // Inside a band the batteries aim at their rest total (0 W, or the charge power in mode charge); when an
    // edge of the band stops them short of it, that edge is held like a point target (the present total is
    // kept while the measurement allows it), so a command in flight is not chased at the edge.
    const rest = this.restTotal();
    const inBand = band.hi > band.lo && wantLo <= wantHi;
    const goal = clampTotal(!inBand ? hold : rest < wantLo ? within(wantLo, wantLo + spread) : rest > wantHi ? within(wantHi - spread, wantHi) : rest);
    this.goals.push(goal);
    if (this.goals.length > 3) this.goals.shift();
    const raw = goal - current;
    let delta = raw;
    // A slow meter's sample stands for its whole period: an error left alone costs that much longer,
    // so the dead band and the error budget shrink in proportion (1 s meter: as configured; 10 s: a
    // tenth, so every sample is corrected about as exactly as it allows).
    const slow = Math.min(1, SLOW_REF_MS / period);
    const deadband = p.deadbandW * slow;
    const budget = p.errorBudgetWs * slow;
    if (fit) {
      if (Math.abs(raw) < deadband) {
        const dt = prev ? Math.min(m.at - prev.at, 2 * period) / 1000 : 0;
        this.budgetWs += raw * dt;
        this.budgetS += dt;
        if (Math.abs(this.budgetWs) < budget || this.budgetS <= 0) return;
        delta = this.budgetWs / this.budgetS;
      }
    } else if (Math.abs(raw) >= Math.max(SMALL_W, 5 * p.deadbandW)) {
      // A real change: the line starts again from this sample.
      this.trend.reset();
      if (bHi - bLo <= TREND_MAX_SPREAD_W) this.trend.add(m.at, m.power + (bLo + bHi) / 2, TREND_WINDOW_MS);
    } else {
      // A small correction is taken from the median of the last three samples, so meter noise and
      // single spikes are not followed (a large one, a real step, goes out at once). What stays below
      // the deadband is integrated and corrected by its mean once it adds up to the error budget.
      const dt = prev ? Math.min(m.at - prev.at, 2 * (this.meterPeriod() ?? 1000)) / 1000 : 0;
      this.budgetWs += raw * dt;
      this.budgetS += dt;
      // (With slow meters, e.g. DSMR 4 every 10 s, three samples span half a minute: no median there.)
      const fast = (this.meterPeriod() ?? 1000) < 5000;
      const med = fast && this.goals.length === 3 ? this.goals.slice().sort((a, b) => a - b)[1] - current : raw;
      delta = Math.sign(med) !== Math.sign(raw) ? 0 : Math.abs(med) < Math.abs(raw) ? med : raw;
      if (Math.abs(delta) < deadband) {
        if (Math.abs(this.budgetWs) < budget || this.budgetS <= 0) return;
        delta = this.budgetWs / this.budgetS;
      }
    }
    // The slew limit counts the time since the last command, up to one meter period (until two samples
    // give it, the slowest common one, as for the timeout): a slow meter's sample may correct what built
    // up over its whole period (at start-up, 5.1 kW at once rather than 4 kW and the rest 10 s later).
    const slewS = Math.max(1, (this.meterPeriod() ?? UNKNOWN_PERIOD_MS) / 1000);
    const sinceLast = Math.min(slewS, Math.max(0.25, (now - this.lastCommandAt) / 1000));
    const maxStep = p.slewWPerS * sinceLast;
    let slewed = false;
    if (Math.abs(delta) > maxStep) {
      delta = Math.sign(delta) * maxStep;
      slewed = true;
    }
    this.budgetWs = 0;
    this.budgetS = 0;
    const total = current + delta;
    const changed = this.apply(total, now, 'control', commands);
    if (changed) {
      this.lastCommandAt = now;
      const limit = total >= maxTotal - 0.5 && wantLo > maxTotal ? ' (discharge limit)' : total <= minTotal + 0.5 && wantHi < minTotal ? ' (charge limit)' : slewed ? ' (slew limit)' : '';
      const car = band.carW > 0 ? ` (car ${w(band.carW)} left to the grid)` : '';
      reasons.push(`grid ${w(m.power)}, target ${bandText(band.lo, band.hi)}${this.modeTag()}${car}: total ${w(current)} → ${w(total)}${limit}`);
    }
  }

  /** Mean of the middle of the usable units' latency windows, ms. */
  private latencyMidMs(): number {
    let sum = 0;
    let n = 0;
    for (const u of this.units) {
      if (!u.usable) continue;
      sum += (u.model.latencyMinMs + u.model.latencyMaxMs) / 2;
      n++;
    }
    return n ? sum / n : 0;
  }

  private splitUnits(): SplitUnit[] {
    const p = this.params;
    const floor = Math.max(p.minSocPct, p.reserveSocPct);
    return this.units
      .filter((u) => u.usable)
      .map((u) => {
        const cap = finite(u.obs?.capacityWh, u.cfg.capacityWh) || u.cfg.capacityWh;
        const soc = u.obs?.soc;
        const known = soc !== null && soc !== undefined && Number.isFinite(soc);
        return {
          id: u.cfg.id,
          lo: u.lo,
          hi: u.hi,
          dischargeWh: known ? Math.max(0, ((soc - floor) / 100) * cap) : cap / 2,
          chargeWh: known ? Math.max(0, ((p.maxSocPct - soc) / 100) * cap) : cap / 2,
          capacityWh: cap,
          current: u.setpoint ?? 0,
        };
      });
  }

  /** Shares `total` over the usable units and sends what changed. True when anything was sent. */
  private apply(total: number, now: number, reason: string, commands: ZeroExportCommand[]): boolean {
    const su = this.splitUnits();
    if (!su.length) return false;
    const [lo, hi] = totalRange(su);
    const shares = splitPower(Math.max(lo, Math.min(hi, total)), su, this.stage, { efficientW: this.params.unitEfficientW, dwellMs: this.params.stageDwellMs, now, stage: this.params.stageUnits, toleranceW: this.params.shareToleranceW });
    let sent = false;
    for (const u of this.units) {
      if (!u.usable) continue;
      const x = Math.round(shares.get(u.cfg.id) ?? 0);
      if (u.setpoint === null || x !== u.setpoint) {
        this.send(u, x, u.refill && x < 0 ? 'reserve' : reason, now, commands);
        sent = true;
      }
    }
    return sent;
  }

  private send(u: Unit, power: number, reason: string, now: number, commands: ZeroExportCommand[]): void {
    if (u.setpoint === null) u.model.reset(u.obs?.power ?? 0);
    const x = Object.is(power, -0) ? 0 : power;
    u.model.command(x, now);
    u.setpoint = x;
    u.sentAt = now;
    commands.push({ unit: u.cfg.id, power: x, reason });
  }

  private failSafeAll(reason: string, now: number, commands: ZeroExportCommand[]): void {
    for (const u of this.units) {
      if (u.setpoint === null) continue;
      if (this.params.failSafe === 'release') {
        commands.push({ unit: u.cfg.id, power: 0, release: true, reason });
        u.setpoint = null;
        u.sentAt = now;
      } else if (!(u.setpoint === 0 && u.sentAt === now)) {
        // (A unit dropped earlier in this step already got its 0 W.)
        this.send(u, 0, reason, now, commands);
      }
    }
    this.budgetWs = 0;
    this.budgetS = 0;
  }

  private refresh(now: number, commands: ZeroExportCommand[]): void {
    if (this.mode !== 'active' && this.mode !== 'failsafe') return;
    if (this.mode === 'failsafe' && this.params.failSafe === 'release') return;
    for (const u of this.units) {
      if (u.setpoint === null || commands.some((c) => c.unit === u.cfg.id)) continue;
      if (this.mode === 'active' && !u.usable) continue;
      const reported = u.obs?.setpoint;
      const mismatch =
        typeof reported === 'number' &&
        Math.abs(reported - u.setpoint) > MISMATCH_W &&
        u.obs!.timestamp > u.sentAt + u.cfg.latencyMaxMs + 2000 &&
        now - u.resentAt >= RESEND_MS;
      // A unit whose latest reading confirms our setpoint needs no refresh (its node keeps it alive).
      const confirmed = typeof reported === 'number' && Math.abs(reported - u.setpoint) <= MISMATCH_W && u.obs!.timestamp > u.sentAt;
      const due = this.params.refreshMs > 0 && now - u.sentAt >= this.params.refreshMs && !confirmed;
      if (mismatch || due) {
        commands.push({ unit: u.cfg.id, power: u.setpoint, reason: mismatch ? 'resend' : 'refresh' });
        u.sentAt = now;
        if (mismatch) u.resentAt = now;
      }
    }
  }

  /**
   * PV power to curtail now so that the export stays within the cap: the export beyond the cap that
   * the units cannot take by charging more (0 while they still can).
   */
  private curtailment(gridW: number, reasons: string[]): void {
    const cap = this.params.exportCapW as number;
    let room = 0;
    if (this.mode === 'active') for (const u of this.units) if (u.usable) room += Math.max(0, (u.setpoint ?? 0) - u.lo);
    const before = this.curtailW;
    this.curtailW = Math.max(0, -gridW - cap - room);
    if ((before === 0) !== (this.curtailW === 0) || Math.abs(before - this.curtailW) >= 50) {
      reasons.push(this.curtailW > 0 ? `export above cap: curtail ${Math.round(this.curtailW)} W` : 'curtailment ended');
    }
  }

  state(now: number): ZeroExportState {
    const units: UnitStatus[] = this.units.map((u) => ({
      id: u.cfg.id,
      setpoint: u.setpoint,
      power: u.obs ? u.obs.power : null,
      soc: u.obs ? u.obs.soc : null,
      state: !u.obs ? 'no-data' : now - u.obs.timestamp > this.params.batteryTimeoutMs ? 'stale' : u.obs.state,
      active: u.usable && u.setpoint !== null && u.setpoint !== 0,
      ...(u.note ? { note: u.note } : {}),
    }));
    let total = 0;
    for (const u of this.units) total += u.setpoint ?? 0;
    return {
      mode: this.mode,
      gridW: this.meter ? this.meter.power : null,
      meterAgeMs: this.meter ? Math.max(0, now - this.meter.at) : null,
      meterPeriodMs: this.meterPeriod(),
      targetW: this.params.targetW,
      exportCapW: this.params.exportCapW,
      totalSetpointW: total,
      curtailmentW: Math.round(this.curtailW),
      units,
      band: this.gridTarget.band(this.params.targetW, now),
      batteryMode: this.modeHold.state(),
      gridLimit: this.gridLimit.limit(now),
      chargerExcludedW: this.heldBand(now).carW,
      attention: this.attention ? { ...this.attention } : null,
      summary: this.summary(now),
      counters: { ...this.counters },
    };
  }
}
