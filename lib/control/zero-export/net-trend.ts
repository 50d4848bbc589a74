/**
 * The household's net load (grid + battery power, W) between changes: a straight line fitted to the
 * last meter samples, so that small corrections follow the level and drift of the load (PV ramps,
 * slow appliances) instead of the noise of one sample, and a real change is told apart from noise.
 * Pure; times are the samples' measurement instants (ms).
 *
 * Each sample is first compared with the line through the samples before it: off by more than
 * max(STEP_MIN_W, 4 σ) (σ = RMS residual of that fit), or two in a row off by more than 2.5 σ on the
 * same side, it is a step: the history restarts there and the caller corrects at once. Otherwise it
 * joins the line. The slope is used only when it is significant (more than twice its standard
 * error); else the level is the mean of the window.
 */

/** A step must be at least this far from the line, W (meter resolution and household noise). */
export const STEP_MIN_W = 25;
/** Least residual spread assumed, W. */
const SIGMA_MIN_W = 4;
/** Samples the line needs before it is used. */
export const MIN_SAMPLES = 4;
/** Largest drift followed, W/s (a faster change is a step). */
const MAX_SLOPE_W_PER_S = 100;

interface Sample {
  at: number;
  w: number;
  /** Residual against the line before it, W (0 for the first ones). */
  r: number;
}

export interface NetFit {
  /** Net load on the line at the time asked, W. */
  level: number;
  /** W/s; 0 when not significant. */
  slope: number;
  sigma: number;
  n: number;
}

export class NetTrend {
  private s: Sample[] = [];

  reset(): void {
    this.s = [];
  }

  get size(): number {
    return this.s.length;
  }

  /**
   * Adds the net load `w` measured at `at`; keeps the samples of the last `windowMs`. Returns
   * 'trend' when it lies on the line of the previous ones and the line has enough samples, 'step'
   * when it breaks from them (the history restarts), 'short' while there are too few samples.
   */
  add(at: number, w: number, windowMs: number): 'trend' | 'step' | 'short' {
    const before = this.fit(at);
    let r = 0;
    let kind: 'trend' | 'step' | 'short' = 'short';
    const last = this.s[this.s.length - 1];
    if (last && !before) {
      // One sample so far: a step when the new one is further from it than STEP_MIN_W.
      if (Math.abs(w - last.w) > STEP_MIN_W) {
        this.s = [];
        kind = 'step';
      }
    } else if (before) {
      r = w - before.level;
      // With fewer samples than a line needs, their mean and the least spread.
      const sigma = before.n >= MIN_SAMPLES - 1 ? before.sigma : SIGMA_MIN_W;
      const tol = Math.max(STEP_MIN_W, 4 * sigma);
      const twice = Math.abs(r) > 2.5 * sigma && Math.abs(last.r) > 2.5 * sigma && Math.sign(r) === Math.sign(last.r) && Math.abs(r) >= STEP_MIN_W / 2;
      if (Math.abs(r) > tol) {
        this.s = [];
        kind = 'step';
      } else if (twice) {
        this.s = [last];
        kind = 'step';
      }
    }
    this.s.push({ at, w, r });
    while (this.s.length > 2 && this.s[0].at < at - windowMs) this.s.shift();
    if (kind === 'step') return kind;
    return this.s.length >= MIN_SAMPLES ? 'trend' : 'short';
  }

  /** The line at time `at` (extrapolated), or null without two samples. */
  fit(at: number): NetFit | null {
    const n = this.s.length;
    if (n < 2) return null;
    let mt = 0;
    let mw = 0;
    for (const x of this.s) {
      mt += x.at;
      mw += x.w;
    }
    mt /= n;
    mw /= n;
    let stt = 0;
    let stw = 0;
    for (const x of this.s) {
      stt += ((x.at - mt) / 1000) ** 2;
      stw += ((x.at - mt) / 1000) * (x.w - mw);
    }
    let slope = stt > 0 ? stw / stt : 0;
    let ss = 0;
    for (const x of this.s) ss += (x.w - mw - slope * ((x.at - mt) / 1000)) ** 2;
    const sigma = Math.max(SIGMA_MIN_W, n > 2 ? Math.sqrt(ss / (n - 2)) : SIGMA_MIN_W);
    const se = stt > 0 ? sigma / Math.sqrt(stt) : Infinity;
    if (!(Math.abs(slope) > 2 * se)) slope = 0;
    slope = Math.max(-MAX_SLOPE_W_PER_S, Math.min(MAX_SLOPE_W_PER_S, slope));
    return { level: mw + slope * ((at - mt) / 1000), slope, sigma, n };
  }
}
