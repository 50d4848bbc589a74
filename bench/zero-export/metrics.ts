/**
 * Scores of the zero-export benchmark (pure functions on traces, checked by the unit tests).
 *
 * - regretPct = 100 × (controller's import+export − oracle's) / (no battery's − oracle's): 0 = as good as the
 *   oracle, 100 = as bad as no battery; null when the denominator is below 1 Wh.
 * - settle time: start of the first window of `holdS` seconds in which |G| ≤ band throughout, counted from
 *   the step; null when no such window starts within `maxS` seconds.
 * - crossings: sign changes of G beyond ±band with hysteresis (from > +band to < −band or back), counted
 *   only inside steady-state stretches; the hysteresis state is reset outside them, so a swing that begins
 *   in a transient is not counted.
 * - steady state: the oracle's G is within ±band (the battery is not saturated) and the net load (load − PV)
 *   moved by less than `maxChangeW` (max − min) over the previous `windowS` seconds.
 */

export function regretPct(controllerWh: number, oracleWh: number, noBatteryWh: number): number | null {
  const denom = noBatteryWh - oracleWh;
  if (!(denom >= 1)) return null;
  return (100 * (controllerWh - oracleWh)) / denom;
}

/** Import and export (Wh) of a G that is linear from g0 to g1 over dtS seconds. */
export function integrateLinear(g0: number, g1: number, dtS: number): { importWh: number; exportWh: number } {
  let imp = 0;
  let exp = 0;
  if (g0 >= 0 && g1 >= 0) imp = ((g0 + g1) / 2) * dtS;
  else if (g0 <= 0 && g1 <= 0) exp = (-(g0 + g1) / 2) * dtS;
  else {
    const f = g0 / (g0 - g1);
    if (g0 > 0) {
      imp = (g0 * f * dtS) / 2;
      exp = (-g1 * (1 - f) * dtS) / 2;
    } else {
      exp = (-g0 * f * dtS) / 2;
      imp = (g1 * (1 - f) * dtS) / 2;
    }
  }
  return { importWh: imp / 3600, exportWh: exp / 3600 };
}

/**
 * Settle time in seconds: samples g every sampleMs, the step at index stepIndex. The first index i ≥ stepIndex
 * such that samples i … i + holdS/sample are all within ±band; null when none starts within maxS.
 */
export function settleTime(g: ArrayLike<number>, sampleMs: number, stepIndex: number, band = 25, holdS = 10, maxS = 120): number | null {
  const hold = Math.round((holdS * 1000) / sampleMs);
  const last = Math.min(g.length - 1 - hold, stepIndex + Math.round((maxS * 1000) / sampleMs));
  let run = 0; // consecutive in-band samples ending at j, scanning forward
  let start = -1;
  for (let j = stepIndex; j < g.length; j++) {
    if (Math.abs(g[j]) <= band) {
      if (run === 0) start = j;
      run++;
      if (run >= hold + 1) return start <= last ? ((start - stepIndex) * sampleMs) / 1000 : null;
    } else {
      run = 0;
      if (j > last) return null;
    }
  }
  return null;
}

/** Sign changes of g beyond ±band with hysteresis, only where steady[i] is set (state reset elsewhere). */
export function countCrossings(g: ArrayLike<number>, steady: ArrayLike<number | boolean>, band = 25): number {
  let side = 0;
  let count = 0;
  for (let i = 0; i < g.length; i++) {
    if (!steady[i]) {
      side = 0;
      continue;
    }
    const v = g[i];
    const now = v > band ? 1 : v < -band ? -1 : 0;
    if (now === 0) continue;
    if (side !== 0 && now !== side) count++;
    side = now;
  }
  return count;
}

/**
 * Steady-state mask on the sample grid: |oracle G| ≤ band and max − min of the per-second net load over
 * the previous windowS seconds (inclusive) < maxChangeW. The first windowS seconds are never steady.
 */
export function steadyMask(oracleG: ArrayLike<number>, netLoadPerSecond: ArrayLike<number>, samplesPerSecond = 10, band = 25, windowS = 20, maxChangeW = 50): Uint8Array {
  const secs = netLoadPerSecond.length;
  const calm = new Uint8Array(secs);
  // Sliding min/max with monotone deques.
  const qmin: number[] = [];
  const qmax: number[] = [];
  let hmin = 0;
  let hmax = 0;
  for (let s = 0; s < secs; s++) {
    const v = netLoadPerSecond[s];
    while (qmin.length > hmin && netLoadPerSecond[qmin[qmin.length - 1]] >= v) qmin.pop();
    qmin.push(s);
    while (qmax.length > hmax && netLoadPerSecond[qmax[qmax.length - 1]] <= v) qmax.pop();
    qmax.push(s);
    while (qmin[hmin] < s - windowS) hmin++;
    while (qmax[hmax] < s - windowS) hmax++;
    calm[s] = s >= windowS && netLoadPerSecond[qmax[hmax]] - netLoadPerSecond[qmin[hmin]] < maxChangeW ? 1 : 0;
  }
  const out = new Uint8Array(oracleG.length);
  for (let i = 0; i < out.length; i++) {
    const s = Math.min(secs - 1, Math.floor(i / samplesPerSecond));
    out[i] = calm[s] && Math.abs(oracleG[i]) <= band ? 1 : 0;
  }
  return out;
}

/**
 * Start second of the window (windowS long) with the most net-load movement (Σ |Δ| of steps > 50 W) at
 * seconds where `usable` is set (e.g. the oracle is not saturated, so the controllers have something to
 * do); the first such window on ties.
 */
export function busiestWindow(netLoadPerSecond: ArrayLike<number>, windowS: number, usable?: ArrayLike<number | boolean>): number {
  const n = netLoadPerSecond.length;
  if (n <= windowS) return 0;
  const d = new Float64Array(n);
  for (let s = 1; s < n; s++) {
    const x = Math.abs(netLoadPerSecond[s] - netLoadPerSecond[s - 1]);
    d[s] = x > 50 && (!usable || usable[s]) ? x : 0;
  }
  let sum = 0;
  for (let s = 1; s < windowS; s++) sum += d[s];
  let best = sum;
  let bestStart = 0;
  for (let start = 1; start + windowS <= n; start++) {
    sum += d[start + windowS - 1] - d[start];
    if (sum > best + 1e-9) {
      best = sum;
      bestStart = start;
    }
  }
  return bestStart;
}
