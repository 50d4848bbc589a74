/**
 * EV charging controller (issue 13): the KSEM's charge modes (Lock, Power, Solar Pure, Solar Plus,
 * Time) with automatic 1/3-phase switching, made explicit and safe. A pure state machine in
 * injected time (see types.ts for the contract).
 *
 * Each step:
 * 1. Inputs update the latest meter, battery, charger, grid-limit and mode values.
 * 2. The mode in force: a one-shot override (until a time, or until the car leaves), else the
 *    configured mode; `time` looks up the weekday × hour table in the configured time zone.
 * 3. Surplus for the car = export at the grid connection + the car's own power, minus a
 *    discharging home battery under the "don't use home battery" policy, plus a charging battery's
 *    power only above the priority SoC. Two filters (the cloud filter): the current follows the
 *    surplus at once when it falls (`filterDownS` 0: no import when a cloud comes) and with
 *    `filterUpS` (5 s) when it rises; starts, deep-cloud pauses and phase switches use the
 *    averaged surplus (exponential, `avgS` 60 s), so a dip or spike of seconds decides nothing.
 * 4. The mode decides a wanted power; Solar Pure and Solar Plus run through start delay (20 s) →
 *    charging → hold at the minimum (5 min) → wait paused (8 min) before a restart. A deep cloud
 *    (averaged surplus below `holdDeepPct` 40 % of the one-phase minimum) ends the hold at once:
 *    holding would run the car mostly on grid; a shallow one is held, until the car has taken
 *    `holdImportWh` (30 Wh) from the grid in it (a 1.4 kW minimum on a 1.0 kW surplus: 4.5 min).
 * 5. Phases (automatic): up edge = 3-phase minimum × (1 + `upMarginPct` 7 %) = 4.43 kW at 6 A,
 *    down edge = up edge − `bandW` (1 kW). The band lies below the up edge: one phase is used to
 *    its maximum, 3 phases go on as soon as they are covered (the averaged surplus at the up edge
 *    for `upCheckS` 60 s), and between the down edge and the 3-phase minimum the car keeps the
 *    3-phase minimum (all the surplus, a little import) instead of switching; below the down edge
 *    for `downAfterS` (30 s) it goes to 1 phase. A start picks 3 phases at the up edge, else 1.
 *    At least 7 min between switches, a cap per session (16), never for a car that must not be
 *    switched. The phase usage can change at run time (`phaseUsage` input).
 * 6. Limits that always hold: the minimum current (or pause), the car's and charger's maximum, the
 *    main fuse per phase from the meter's per-phase currents (minus the car's own), the phase
 *    imbalance limit, a grid-limit (with its failsafe when the source goes silent). A stale meter
 *    or charger gives the fail-safe action.
 * 7. The command goes out when it changes by `resolutionA` (0.1 A; decreases at once, increases
 *    at most every `minAdjustS` 5 s) and again every `refreshS`.
 */
import { localFields } from '../../util/local-time';
import type {
  EvActiveMode,
  EvBatterySample,
  EvBinding,
  EvChargerSample,
  EvCounters,
  EvGridLimit,
  EvInputs,
  EvMeterSample,
  EvMode,
  EvModeMessage,
  EvParams,
  EvPhase,
  EvResult,
  EvState,
  PhaseUsage,
} from './types';

type Setpoint = { enabled: boolean; currentA: number; phases?: 1 | 3 };

export const EV_DEFAULTS: Required<Omit<EvParams, 'car' | 'timeTable'>> = {
  mode: 'solar-pure',
  phaseUsage: 'automatic',
  voltage: 230,
  minCurrentA: 6,
  maxCurrentA: 16,
  startDelayS: 20,
  holdS: 300,
  waitS: 480,
  filterDownS: 0,
  filterUpS: 5,
  minAdjustS: 5,
  plusFloor: 'min',
  plusMinSurplusW: 0,
  plusMinSurplusPct: 0,
  batteryPolicy: 'use',
  prioritySoc: 80,
  upCheckS: 60,
  upMarginPct: 7,
  bandW: 1000,
  downAfterS: 30,
  avgS: 60,
  holdDeepPct: 40,
  holdImportWh: 30,
  startAvgPct: 0,
  minSwitchIntervalS: 420,
  maxSwitchesPerSession: 16,
  fuseA: [25, 25, 25],
  fuseMarginA: 1,
  imbalanceVA: 4600,
  onePhaseOn: 1,
  meterTimeoutMs: 0,
  chargerTimeoutMs: 30_000,
  batteryTimeoutMs: 60_000,
  staleAction: 'minimum',
  gridLimitFailsafeW: 10_000,
  gridLimitFailsafeS: 7200,
  gridLimitTimeoutMs: 120_000,
  refreshS: 60,
  resolutionA: 0.1,
  timeDefault: 'solar-pure',
  timeZone: 'Europe/Amsterdam',
};

type P = Required<Omit<EvParams, 'car' | 'timeTable'>> & Pick<EvParams, 'car' | 'timeTable'>;

const fmtW = (w: number) => (Math.abs(w) >= 1000 ? `${(w / 1000).toFixed(1)} kW` : `${Math.round(w)} W`);

export class EvChargingController {
  readonly p: P;
  private mode: EvMode;
  /** Phase usage in force: the configured one until a `phases` input changes it (until redeploy). */
  private phaseUsage: PhaseUsage;
  private override: EvModeMessage | null = null;
  private enabled = true;
  private meter: EvMeterSample | null = null;
  private meterArrivedAt = -Infinity;
  private meterPeriodMs = 0;
  private battery: EvBatterySample | null = null;
  private charger: EvChargerSample | null = null;
  private chargerArrivedAt = -Infinity;
  /** The latest grid-limit of each source (`source`, '' when it names none). */
  private gridLimits = new Map<string, EvGridLimit & { at: number }>();
  private filtered: number | null = null;
  private filteredAt = 0;
  private phase: EvPhase = 'idle';
  private phases: 1 | 3 = 3;
  private startCondSince: number | null = null;
  private holdUntil: number | null = null;
  private waitUntil: number | null = null;
  private belowThreeSince: number | null = null;
  private upSince: number | null = null;
  private holdImportWh = 0;
  private holdAt = 0;
  private avg: number | null = null;
  private avgAt = 0;
  private lastSwitchAt = -Infinity;
  private sent: Setpoint | null = null;
  private sentAt = -Infinity;
  private lastIncreaseAt = -Infinity;
  private plugged = false;
  private lastEnergyAt: number | null = null;
  private readonly counters: EvCounters = { solarWh: 0, gridWh: 0, solarSharePct: null, starts: 0, phaseSwitches: 0, totalStarts: 0, totalPhaseSwitches: 0, commands: 0, failsafes: 0 };
  private binding: EvBinding = 'unplugged';
  private limitA: number | null = null;
  private surplusRaw: number | null = null;

  constructor(params: EvParams = {}) {
    const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
    this.p = { ...EV_DEFAULTS, ...clean } as P;
    this.mode = this.p.mode;
    this.phaseUsage = this.p.phaseUsage;
    if (this.p.minCurrentA < 6 || this.p.minCurrentA > 16) throw new RangeError('minCurrentA must be 6–16 A');
    if (!(this.p.bandW >= 1000)) throw new RangeError('bandW must be at least 1000 W (the band between the phase edges)');
    this.phases = this.phaseUsage === 'single' ? 1 : 3;
  }

  // -------------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------------

  private minA(): number {
    return Math.max(this.p.minCurrentA, this.p.car?.minCurrentA ?? 0, this.charger?.minCurrentA ?? 0);
  }

  private maxA(): number {
    return Math.min(this.p.maxCurrentA, this.p.car?.maxCurrentA ?? Infinity, this.charger?.maxCurrentA ?? Infinity);
  }

  /** Phases the car can use on this charger. */
  private phaseChoices(): Array<1 | 3> {
    const opts = this.charger?.phaseOptions ?? [3];
    if (this.p.car?.phases === 1) return [1];
    return opts;
  }

  private canSwitch(): boolean {
    return this.phaseUsage === 'automatic' && this.p.car?.switchable !== false && this.phaseChoices().includes(1) && this.phaseChoices().includes(3);
  }

  private powerAt(a: number, phases: number): number {
    return a * this.p.voltage * phases;
  }

  private meterTimeout(): number {
    if (this.p.meterTimeoutMs > 0) return this.p.meterTimeoutMs;
    return this.meterPeriodMs ? Math.max(3000, 2 * this.meterPeriodMs) : 10_000;
  }

  /** The mode in force now. */
  activeMode(now: number): EvActiveMode {
    const m = this.override?.mode ?? this.mode;
    if (m !== 'time') return m;
    const table = this.p.timeTable;
    if (!table) return this.p.timeDefault;
    const { weekday, hour } = localFields(now, this.p.timeZone);
    return table[weekday]?.[hour] ?? this.p.timeDefault;
  }

  // -------------------------------------------------------------------------------------------
  // Inputs
  // -------------------------------------------------------------------------------------------

  private take(i: EvInputs, now: number): void {
    if (i.enabled !== undefined) this.enabled = i.enabled;
    if (i.mode) {
      if (i.mode.until === undefined) {
        this.mode = i.mode.mode;
        this.override = null;
      } else this.override = { ...i.mode };
    }
    if (i.phaseUsage !== undefined && i.phaseUsage !== this.phaseUsage) {
      this.phaseUsage = i.phaseUsage;
      // A change by hand is not an automatic switch: automatic switching starts afresh from here.
      // Counted as a switch for the interval: no automatic switch within minSwitchIntervalS of it.
      this.belowThreeSince = null;
      this.upSince = null;
      if (this.plugged) this.lastSwitchAt = now;
    }
    if (i.meter) {
      if (this.meter && now > this.meterArrivedAt) {
        const dt = now - this.meterArrivedAt;
        if (!this.meterPeriodMs || dt <= 4 * this.meterPeriodMs) this.meterPeriodMs = this.meterPeriodMs ? 0.8 * this.meterPeriodMs + 0.2 * dt : dt;
      }
      this.meter = i.meter;
      this.meterArrivedAt = now;
    }
    if (i.battery) this.battery = i.battery;
    if (i.charger) {
      this.charger = i.charger;
      this.chargerArrivedAt = now;
    }
    if (i.gridLimit) this.gridLimits.set(i.gridLimit.source ?? '', { ...i.gridLimit, at: now });
  }

  /** The grid import limit in force, W, or null, with the reason: the lowest of the sources' limits (DESIGN.md §4.1). */
  private gridImportLimit(now: number): { w: number | null; why?: string } {
    let best: { w: number | null; why?: string } = { w: null };
    for (const [source, g] of this.gridLimits) {
      const l = this.oneGridLimit(g, now);
      if (l.w === null) this.gridLimits.delete(source); // expired (or no import limit): gone for good
      else if (best.w === null || l.w < best.w) best = l;
    }
    return best;
  }

  private oneGridLimit(g: EvGridLimit & { at: number }, now: number): { w: number | null; why?: string } {
    if (g.maxImportW === undefined) return { w: null };
    if (g.until !== undefined) return now < g.until ? { w: g.maxImportW, why: g.reason ?? 'grid-limit' } : { w: null };
    const silentMs = now - g.at;
    if (silentMs <= this.p.gridLimitTimeoutMs) return { w: g.maxImportW, why: g.reason ?? 'grid-limit' };
    const fsS = g.failsafeS ?? this.p.gridLimitFailsafeS;
    if (silentMs <= this.p.gridLimitTimeoutMs + fsS * 1000) return { w: g.failsafeW ?? this.p.gridLimitFailsafeW, why: 'grid-limit failsafe (source silent)' };
    return { w: null };
  }

  /** Surplus the car may use, W (raw, before filtering). */
  private surplus(now: number): number {
    const m = this.meter!;
    const carW = this.charger?.power ?? 0;
    let s = -m.power + carW;
    const b = this.battery && now - this.battery.timestamp <= this.p.batteryTimeoutMs ? this.battery : null;
    if (b) {
      if (b.power > 0 && this.p.batteryPolicy === 'dont') s -= b.power;
      if (b.power < 0 && b.soc !== null && b.soc >= this.p.prioritySoc) s += -b.power;
    }
    return s;
  }

  private filter(raw: number, now: number): number {
    if (this.filtered === null) {
      this.filtered = raw;
      this.filteredAt = now;
      return raw;
    }
    const dt = Math.max(0, (now - this.filteredAt) / 1000);
    this.filteredAt = now;
    const tau = raw < this.filtered ? this.p.filterDownS : this.p.filterUpS;
    const k = tau > 0 ? 1 - Math.exp(-dt / tau) : 1;
    this.filtered += (raw - this.filtered) * k;
    return this.filtered;
  }

  /** Averaged surplus for start, hold and phase decisions: exponential, time constant `avgS`. */
  private average(raw: number, now: number): number {
    if (this.avg === null) {
      this.avg = raw;
      this.avgAt = now;
      return raw;
    }
    const dt = Math.max(0, (now - this.avgAt) / 1000);
    this.avgAt = now;
    const k = this.p.avgS > 0 ? 1 - Math.exp(-dt / this.p.avgS) : 1;
    this.avg += (raw - this.avg) * k;
    return this.avg;
  }

  // -------------------------------------------------------------------------------------------
  // Limits
  // -------------------------------------------------------------------------------------------

  /** Largest current per phase the fuses, imbalance and grid limit allow on `phases`, with what binds. */
  private limits(phases: 1 | 3, now: number): { a: number; binding: EvBinding; why: string } {
    let a = this.maxA();
    const caps: Array<[number, EvBinding]> = [[this.p.maxCurrentA, 'max'], [this.p.car?.maxCurrentA ?? Infinity, 'car'], [this.charger?.maxCurrentA ?? Infinity, 'charger']];
    let binding: EvBinding = caps.reduce((m, c) => (c[0] < m[0] ? c : m))[1];
    let why = `max ${a} A`;
    const m = this.meter!;
    const fuses = this.p.fuseA.length === 1 ? [this.p.fuseA[0]] : this.p.fuseA;
    const carPhases = phases === 3 ? [0, 1, 2].slice(0, fuses.length) : [Math.min(this.p.onePhaseOn - 1, fuses.length - 1)];
    const carNow = this.charger?.currents ?? [];
    // House current per phase without the car; an unsigned meter current counts as import.
    const house = fuses.map((_, i) => {
      const mag = m.currents?.[i];
      if (mag === undefined) return undefined;
      const sign = (m.phasePower?.[i] ?? 1) < 0 ? -1 : 1;
      return sign * Math.abs(mag) - (carNow[i] ?? 0);
    });
    for (const i of carPhases) {
      const h = house[i];
      if (h === undefined) continue;
      const allowed = fuses[i] - this.p.fuseMarginA - h;
      if (allowed < a) {
        a = allowed;
        binding = 'fuse';
        why = `fuse L${i + 1} ${fuses[i]} A`;
      }
    }
    if (phases === 1 && this.p.imbalanceVA > 0 && fuses.length === 3 && house.every((h) => h !== undefined)) {
      const i = carPhases[0];
      const others = house.filter((_, j) => j !== i).map((h) => Math.abs(h!));
      const allowed = this.p.imbalanceVA / this.p.voltage + Math.min(...others) - Math.abs(house[i]!);
      if (allowed < a) {
        a = allowed;
        binding = 'imbalance';
        why = `phase imbalance ${(this.p.imbalanceVA / 1000).toFixed(1)} kVA`;
      }
    }
    const g = this.gridImportLimit(now);
    if (g.w !== null) {
      const houseW = m.power - (this.charger?.power ?? 0);
      const allowed = (g.w - houseW) / (this.p.voltage * phases);
      if (allowed < a) {
        a = allowed;
        binding = 'grid-limit';
        why = `${g.why} ${fmtW(g.w)}`;
      }
    }
    return { a, binding, why };
  }

  // -------------------------------------------------------------------------------------------
  // Step
  // -------------------------------------------------------------------------------------------

  step(inputs: EvInputs, now: number): EvResult {
    this.take(inputs, now);
    const reasons: string[] = [];
    const active = this.activeMode(now);
    const sp = this.decide(now, active, reasons);
    this.account(now);
    const command = this.emit(sp, now);
    return { command, state: this.state(now, this.activeMode(now)), reasons };
  }

  private decide(now: number, mode: EvActiveMode, reasons: string[]): Setpoint {
    const off = (binding: EvBinding, why: string, phase: EvPhase = 'off'): Setpoint => {
      this.binding = binding;
      this.phase = phase;
      reasons.push(why);
      return { enabled: false, currentA: this.minA(), ...(this.sent?.phases ? { phases: this.sent.phases } : {}) };
    };
    if (!this.enabled) return off('disabled', 'controller disabled: charging paused', 'disabled');
    const c = this.charger;
    if (!c || now - this.chargerArrivedAt > this.p.chargerTimeoutMs) {
      return this.failsafe(now, c ? `charger reading ${Math.round((now - this.chargerArrivedAt) / 1000)} s old` : 'no charger reading yet', reasons);
    }
    const pluggedNow = c.state !== 'idle' && c.state !== 'offline';
    if (!pluggedNow) {
      if (this.plugged) this.endSession();
      this.plugged = false;
      if (this.override?.until === 'unplugged') this.override = null;
      return off('unplugged', c.state === 'offline' ? 'charger offline' : 'no car connected', 'idle');
    }
    if (!this.plugged) this.startSession(now);
    if (this.override && typeof this.override.until === 'number' && now >= this.override.until) {
      reasons.push(`override ${this.override.mode} ended: back to ${this.mode}`);
      this.override = null;
      mode = this.activeMode(now);
    }
    if (c.state === 'error') return off('charger', 'charger reports an error', 'off');
    if (!this.meter || now - this.meterArrivedAt > this.meterTimeout()) {
      return this.failsafe(now, this.meter ? `meter ${((now - this.meterArrivedAt) / 1000).toFixed(1)} s old` : 'no meter reading yet', reasons);
    }
    const raw = this.surplus(now);
    this.surplusRaw = raw;
    const s = this.filter(raw, now);
    const sa = this.average(raw, now);
    if (mode === 'lock') return off('lock', 'lock mode: no charging');

    // Phases for this step (automatic switching only while charging or at a start).
    const minA = this.minA();
    const min1 = this.powerAt(minA, 1);
    const min3 = this.powerAt(minA, 3);
    let phases: 1 | 3 = this.phaseUsage === 'single' || !this.phaseChoices().includes(3) ? 1 : !this.phaseChoices().includes(1) ? 3 : this.phases;
    if (this.phaseUsage === 'standard') phases = this.phaseChoices().includes(3) ? 3 : 1;

    let wantW: number;
    let binding: EvBinding;
    if (mode === 'power') {
      if (this.canSwitch()) phases = 3;
      wantW = Infinity;
      binding = 'max';
      if (this.phase !== 'charging') this.countStart();
      this.phase = 'charging';
      reasons.push('power mode: as fast as the limits allow');
    } else {
      const solarPlus = mode === 'solar-plus';
      const minSurplus = solarPlus ? (this.p.plusMinSurplusW > 0 ? this.p.plusMinSurplusW : (this.p.plusMinSurplusPct / 100) * this.floorW(phases)) : 0;
      const auto = this.canSwitch();
      const edges = this.edges(minA);
      // Enough to keep charging on `ph`: the minimum power, or on 3 automatic phases the down edge
      // (between the down edge and the 3-phase minimum the car charges at the minimum: the band).
      const keepFor = (ph: 1 | 3) => (solarPlus ? minSurplus <= 0 || s >= minSurplus : s >= (ph === 3 && auto ? Math.min(edges.down, min3) : this.powerAt(minA, ph)));
      const charging = this.phase === 'charging' || this.phase === 'holding';
      if (this.phase === 'waiting' && this.waitUntil !== null && now < this.waitUntil) {
        this.binding = 'wait';
        reasons.push(`paused after the surplus was lost: restart allowed in ${Math.ceil((this.waitUntil - now) / 1000)} s`);
        return { enabled: false, currentA: minA, ...(this.sent?.phases ? { phases: this.sent.phases } : {}) };
      }
      if (!charging) {
        // Start on the phase count that takes the most PV: 3 when the averaged surplus is at the up edge.
        if (auto) phases = Math.min(s, sa) >= edges.startThree ? 3 : 1;
        const startW = solarPlus ? minSurplus : this.powerAt(minA, phases);
        if (!(solarPlus ? minSurplus <= 0 || s >= minSurplus : s >= startW && sa >= startW * (this.p.startAvgPct / 100))) {
          this.startCondSince = null;
          return off('no-surplus', solarPlus ? `surplus ${fmtW(s)} below the ${fmtW(minSurplus)} needed to start` : `surplus ${fmtW(s)} below the ${fmtW(startW)} start power on ${phases} phase${phases === 1 ? '' : 's'}`);
        }
        if (this.startCondSince === null) this.startCondSince = now;
        if (now - this.startCondSince < this.p.startDelayS * 1000) return off('start-delay', `surplus ${fmtW(s)} enough: starting in ${Math.ceil((this.startCondSince + this.p.startDelayS * 1000 - now) / 1000)} s`);
        this.phase = 'charging';
        this.phases = phases;
        this.countStart();
        this.upSince = null;
        this.belowThreeSince = null;
        this.holdUntil = null;
        reasons.push(`start on ${phases} phase${phases === 1 ? '' : 's'}: surplus ${fmtW(s)}`);
      } else {
        phases = this.autoPhases(now, sa, s, phases, edges, reasons);
        if (!keepFor(phases)) {
          if (this.phase !== 'holding') {
            this.phase = 'holding';
            this.holdUntil = now + this.p.holdS * 1000;
            this.holdImportWh = 0;
            this.holdAt = now;
          }
          // Grid energy the car takes in this hold (the minimum minus the surplus).
          this.holdImportWh += (Math.max(0, this.powerAt(minA, phases) - Math.max(0, s)) * Math.max(0, now - this.holdAt)) / 3_600_000;
          this.holdAt = now;
          // A down-switch to one phase that is coming (waiting for its delay or the switch interval) keeps the hold: one phase may carry the car.
          const downPending = phases === 3 && auto && sa >= min1 * (this.p.holdDeepPct / 100) && this.counters.phaseSwitches < this.p.maxSwitchesPerSession;
          // A deep cloud (averaged surplus far below the minimum of one phase) pauses at once: holding would import most of the car's power.
          const deep = !solarPlus && this.p.holdDeepPct > 0 && sa < (this.p.holdDeepPct / 100) * this.powerAt(minA, auto ? 1 : phases);
          // A hold that has cost `holdImportWh` of grid energy ends too (unless a switch to one phase is coming).
          const spent = !solarPlus && this.p.holdImportWh > 0 && this.holdImportWh > this.p.holdImportWh;
          if (((now >= (this.holdUntil ?? now) || spent) && !downPending) || deep) {
            this.phase = 'waiting';
            this.waitUntil = now + this.p.waitS * 1000;
            this.holdUntil = null;
            this.startCondSince = null;
            this.belowThreeSince = null;
            this.binding = 'wait';
            reasons.push(deep ? `surplus ${fmtW(sa)} (averaged) far below the minimum: paused for ${this.p.waitS} s` : spent ? `hold took ${Math.round(this.holdImportWh)} Wh from the grid: paused for ${this.p.waitS} s` : `surplus lost for ${this.p.holdS} s: paused for ${this.p.waitS} s`);
            return { enabled: false, currentA: minA, ...(this.sent?.phases ? { phases: this.sent.phases } : {}) };
          }
        } else if (this.phase === 'holding') {
          this.phase = 'charging';
          this.holdUntil = null;
        }
      }
      const floor = solarPlus ? this.floorW(phases) : 0;
      wantW = Math.max(floor, s);
      binding = solarPlus && floor >= s ? 'floor' : 'surplus';
      if (this.phase === 'holding') {
        binding = 'hold';
        wantW = Math.max(floor, this.powerAt(minA, phases));
        reasons.push(`surplus ${fmtW(s)} short: holding the minimum for ${Math.ceil(((this.holdUntil ?? now) - now) / 1000)} s`);
      }
    }
    this.phases = phases;
    const lim = this.limits(phases, now);
    this.limitA = lim.a;
    let a = Math.min(wantW / (this.p.voltage * phases), lim.a);
    this.binding = a === lim.a && lim.a < wantW / (this.p.voltage * phases) ? lim.binding : binding;
    if (lim.a < minA) {
      // No room for the minimum current: pause (a limit, not the surplus: no hold/wait).
      this.binding = lim.binding;
      reasons.unshift(`${lim.why} leaves ${Math.max(0, lim.a).toFixed(1)} A < ${minA} A minimum: paused`);
      return { enabled: false, currentA: minA, phases };
    }
    // The surplus is rounded to the nearest 0.1 A (no bias either way); a limit always down.
    const wantA = wantW / (this.p.voltage * phases);
    a = Math.max(minA, Math.min(Math.round(wantA * 10) / 10, Math.floor(lim.a * 10) / 10));
    if (this.binding === lim.binding && lim.binding !== 'max') reasons.push(`${lim.why}: ${a} A`);
    else reasons.push(`${mode}: ${a} A on ${phases} phase${phases === 1 ? '' : 's'} (${fmtW(this.powerAt(a, phases))})`);
    return { enabled: true, currentA: a, phases };
  }

  /** solar-plus floor power on `phases`, W. */
  private floorW(phases: 1 | 3): number {
    const f = this.p.plusFloor ?? 'min';
    const maxW = this.powerAt(this.maxA(), phases);
    if (f === 'min') return this.powerAt(this.minA(), phases);
    if (f === 'max') return maxW;
    if (f === 0.5 || f === 0.75) return Math.max(this.powerAt(this.minA(), phases), f * maxW);
    return Math.max(this.powerAt(this.minA(), phases), Math.min(maxW, f));
  }

  /**
   * The automatic phase edges, W. Up edge = the 3-phase minimum + `upMarginPct` (the KSEM's 7 %:
   * 4.43 kW at 6 A); down edge = up edge − `bandW` (3.43 kW): the band sits below the up edge, so
   * one phase is used up to its maximum and 3 phases go on as soon as they are covered; between the
   * down edge and the 3-phase minimum the car keeps the 3-phase minimum (all the surplus, a little
   * import) rather than switching. `startThree`: a start on 3 phases needs the up edge too.
   */
  private edges(minA: number): { up: number; down: number; startThree: number } {
    const min3 = this.powerAt(minA, 3);
    const up = min3 * (1 + this.p.upMarginPct / 100);
    return { up, down: up - this.p.bandW, startThree: up };
  }

  /**
   * Automatic 1/3-phase switching while charging: up when the averaged surplus `sa` stays at or
   * above the up edge for `upCheckS`; down when the averaged or the present surplus `s` stays below
   * the down edge for `downAfterS` (a sharp drop goes down without waiting for the average); at
   * least `minSwitchIntervalS` between switches and at most `maxSwitchesPerSession`. The edges are
   * `bandW` (≥ 1 kW, the config's minimum) apart, so a surplus between them never switches.
   */
  private autoPhases(now: number, sa: number, s: number, phases: 1 | 3, e: { up: number; down: number }, reasons: string[]): 1 | 3 {
    if (!this.canSwitch()) return phases;
    const intervalOk = now - this.lastSwitchAt >= this.p.minSwitchIntervalS * 1000;
    const capOk = this.counters.phaseSwitches < this.p.maxSwitchesPerSession;
    if (phases === 1) {
      this.belowThreeSince = null;
      if (sa < e.up) {
        this.upSince = null;
        return 1;
      }
      this.upSince ??= now;
      if (now - this.upSince >= this.p.upCheckS * 1000 && intervalOk && capOk) {
        reasons.push(`surplus ${fmtW(sa)} (averaged) ≥ ${fmtW(e.up)} for ${this.p.upCheckS} s: switching to 3 phases`);
        this.upSince = null;
        return this.switchTo(3, now);
      }
      return 1;
    }
    this.upSince = null;
    if (Math.min(sa, s) >= e.down) {
      this.belowThreeSince = null;
      return 3;
    }
    this.belowThreeSince ??= now;
    if (now - this.belowThreeSince >= this.p.downAfterS * 1000 && intervalOk && capOk) {
      reasons.push(`surplus ${fmtW(sa)} (averaged) below ${fmtW(e.down)} for ${this.p.downAfterS} s: switching to 1 phase`);
      this.belowThreeSince = null;
      return this.switchTo(1, now);
    }
    return 3;
  }

  private switchTo(phases: 1 | 3, now: number): 1 | 3 {
    this.lastSwitchAt = now;
    this.counters.phaseSwitches++;
    this.counters.totalPhaseSwitches++;
    // A switch ends a hold: the new phase count has its own minimum (and a hold of its own).
    if (this.phase === 'holding') {
      this.phase = 'charging';
      this.holdUntil = null;
    }
    return phases;
  }

  private failsafe(now: number, why: string, reasons: string[]): Setpoint {
    if (this.phase !== 'failsafe') this.counters.failsafes++;
    this.phase = 'failsafe';
    this.binding = 'stale';
    const minA = this.minA();
    if (this.p.staleAction === 'pause' || !this.sent?.enabled) {
      reasons.push(`${why}: charging paused (fail safe)`);
      return { enabled: false, currentA: minA, ...(this.sent?.phases ? { phases: this.sent.phases } : {}) };
    }
    reasons.push(`${why}: minimum current ${minA} A (fail safe)`);
    return { enabled: true, currentA: minA, ...(this.sent?.phases ? { phases: this.sent.phases } : {}) };
  }

  private countStart(): void {
    this.counters.starts++;
    this.counters.totalStarts++;
  }

  private startSession(now: number): void {
    this.plugged = true;
    this.counters.solarWh = 0;
    this.counters.gridWh = 0;
    this.counters.solarSharePct = null;
    this.counters.starts = 0;
    this.counters.phaseSwitches = 0;
    this.phase = 'off';
    this.waitUntil = null;
    this.holdUntil = null;
    this.startCondSince = null;
    this.filtered = null;
    this.avg = null;
    this.upSince = null;
    this.belowThreeSince = null;
    this.lastEnergyAt = now;
    this.phases = this.phaseUsage === 'single' ? 1 : 3;
  }

  private endSession(): void {
    this.phase = 'idle';
    this.lastEnergyAt = null;
  }

  /** Session energy split: the car's power not covered by import (nor, under "don't", by the battery) is solar. */
  private account(now: number): void {
    if (!this.plugged || !this.charger || !this.meter) return;
    const dtH = this.lastEnergyAt === null ? 0 : Math.max(0, now - this.lastEnergyAt) / 3_600_000;
    this.lastEnergyAt = now;
    if (dtH <= 0 || dtH > 0.1) return;
    const carW = this.charger.power;
    const imp = Math.max(0, this.meter.power);
    const bat = this.battery && this.battery.power > 0 && this.p.batteryPolicy === 'dont' ? this.battery.power : 0;
    const solarW = Math.max(0, Math.min(carW, carW - imp - bat));
    this.counters.solarWh += solarW * dtH;
    this.counters.gridWh += (carW - solarW) * dtH;
    const total = this.counters.solarWh + this.counters.gridWh;
    this.counters.solarSharePct = total > 0 ? Math.round((1000 * this.counters.solarWh) / total) / 10 : null;
  }

  /** The command to send now: changes (decreases at once, increases at most every minAdjustS), and refreshes. */
  private emit(sp: Setpoint, now: number): Setpoint | null {
    const last = this.sent;
    const out: Setpoint = { enabled: sp.enabled, currentA: sp.currentA };
    // Standard sends no phase count, except to undo one sent before (a run-time change from single or automatic).
    if (sp.phases && this.p.car?.switchable !== false && (this.phaseUsage !== 'standard' || (last?.phases !== undefined && last.phases !== sp.phases))) out.phases = sp.phases;
    let send = false;
    if (!last) send = true;
    else if (last.enabled !== out.enabled || last.phases !== out.phases) send = true;
    else if (out.enabled && last.enabled && this.limitA !== null && last.currentA > Math.max(this.limitA, out.currentA) + 1e-9) send = true; // a limit (fuse, imbalance, grid) now binds below what runs: any step down, at once
    else if (out.enabled && Math.abs(last.currentA - out.currentA) >= this.p.resolutionA - 1e-9) {
      if (out.currentA < last.currentA || now - this.lastIncreaseAt >= this.p.minAdjustS * 1000) send = true;
    }
    if (!send && last && now - this.sentAt >= this.p.refreshS * 1000) {
      this.sentAt = now;
      return { ...last };
    }
    if (!send) return null;
    if (last && out.enabled && out.currentA > last.currentA) this.lastIncreaseAt = now;
    this.sent = out;
    this.sentAt = now;
    this.counters.commands++;
    return { ...out };
  }

  private state(now: number, active: EvActiveMode): EvState {
    const g = this.gridImportLimit(now);
    return {
      mode: this.mode,
      activeMode: active,
      phaseUsage: this.phaseUsage,
      override: this.override ? { ...this.override } : null,
      phase: this.phase,
      phases: this.phases,
      setpoint: this.sent ? { ...this.sent } : null,
      surplusW: this.surplusRaw === null ? null : Math.round(this.surplusRaw),
      surplusFilteredW: this.filtered === null ? null : Math.round(this.filtered),
      limitA: this.limitA === null ? null : Math.round(this.limitA * 10) / 10,
      binding: this.binding,
      holdUntil: this.holdUntil,
      waitUntil: this.phase === 'waiting' ? this.waitUntil : null,
      gridLimitW: g.w,
      counters: { ...this.counters, solarWh: Math.round(this.counters.solarWh), gridWh: Math.round(this.counters.gridWh) },
    };
  }
}
