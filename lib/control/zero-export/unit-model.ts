/**
 * What a battery unit's AC power was at a past instant, from the commands we sent it: the unit starts
 * to move somewhere between `latencyMinMs` and `latencyMaxMs` after a command and then ramps at
 * `rampWPerS`. Both ends of that window are simulated, so the model gives an interval [lo, hi] that
 * holds the true power whenever the unit behaves within its configured window. While no command is
 * in flight the interval is a single value: the last command.
 *
 * The controller evaluates the model at the instant a meter sample was taken (not when it arrived),
 * which is what makes it latency-aware: a command sent after the sample, or one still in flight at
 * the sample's time, is not counted as if the meter had already seen it.
 */

/** Latency hypotheses spread over the window. */
const HYPOTHESES = 17;
/** A hypothesis whose errors stay within this RMS of the best one's remains plausible, W. */
const PLAUSIBLE_ERR_W = 30;

interface Cmd {
  at: number;
  w: number;
}

export class UnitModel {
  private cmds: Cmd[] = [];
  /** Power before the first remembered command, W. */
  private base = 0;

  constructor(
    /** Lower end of the latency window, ms; moved down when the unit reacts sooner. */
    public latencyMinMs: number,
    latencyMaxMs: number,
    private readonly rampWPerS: number,
    /** How much history to keep, ms. */
    private readonly keepMs = 120_000,
  ) {
    this.maxMs = latencyMaxMs;
    this.err = new Array(HYPOTHESES).fill(0);
  }

  private maxMs: number;
  /** Squared error of each latency hypothesis against the unit's readings (forgetting). */
  private err: number[];
  private informative = 0;
  /** Sum of the forgetting weights, so err / weight is a mean squared error. */
  private weight = 0;

  /** Upper end of the latency window, ms. Widened by the controller when the unit turns out slower than configured. */
  get latencyMaxMs(): number {
    return this.maxMs;
  }

  set latencyMaxMs(v: number) {
    this.maxMs = Math.max(this.latencyMinMs, v);
    this.err.fill(0);
    this.informative = 0;
    this.weight = 0;
  }

  private hypothesis(j: number): number {
    return this.latencyMinMs + ((this.maxMs - this.latencyMinMs) * j) / (HYPOTHESES - 1);
  }

  /**
   * A reading of the unit's power at time t. A reading taken while a command is in flight tells
   * which latencies in the window fit: each hypothesis keeps a forgetting sum of squared errors, and
   * range() then uses only the plausible ones (the best and those close to it).
   */
  observe(t: number, power: number): void {
    const sims = Array.from({ length: HYPOTHESES }, (_, j) => this.sim(t, this.hypothesis(j)));
    // Faster than the window: before the window even starts, the unit is already closer to where a
    // step at once would be than any hypothesis — the window moves down (half a second per such
    // reading, not below 0).
    const fast = this.sim(t, 0, Infinity);
    const lo = Math.min(...sims);
    const hi = Math.max(...sims);
    const since = this.lastAt === null ? Infinity : t - this.lastAt;
    if (this.latencyMinMs > 0 && since < this.latencyMinMs && (power > hi + 50 || power < lo - 50) && Math.abs(power - fast) < Math.min(Math.abs(power - lo), Math.abs(power - hi))) {
      this.latencyMinMs = Math.max(0, this.latencyMinMs - 500);
      this.err.fill(0);
      this.informative = 0;
      this.weight = 0;
      return;
    }
    if (hi - lo < 20) return;
    for (let j = 0; j < HYPOTHESES; j++) this.err[j] = 0.8 * this.err[j] + (sims[j] - power) ** 2;
    this.weight = 0.8 * this.weight + 1;
    this.informative++;
  }

  /** Indices of the latency hypotheses the readings allow (all of them until two informative readings). */
  private plausible(): boolean[] {
    if (this.informative < 2) return this.err.map(() => true);
    const best = Math.min(...this.err) / this.weight;
    // A latency between two grid points leaves both with moderate errors: both stay plausible.
    return this.err.map((e) => e / this.weight <= 2 * best + PLAUSIBLE_ERR_W ** 2);
  }

  /** The latest command, W (the power the unit settles at), or the starting power before any. */
  get last(): number {
    return this.cmds.length ? this.cmds[this.cmds.length - 1].w : this.base;
  }

  /** Time of the latest command, or null. */
  get lastAt(): number | null {
    return this.cmds.length ? this.cmds[this.cmds.length - 1].at : null;
  }

  /** Forgets the history: the unit is at `w` now and nothing is in flight (unit taken over, released, or not following). */
  reset(w: number): void {
    this.cmds = [];
    this.base = w;
  }

  command(w: number, at: number): void {
    const prev = this.cmds[this.cmds.length - 1];
    if (prev && at < prev.at) at = prev.at;
    this.cmds.push({ at, w });
    // Fold commands that are certainly in effect and ramped into `base`.
    while (this.cmds.length > 1) {
      const c = this.cmds[0];
      const next = this.cmds[1];
      if (next.at > at - this.keepMs) break;
      this.base = c.w;
      this.cmds.shift();
    }
  }

  /** Power at time t if the unit's latency is exactly `latencyMs`. */
  private sim(t: number, latencyMs: number, rampWPerS = this.rampWPerS): number {
    let p = this.base;
    let goal = this.base;
    let tau = -Infinity;
    const r = rampWPerS / 1000;
    for (const c of this.cmds) {
      const e = c.at + latencyMs;
      if (e > t) break;
      if (tau !== -Infinity) p = toward(p, goal, r * (e - tau));
      else p = goal;
      goal = c.w;
      tau = e;
    }
    if (tau === -Infinity) return p;
    return toward(p, goal, r * (t - tau));
  }

  /**
   * [lo, hi] of the unit's power at time t, for any plausible latency in the window: the hull of the
   * power simulated at 17 latencies across the window (with several commands in flight, a latency
   * between the ends can give a value outside the two ends).
   */
  range(t: number): [number, number] {
    const ok = this.plausible();
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < HYPOTHESES; j++) {
      if (!ok[j]) continue;
      const x = this.sim(t, this.hypothesis(j));
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    return [lo, hi];
  }

  /** True when every command has certainly taken full effect by time t (the interval is one value). */
  settled(t: number): boolean {
    const lastAt = this.lastAt;
    if (lastAt === null) return true;
    const [lo, hi] = this.range(t);
    return t >= lastAt + this.maxMs && Math.abs(hi - lo) < 1e-6 && Math.abs(lo - this.last) < 1e-6;
  }
}

function toward(p: number, goal: number, maxDelta: number): number {
  // (NaN from an unlimited ramp times 0 s counts as unlimited.)
  if (!(maxDelta < Math.abs(goal - p))) return goal;
  return p + Math.sign(goal - p) * maxDelta;
}
