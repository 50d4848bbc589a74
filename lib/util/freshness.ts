/**
 * The one freshness rule of the package (DESIGN.md §2 "status reflects the age of the last good
 * reading", §4 "stale after two expected update periods"): a reading is fresh while its age is at
 * most the stale limit; the limit is the user's setting, else `factor` × the update interval (the
 * measured one once known, else the expected one), never below `floorMs`.
 *
 * The interval is estimated from consecutive good readings only: a gap that contains a failure
 * (an outage, a timeout) is not an update interval and is left out, so one outage cannot stretch
 * the limit and hide the next one. Time is injected: every method takes `now`.
 */

export interface FreshnessOptions {
  /** Fixed stale limit, ms (the node's "stale after" setting); 0 or undefined = automatic. */
  fixedMs?: number;
  /** Update interval expected before any is measured (the poll interval, the meter's period), ms. */
  expectedMs: number;
  /** Automatic limit = factor × interval (default 2, DESIGN.md §4). */
  factor?: number;
  /** Automatic limit never below this, ms (default 3000: jitter of 1 s meters). */
  floorMs?: number;
}

export class Freshness {
  private lastAt: number | undefined;
  private intervalMs = 0;
  /** A failure happened since the last good reading. */
  private failedSince = false;

  constructor(private readonly o: FreshnessOptions) {}

  /** A good reading arrived at `now`. */
  good(now: number): void {
    if (this.lastAt !== undefined && !this.failedSince) {
      const dt = now - this.lastAt;
      // A gap far longer than the current estimate is an outage the device did not report as one
      // (it just went silent): it is not an interval either.
      if (dt > 0 && (!this.intervalMs || dt <= 4 * this.intervalMs)) this.intervalMs = this.intervalMs ? this.intervalMs * 0.8 + dt * 0.2 : dt;
    }
    this.lastAt = now;
    this.failedSince = false;
  }

  /** A read failed at `now` (the gap up to the next good reading is then not an interval). */
  failed(): void {
    this.failedSince = true;
  }

  /** ms since the last good reading (Infinity before the first). */
  age(now: number): number {
    return this.lastAt === undefined ? Infinity : now - this.lastAt;
  }

  /** The measured update interval, ms (0 before two good readings in a row). */
  get interval(): number {
    return this.intervalMs;
  }

  /** The stale limit now, ms. */
  limitMs(): number {
    if (this.o.fixedMs && this.o.fixedMs > 0) return this.o.fixedMs;
    const base = this.intervalMs || this.o.expectedMs;
    return Math.max(this.o.floorMs ?? 3000, (this.o.factor ?? 2) * base);
  }

  fresh(now: number): boolean {
    return this.age(now) <= this.limitMs();
  }

  /** Forget everything (a reconfigured source). */
  reset(): void {
    this.lastAt = undefined;
    this.intervalMs = 0;
    this.failedSince = false;
  }
}
