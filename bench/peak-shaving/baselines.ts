/**
 * The baselines of the peak-shaving benchmark, as their published descriptions state them. Each one
 * turns the readings (grid power, battery SoC) into a grid band [minW, maxW] for the same band-following
 * battery as ours (index.ts), so only the control law differs.
 *
 * - Jullix (EMS wiki, "Sturing"/optimizer page; the scheme of issue 14 on instantaneous power): SoC above
 *   minSoc + buffer → balancing (band [0, 0]); at or below → peak limiting: PV surplus still charges,
 *   the battery discharges only the instantaneous excess over the desired peak (band [0, desired]);
 *   below minSoc + buffer / 2 (or below minSoc) → recharge from the grid at the desired peak (band
 *   [desired, desired]) until the SoC is back at minSoc + buffer. The limit is the desired peak.
 * - OpenEMS symmetric peak shaving (io.openems.edge.controller.symmetric.peakshaving): grid power
 *   without the battery above `peakShavingPower` → discharge the excess; below `rechargePower` →
 *   charge by the gap; else 0 W. Instantaneous, every cycle (1 s), no SoC logic beyond the battery's
 *   own window. Here peakShavingPower = the desired peak, rechargePower = 80 % of it.
 * - Balancing only: zero export (band [0, 0]) all the time.
 */

export interface Band {
  minW: number;
  maxW: number;
}

export interface BandPolicy {
  /** A new band from the latest grid power (W, + import) and SoC (%), or null to keep the last one. */
  step(gridW: number, socPct: number | null, now: number): Band | null;
}

export class JullixScheme implements BandPolicy {
  private mode: 'balancing' | 'limiting' | 'recharge' = 'balancing';
  constructor(
    private readonly desiredPeakW: number,
    private readonly minSocPct: number,
    private readonly bufferPct: number,
  ) {}

  get band(): string {
    return this.mode;
  }

  step(_gridW: number, soc: number | null): Band {
    const hi = this.minSocPct + this.bufferPct;
    const lo = this.minSocPct + this.bufferPct / 2;
    if (soc !== null) {
      if (soc < this.minSocPct || soc < lo) this.mode = 'recharge';
      else if (this.mode === 'recharge') this.mode = soc >= hi ? 'limiting' : 'recharge';
      else this.mode = soc > hi ? 'balancing' : 'limiting';
    }
    if (this.mode === 'balancing') return { minW: 0, maxW: 0 };
    if (this.mode === 'limiting') return { minW: 0, maxW: this.desiredPeakW };
    return { minW: this.desiredPeakW, maxW: this.desiredPeakW };
  }
}

export class OpenEmsPeakShaving implements BandPolicy {
  constructor(
    private readonly peakShavingPowerW: number,
    private readonly rechargePowerW: number,
  ) {}

  step(): Band {
    return { minW: this.rechargePowerW, maxW: this.peakShavingPowerW };
  }
}

export class BalancingOnly implements BandPolicy {
  step(): Band {
    return { minW: 0, maxW: 0 };
  }
}
