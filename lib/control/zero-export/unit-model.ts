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

interface Cmd {
  at: number;
  w: number;
}

export class UnitModel {
  private cmds: Cmd[] = [];
  /** Power before the first remembered command, W. */
  private base = 0;

  constructor(
    private readonly latencyMinMs: number,
    /** Widened by the controller when the unit turns out slower than configured. */
    public latencyMaxMs: number,
    private readonly rampWPerS: number,
    /** How much history to keep, ms. */
    private readonly keepMs = 120_000,
  ) {}

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
  private sim(t: number, latencyMs: number): number {
    let p = this.base;
    let goal = this.base;
    let tau = -Infinity;
    const r = this.rampWPerS / 1000;
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
   * [lo, hi] of the unit's power at time t, for any latency in the window: the hull of the power
   * simulated at 9 latencies across the window (with several commands in flight, a latency between
   * the ends can give a value outside the two ends).
   */
  range(t: number): [number, number] {
    const a = this.sim(t, this.latencyMinMs);
    if (this.latencyMaxMs === this.latencyMinMs) return [a, a];
    let lo = a;
    let hi = a;
    const span = this.latencyMaxMs - this.latencyMinMs;
    for (let i = 1; i <= 8; i++) {
      const x = this.sim(t, this.latencyMinMs + (span * i) / 8);
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
    return t >= lastAt + this.latencyMaxMs && Math.abs(hi - lo) < 1e-6 && Math.abs(lo - this.last) < 1e-6;
  }
}

function toward(p: number, goal: number, maxDelta: number): number {
  if (Math.abs(goal - p) <= maxDelta) return goal;
  return p + Math.sign(goal - p) * maxDelta;
}
