/**
 * Running quarter-hour average import demand, for meters that do not send 1-0:1.4.0 (every Dutch
 * DSMR meter). Belgian capacity tariffs use fixed clock quarter-hours (:00, :15, :30, :45) and the
 * import of all phases together (p1-dsmr.md §2.7); offsets in NL/BE are whole hours, so UTC
 * quarter-hour boundaries are the local ones.
 *
 * The average integrates import power between readings (left Riemann sum: a reading's power holds
 * until the next one, as the meter's own values do). When the first reading of a quarter arrives
 * later than its start, the average covers only the observed part and `partial` is true.
 */
import type { CapacityValues } from '../../api/types';

export const QUARTER_MS = 15 * 60 * 1000;

export function quarterStart(t: number): number {
  return Math.floor(t / QUARTER_MS) * QUARTER_MS;
}

export class QuarterHourTracker {
  private start = NaN;
  private lastT = NaN;
  private lastW = 0;
  private energyWs = 0;
  private observedFrom = NaN;
  /** Gap after which a reading is not integrated across (the meter or link was away). */
  constructor(private readonly maxGapMs = 60_000) {}

  /** Feed one reading (import power W ≥ 0 at time t) and get the running values. */
  update(t: number, importW: number): CapacityValues {
    const q = quarterStart(t);
    if (q !== this.start) {
      // Close the previous quarter's tail up to its boundary, then start afresh.
      this.start = q;
      this.energyWs = 0;
      const contiguous = Number.isFinite(this.lastT) && t - this.lastT <= this.maxGapMs && this.lastT < q;
      if (contiguous) {
        this.energyWs = this.lastW * ((t - q) / 1000);
        this.observedFrom = q;
      } else this.observedFrom = t;
    } else if (Number.isFinite(this.lastT) && t > this.lastT) {
      const dt = t - this.lastT;
      if (dt <= this.maxGapMs) this.energyWs += this.lastW * (dt / 1000);
      else this.observedFrom += dt; // gap: do not invent energy; shrink the observed span instead
    }
    this.lastT = t;
    this.lastW = Math.max(0, importW);
    const elapsedMs = t - q;
    const observedMs = t - this.observedFrom;
    const currentAverageW = observedMs > 0 ? this.energyWs / (observedMs / 1000) : this.lastW;
    // Projection: what has been imported so far plus the present power held to the end of the quarter.
    const remainingMs = QUARTER_MS - elapsedMs;
    const knownWs = observedMs > 0 ? currentAverageW * (elapsedMs / 1000) : 0;
    const projectedW = (knownWs + this.lastW * (remainingMs / 1000)) / (QUARTER_MS / 1000);
    return {
      currentAverageW: Math.round(currentAverageW),
      projectedW: Math.round(projectedW),
      quarterStart: q,
      computed: true,
      partial: this.observedFrom > q,
    };
  }

  reset(): void {
    this.start = NaN;
    this.lastT = NaN;
    this.energyWs = 0;
  }
}

/** Projection for meters that send 1-0:1.4.0 themselves: keep the running average, add the present power. */
export function projectFromMeterAverage(t: number, currentAverageW: number, importW: number): number {
  const q = quarterStart(t);
  const elapsed = t - q;
  return Math.round((currentAverageW * elapsed + Math.max(0, importW) * (QUARTER_MS - elapsed)) / QUARTER_MS);
}
