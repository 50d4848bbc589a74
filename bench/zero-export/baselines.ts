/**
 * Baseline zero-export controllers for the benchmark, written from the published algorithms and
 * parameters of peer systems (our own code; facts cited per class). All implement ZeroExportLike and
 * share the same plumbing: they keep the latest reading of every unit, split their total equally over the
 * usable units (not empty for discharge, not full for charge) with water-filling, and send a unit a new
 * setpoint only when its rounded value changes by ≥ 1 W (this spares them command counts; real
 * integrations often write every cycle).
 *
 * Signs: W, + discharge / − charge (DESIGN.md §2); grid + import.
 */
import type { UnitObservation, ZeroExportCommand, ZeroExportInputs, ZeroExportLike } from '../../lib/control/zero-export/types';
import { splitSigned } from './plant';

export interface BaselineUnit {
  id: string;
  maxChargeW: number;
  maxDischargeW: number;
}

abstract class Baseline implements ZeroExportLike {
  protected readonly obs = new Map<string, UnitObservation>();
  private readonly sent = new Map<string, number>();

  constructor(
    protected readonly units: BaselineUnit[],
    protected readonly targetW = 0,
  ) {}

  abstract step(inputs: ZeroExportInputs, now: number): { commands: ZeroExportCommand[] };

  protected absorb(inputs: ZeroExportInputs): void {
    for (const [id, o] of Object.entries(inputs.units ?? {})) this.obs.set(id, o);
  }

  /** Σ of the latest reported AC power (W, + discharge), or null before any reading. */
  protected measuredTotal(): number | null {
    let sum = 0;
    let seen = false;
    for (const u of this.units) {
      const o = this.obs.get(u.id);
      if (!o || !Number.isFinite(o.power)) continue;
      sum += o.power;
      seen = true;
    }
    return seen ? sum : null;
  }

  protected canDischarge(id: string): boolean {
    return this.obs.get(id)?.state !== 'empty';
  }

  protected canCharge(id: string): boolean {
    return this.obs.get(id)?.state !== 'full';
  }

  /** What the usable units can do together: [max charge W, max discharge W], both ≥ 0. */
  protected capacity(): [number, number] {
    let c = 0;
    let d = 0;
    for (const u of this.units) {
      if (this.canCharge(u.id)) c += u.maxChargeW;
      if (this.canDischarge(u.id)) d += u.maxDischargeW;
    }
    return [c, d];
  }

  /** Commands for a signed total, equal split with water-filling, only units whose rounded value changes. */
  protected dispatch(total: number): ZeroExportCommand[] {
    const shares = splitSigned(
      total,
      this.units.map((u) => u.maxChargeW),
      this.units.map((u) => u.maxDischargeW),
      this.units.map((u) => this.canCharge(u.id)),
      this.units.map((u) => this.canDischarge(u.id)),
    );
    const out: ZeroExportCommand[] = [];
    this.units.forEach((u, i) => {
      const w = Math.round(shares[i]) || 0;
      const last = this.sent.get(u.id);
      if (last === undefined || Math.abs(w - last) >= 1) {
        this.sent.set(u.id, w);
        out.push({ unit: u.id, power: w, reason: 'control' });
      }
    });
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Naive proportional loop

/** On each meter sample: total = measured battery total + (G − target), no filtering, clamped to the units' limits. */
export class NaiveLoop extends Baseline {
  step(inputs: ZeroExportInputs): { commands: ZeroExportCommand[] } {
    this.absorb(inputs);
    if (!inputs.meter || !Number.isFinite(inputs.meter.power)) return { commands: [] };
    const [c, d] = this.capacity();
    const total = Math.max(-c, Math.min(d, (this.measuredTotal() ?? 0) + inputs.meter.power - this.targetW));
    return { commands: this.dispatch(total) };
  }
}

// ---------------------------------------------------------------------------------------------
// OpenEMS balancing + PID filter

/**
 * The OpenEMS ESS-core PID filter, from the facts of
 * OpenEMS/openems io.openems.edge.common/src/io/openems/edge/common/filter/PidFilter.java
 * (commit 39e12f890a3c350227d17854ff3e2a13a209dc0b): P 0.3, I 0.3, D 0.1 per 1-s cycle;
 * error = target − input (input = the ESS's measured active power, target = the required power);
 * output = P·error + I·errorSum + D·(−(input − lastInput)), where errorSum holds the errors of the
 * *previous* cycles (the current error is added after the output is formed) and is clamped to
 * ±10 × max(|low|, |high|) (ERROR_SUM_LIMIT_FACTOR = 10); the target is clamped to [low, high] first;
 * an error of exactly 0 returns the target unchanged; the output is rounded like Java's Math.round(float)
 * and clamped to [low, high]. Values are Java ints (whole W).
 * (A later upstream variant also resets errorSum on a change of target sign and freezes it while the
 * output saturates; the benchmark uses the version with the 10× clamp, as read in CONTROL-ANCHORS.md §3.1.)
 */
export class OpenEmsPidFilter {
  static readonly ERROR_SUM_LIMIT_FACTOR = 10;
  private firstRun = true;
  private lastInput = 0;
  private errorSum = 0;
  private low: number | null = null;
  private high: number | null = null;

  constructor(
    readonly p = 0.3,
    readonly i = 0.3,
    readonly d = 0.1,
  ) {}

  setLimits(low: number | null, high: number | null): void {
    if (low !== null && high !== null && low > high) throw new Error(`low limit ${low} above high limit ${high}`);
    this.low = low;
    this.high = high;
  }

  private limit(v: number): number {
    if (this.low !== null && v < this.low) v = this.low;
    if (this.high !== null && v > this.high) v = this.high;
    return v;
  }

  private limitErrorSum(v: number): number {
    let lim: number;
    if (this.low !== null && this.high !== null) lim = Math.max(Math.abs(this.low), Math.abs(this.high));
    else if (this.low !== null) lim = Math.abs(this.low);
    else if (this.high !== null) lim = Math.abs(this.high);
    else return v;
    lim *= OpenEmsPidFilter.ERROR_SUM_LIMIT_FACTOR;
    return Math.max(-lim, Math.min(lim, v));
  }

  /** input, target: whole W. Returns the filtered setpoint, whole W. */
  apply(input: number, target: number): number {
    target = this.limit(target);
    const error = target - input;
    if (error === 0) return target;
    const outP = this.p * error;
    if (this.firstRun) {
      this.lastInput = input;
      this.firstRun = false;
    }
    const outI = this.i * this.errorSum;
    const outD = -this.d * (input - this.lastInput);
    this.lastInput = input;
    const output = outP + outI + outD;
    this.errorSum = this.limitErrorSum(this.errorSum + error);
    return this.limit(Math.floor(Math.fround(output) + 0.5));
  }
}

/**
 * OpenEMS "Controller.Symmetric.Balancing", from the facts of
 * OpenEMS/openems io.openems.edge.controller.ess.balancing/.../ControllerEssBalancingImpl.java
 * (commit 1358471811288153fd3fadbda17685a29b822ec0): once per cycle (Cycle.DEFAULT_CYCLE_TIME = 1000 ms)
 * required power = grid meter active power + ESS active power − target grid setpoint, handed to
 * setActivePowerEqualsWithPid; io.openems.edge.ess.api/.../ManagedSymmetricEss.java
 * (commit 498e3b1cfd1d93472535fb6dbbba563b980d6769) sets the PID limits to the ESS's min/max power, calls
 * applyPidFilter(ESS active power, required power) and applies the result. Here: the cycle runs on the
 * benchmark's 250-ms ticks every 1000 ms with the latest meter sample and battery readings; min/max power =
 * −Σ charge limits of the units that are not full / Σ discharge limits of those not empty; the result is
 * split equally over the units (the OpenEMS cluster's LP distribution is not modelled).
 */
export class OpenEmsBalancing extends Baseline {
  readonly cycleMs = 1000;
  private readonly pid = new OpenEmsPidFilter();
  private grid: number | null = null;
  private nextCycle: number | null = null;

  step(inputs: ZeroExportInputs, now: number): { commands: ZeroExportCommand[] } {
    this.absorb(inputs);
    if (inputs.meter && Number.isFinite(inputs.meter.power)) this.grid = inputs.meter.power;
    if (this.nextCycle === null) this.nextCycle = now;
    if (now < this.nextCycle) return { commands: [] };
    while (this.nextCycle <= now) this.nextCycle += this.cycleMs;
    if (this.grid === null) return { commands: [] };
    const ess = Math.round(this.measuredTotal() ?? 0);
    const required = Math.round(this.grid) + ess - Math.round(this.targetW);
    const [c, d] = this.capacity();
    this.pid.setLimits(-c, d);
    return { commands: this.dispatch(this.pid.apply(ess, required)) };
  }
}

// ---------------------------------------------------------------------------------------------
// Marstek Venus Energy Manager PD loop

/**
 * The PD loop of the Home Assistant integration ffunes/Marstek-Venus-Energy-Manager, from the facts of
 * custom_components/marstek_venus_energy_manager/const/integration_const.py (commit
 * 4c7ed6cb0c13b0b6ce4e5441b8153cc6d8eccb06: Kp 0.35, Kd 0.3, deadband 40 W, max change 800 W per cycle,
 * direction hysteresis 60 W, min cycle interval 1 s, target 0 W; DEFAULT_GRID_FILTER_TAU = 2.0 s in the
 * later const file) and of ChargeDischargeController in custom_components/marstek_venus_energy_manager/__init__.py
 * (the version with the grid EMA and cadence scaling; the index did not resolve its commit):
 * - triggers: every grid-meter update (dropped when < 1 s after the previous cycle) and a 2-s safety
 *   timer that is never gated; a cycle without a new meter value holds (up to 15 such cycles);
 * - grid sample → EMA with τ = 2 s (α = Δt/(τ+Δt), Δt = time since the previous processed update);
 * - |filtered − target| < deadband → no action (derivative state reset);
 * - first cycle: power = −(grid − target) (their sign: + charge), clamped to the usable units;
 * - then incremental PD: error = filtered − target; derivative (error − previous)/max(1 s, Δt), low-passed
 *   with τ = 3 s; P = Kp·error·min(Δt/2 s, max(1, 1/Kp)); D = Kd·derivative;
 *   new = previous − (P + D); change limited to 800 W × Δt/2 s; a change of direction smaller than 60 W
 *   gives 0 W; clamped to the usable units' limits;
 * - anti-windup: when the command exceeds the measured AC power by > 150 W in the same direction, the base
 *   is re-anchored to the measured power after 3 cycles if every usable unit is at its limit, or after 15 s
 *   otherwise;
 * - Ki is 0 in the integration (no integral); the oscillation reset only clears state that is rewritten in
 *   the same cycle, so it is left out; min charge/discharge power and relay cool-down default to 0 (off).
 * Their sign convention is + charge; the result is negated into ours. The integration's own multi-battery
 * selection (efficiency crossover) is replaced by the benchmark's equal split.
 */
export class MarstekPd extends Baseline {
  readonly kp = 0.35;
  readonly kd = 0.3;
  readonly deadbandW = 40;
  readonly maxChangePerCycleW = 800;
  readonly directionHysteresisW = 60;
  readonly minCycleMs = 1000;
  readonly timerMs = 2000;
  readonly dtNominalS = 2;
  readonly gridTauS = 2;
  readonly derivativeTauS = 3;
  readonly backcalcThresholdW = 150;
  readonly backcalcCycles = 3;
  readonly backcalcFallbackS = 15;
  readonly maxStaleCycles = 15;

  /** Their convention: + charge. */
  private previousPower = 0;
  private previousError = 0;
  private derivative = 0;
  private lastOutputSign = 0;
  private ema: number | null = null;
  private first = true;
  private lastCycle = -Infinity;
  private nextTimer: number | null = null;
  private latest: { power: number; at: number } | null = null;
  private lastUpdate: number | null = null;
  private staleCycles = 0;
  private saturationCycles = 0;
  private shortfallSince: number | null = null;

  step(inputs: ZeroExportInputs, now: number): { commands: ZeroExportCommand[] } {
    this.absorb(inputs);
    const commands: ZeroExportCommand[] = [];
    if (inputs.meter && Number.isFinite(inputs.meter.power)) {
      this.latest = { power: inputs.meter.power, at: now };
      if (now - this.lastCycle >= this.minCycleMs) this.cycle(now, commands);
    }
    if (this.nextTimer === null) this.nextTimer = now + this.timerMs;
    if (now >= this.nextTimer) {
      while (this.nextTimer <= now) this.nextTimer += this.timerMs;
      this.cycle(now, commands);
    }
    return { commands };
  }

  /** Measured battery power in their convention (+ charge), or null. */
  private measured(): number | null {
    const m = this.measuredTotal();
    return m === null ? null : -m;
  }

  private send(theirPower: number, out: ZeroExportCommand[]): void {
    out.push(...this.dispatch(-theirPower));
  }

  private cycle(now: number, out: ZeroExportCommand[]): void {
    this.lastCycle = now;
    if (!this.latest) return;
    const isStale = this.lastUpdate !== null && this.latest.at === this.lastUpdate;
    const prevUpdate = this.lastUpdate;
    this.lastUpdate = this.latest.at;
    const elapsedS = prevUpdate !== null ? (this.latest.at - prevUpdate) / 1000 : null;
    let staleSafety = false;
    if (isStale) {
      this.staleCycles++;
      if (this.staleCycles <= this.maxStaleCycles) return;
      staleSafety = true;
    } else this.staleCycles = 0;

    const raw = this.latest.power;
    if (this.ema === null) this.ema = raw;
    else {
      const e = isStale ? 0 : elapsedS;
      if (e === null || e > 0) {
        const dt = e !== null && e > 0 ? e : this.dtNominalS;
        this.ema += (dt / (this.gridTauS + dt)) * (raw - this.ema);
      }
    }
    const sensor = this.ema;
    const target = this.targetW;

    if (!this.first && Math.abs(sensor - target) < this.deadbandW) {
      this.previousError = sensor - target;
      this.derivative = 0;
      return;
    }
    const [capC, capD] = this.capacity();
    if (this.first) {
      this.first = false;
      this.derivative = 0;
      let p = -(sensor - target);
      if (p > 0 && p > capC) p = capC;
      if (p < 0 && -p > capD) p = -capD;
      this.previousPower = p;
      this.send(p, out);
      this.previousError = -(sensor - target);
      this.lastOutputSign = Math.sign(p);
      return;
    }

    const error = sensor - target;
    let next = this.pd(error, elapsedS, staleSafety, now);
    const charging = next > 0;
    if (next !== 0) {
      if (next > capC) next = capC;
      else if (next < -capD) next = -capD;
    }
    if ((charging && capC === 0) || (!charging && capD === 0)) {
      this.send(0, out);
      this.previousPower = 0;
      return;
    }
    this.send(next, out);
    this.previousPower = next;
    this.previousError = error;
    this.lastOutputSign = Math.sign(next);
  }

  /** Every usable unit delivers within 150 W of its limit in that direction. */
  private saturated(charging: boolean): boolean {
    for (const u of this.units) {
      if (charging ? !this.canCharge(u.id) : !this.canDischarge(u.id)) continue;
      const limit = charging ? u.maxChargeW : u.maxDischargeW;
      if (limit <= 0) continue;
      const o = this.obs.get(u.id);
      if (!o) return false;
      const delivered = charging ? -o.power : o.power;
      if (delivered < limit - this.backcalcThresholdW) return false;
    }
    return true;
  }

  private pd(error: number, elapsedS: number | null, staleSafety: boolean, now: number): number {
    const measured = this.measured();
    const shortfall =
      measured !== null &&
      this.previousPower !== 0 &&
      this.previousPower > 0 === measured >= 0 &&
      Math.abs(this.previousPower) - Math.abs(measured) > this.backcalcThresholdW;
    if (shortfall) {
      const sat = this.saturated(this.previousPower > 0);
      if (this.shortfallSince === null) this.shortfallSince = now;
      const sustainedS = (now - this.shortfallSince) / 1000;
      this.saturationCycles = sat ? this.saturationCycles + 1 : 0;
      if ((sat && this.saturationCycles >= this.backcalcCycles) || sustainedS >= this.backcalcFallbackS) {
        this.previousPower = measured!;
        this.saturationCycles = 0;
        this.shortfallSince = null;
      }
    } else {
      this.saturationCycles = 0;
      this.shortfallSince = null;
    }

    let scaleDt: number;
    let derivative: number;
    if (this.staleCycles > this.maxStaleCycles) {
      scaleDt = this.dtNominalS;
      derivative = 0;
      this.derivative = 0;
    } else {
      const baseDt = elapsedS !== null && elapsedS > 0 ? elapsedS : this.dtNominalS;
      const realDt = Math.max(1, Math.min(baseDt, 30));
      scaleDt = Math.max(0.1, Math.min(baseDt, 30));
      const rawD = (error - this.previousError) / realDt;
      this.derivative += (realDt / (this.derivativeTauS + realDt)) * (rawD - this.derivative);
      derivative = this.derivative;
    }
    let pScale = scaleDt / this.dtNominalS;
    if (this.kp > 0) pScale = Math.min(pScale, Math.max(1, 1 / this.kp));
    if (staleSafety) pScale = 0;
    const adjustment = this.kp * error * pScale + this.kd * derivative;
    const rawNext = this.previousPower - adjustment;
    const maxChange = this.maxChangePerCycleW * (scaleDt / this.dtNominalS);
    const change = rawNext - this.previousPower;
    let next = Math.abs(change) > maxChange ? this.previousPower + Math.sign(change) * maxChange : rawNext;
    const sign = Math.sign(next);
    if (this.lastOutputSign !== 0 && sign !== 0 && sign !== this.lastOutputSign && Math.abs(next) < this.directionHysteresisW) next = 0;
    return next;
  }
}
