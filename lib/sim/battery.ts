/**
 * BatteryPlant: the physics of one battery unit for the virtual home and the benchmarks, shared by
 * every battery simulator (Sessy HTTP, Sofar Modbus) so they behave alike.
 *
 * Model (AC side, W, + discharge / − charge, DESIGN.md §2):
 * - a command takes effect after `latencyMs`; the AC power then moves towards the (clamped) target
 *   at `rampWPerS`;
 * - limits: `maxChargeW`, `maxDischargeW`; no discharge at or below `minSocPct`, no charge at or
 *   above `maxSocPct` (the unit stops, as a real BMS does);
 * - conversion losses: loss(P) = P0 + k·P² per direction, with P0 and k chosen so that the efficiency
 *   P/(P+loss) peaks at `peakEfficiency` (default 94.5 %, sessy.md §1.1) at `peakAtW`; charging stores
 *   P − loss, discharging draws P + loss from the cells;
 * - SoC integrates stored energy over `capacityWh` (usable), in steps of at most `maxStepMs`.
 *
 * Time only moves through advance(t) (monotone; earlier times are ignored), so the plant runs on the
 * virtual home's clock or on a benchmark's virtual clock alike.
 */

export interface BatteryPlantOptions {
  /** Usable capacity, Wh (default 5200: one Sessy unit). */
  capacityWh?: number;
  maxChargeW?: number;
  maxDischargeW?: number;
  /** Initial SoC, % (default 50). */
  socPct?: number;
  minSocPct?: number;
  maxSocPct?: number;
  /** AC power change rate, W/s (default 2000). */
  rampWPerS?: number;
  /** Delay between a command and its effect, ms (default 0). */
  latencyMs?: number;
  /** Peak conversion efficiency, 0–1 (default 0.945). */
  peakEfficiency?: number;
  /** AC power at which the efficiency peaks, W (default 800). */
  peakAtW?: number;
  /** Integration step, ms (default 1000). */
  maxStepMs?: number;
  /** Start time, ms. */
  t0?: number;
}

export class BatteryPlant {
  readonly capacityWh: number;
  maxChargeW: number;
  maxDischargeW: number;
  minSocPct: number;
  maxSocPct: number;
  readonly rampWPerS: number;
  latencyMs: number;
  private readonly p0: number;
  private readonly k: number;
  private readonly maxStepMs: number;
  private t: number;
  private storedWh: number;
  private target = 0;
  private acW = 0;
  private pending: Array<{ at: number; w: number }> = [];
  /** AC energy counters, Wh. */
  chargedWh = 0;
  dischargedWh = 0;

  constructor(o: BatteryPlantOptions = {}) {
    this.capacityWh = o.capacityWh ?? 5200;
    this.maxChargeW = o.maxChargeW ?? 2200;
    this.maxDischargeW = o.maxDischargeW ?? 1700;
    this.minSocPct = o.minSocPct ?? 0;
    this.maxSocPct = o.maxSocPct ?? 100;
    this.rampWPerS = o.rampWPerS ?? 2000;
    this.latencyMs = o.latencyMs ?? 0;
    this.maxStepMs = o.maxStepMs ?? 1000;
    const eta = o.peakEfficiency ?? 0.945;
    const pStar = o.peakAtW ?? 800;
    if (!(eta > 0 && eta <= 1) || !(pStar > 0) || !(this.capacityWh > 0)) throw new Error('invalid battery plant options');
    // eta* = 1 / (1 + 2·sqrt(P0·k)) at P* = sqrt(P0/k)
    const root = (1 / eta - 1) / 2;
    this.p0 = root * pStar;
    this.k = root / pStar;
    this.storedWh = (this.capacityWh * Math.min(100, Math.max(0, o.socPct ?? 50))) / 100;
    this.t = o.t0 ?? 0;
  }

  /** SoC, %. */
  get socPct(): number {
    return (100 * this.storedWh) / this.capacityWh;
  }

  set socPct(v: number) {
    this.storedWh = (this.capacityWh * Math.min(100, Math.max(0, v))) / 100;
  }

  /** Current AC power, W (+ discharge). */
  get powerW(): number {
    return this.acW;
  }

  /** The setpoint in effect (after latency), W. */
  get activeSetpointW(): number {
    return this.target;
  }

  get empty(): boolean {
    return this.socPct <= this.minSocPct + 1e-9;
  }

  get full(): boolean {
    return this.socPct >= this.maxSocPct - 1e-9;
  }

  /** Efficiency at an AC power, 0–1. */
  efficiency(w: number): number {
    const p = Math.abs(w);
    return p === 0 ? 0 : p / (p + this.p0 + this.k * p * p);
  }

  /** Asks for a setpoint at time `now`; it takes effect `latencyMs` later. */
  command(w: number, now: number): void {
    this.advance(now);
    const at = now + this.latencyMs;
    this.pending = this.pending.filter((p) => p.at < at);
    this.pending.push({ at, w: Number.isFinite(w) ? w : 0 });
    if (this.latencyMs === 0) this.advance(now);
  }

  /** Moves the model to time t and returns the AC power then (W, + discharge). */
  advance(t: number): number {
    while (this.t < t || (this.pending.length && this.pending[0].at <= this.t)) {
      if (this.pending.length && this.pending[0].at <= this.t) {
        this.target = this.pending.shift()!.w;
        continue;
      }
      let end = Math.min(t, this.t + this.maxStepMs);
      if (this.pending.length) end = Math.min(end, this.pending[0].at);
      this.step(end);
    }
    return this.acW;
  }

  private allowed(w: number): number {
    let x = Math.max(-this.maxChargeW, Math.min(this.maxDischargeW, w));
    if (x > 0 && this.empty) x = 0;
    if (x < 0 && this.full) x = 0;
    return x;
  }

  private step(end: number): void {
    const dt = (end - this.t) / 1000;
    if (dt <= 0) {
      this.t = end;
      return;
    }
    const goal = this.allowed(this.target);
    const maxDelta = this.rampWPerS * dt;
    const start = this.acW;
    const next = Math.abs(goal - start) <= maxDelta ? goal : start + Math.sign(goal - start) * maxDelta;
    const avg = (start + next) / 2;
    const hours = dt / 3600;
    const p = Math.abs(avg);
    const loss = p === 0 ? 0 : this.p0 + this.k * p * p;
    if (avg > 0) {
      const want = (avg + loss) * hours;
      const floor = (this.capacityWh * this.minSocPct) / 100;
      const take = Math.min(want, Math.max(0, this.storedWh - floor));
      this.storedWh -= take;
      this.dischargedWh += want > 0 ? (avg * hours * take) / want : 0;
      this.acW = take < want ? 0 : next;
    } else if (avg < 0) {
      const put = (p - loss) * hours;
      const ceil = (this.capacityWh * this.maxSocPct) / 100;
      const room = Math.max(0, ceil - this.storedWh);
      const stored = Math.min(Math.max(0, put), room);
      this.storedWh += stored;
      this.chargedWh += put > 0 ? (p * hours * stored) / put : p * hours;
      this.acW = put > room ? 0 : next;
    } else {
      this.acW = next;
    }
    this.t = end;
  }
}
