/**
 * What zero export holds besides its own target (DESIGN.md §4.1): a `grid-target` band from another
 * controller, which expires, and the charger power it may leave to the grid. Pure, time injected;
 * the freshness rule is the package's one (lib/util/freshness.ts).
 */
import { Freshness } from '../../util/freshness';
import type { BandState, ChargerSample, GridTarget } from './types';

/** Update period assumed for grid-target messages until two have arrived, ms (so one message holds 2 min). */
export const GRID_TARGET_EXPECTED_MS = 60_000;
/** Update period assumed for charger readings until two have arrived, ms. */
export const CHARGER_EXPECTED_MS = 10_000;

/** Watts for reasons: "+1500 W", "−600 W", "0 W" (real minus). */
export function w(v: number): string {
  const r = Math.round(v);
  return `${r > 0 ? '+' : r < 0 ? '−' : ''}${Math.abs(r)} W`;
}

/** "0 W" for a point, "−500 W…0 W" for a band. */
export function bandText(minW: number, maxW: number): string {
  return minW === maxW ? w(minW) : `${w(minW)}…${w(maxW)}`;
}

/** The grid-target band while it holds. */
export class GridTargetHold {
  private target: GridTarget | null = null;
  private expired = false;
  private readonly fresh = new Freshness({ expectedMs: GRID_TARGET_EXPECTED_MS, factor: 2 });

  /** A grid-target arrived at `now`; returns the reason line ('' for a refresh of the same band). */
  set(t: GridTarget, now: number): string {
    this.fresh.good(now);
    const prev = this.target;
    this.target = { minW: Math.min(t.minW, t.maxW), maxW: Math.max(t.minW, t.maxW), ...(t.until !== undefined ? { until: t.until } : {}), ...(t.reason ? { reason: t.reason } : {}) };
    this.expired = false;
    // A refresh of the same band is no news; a new or changed band is.
    if (prev && prev.minW === this.target.minW && prev.maxW === this.target.maxW && prev.reason === this.target.reason) return '';
    return `grid-target ${bandText(this.target.minW, this.target.maxW)}${t.reason ? ` (${t.reason})` : ''}`;
  }

  /** Ends the band when its time is up; returns the reason line when it ended now. */
  check(now: number, configured: number): string | null {
    const t = this.target;
    if (!t) return null;
    if (t.until !== undefined && now >= t.until) {
      this.target = null;
      return `grid-target ${bandText(t.minW, t.maxW)} ended: configured target ${w(configured)}`;
    }
    if (!this.fresh.fresh(now)) {
      this.target = null;
      this.expired = true;
      return `grid-target ${bandText(t.minW, t.maxW)} expired (no refresh for ${(this.fresh.age(now) / 1000).toFixed(1)} s): configured target ${w(configured)}`;
    }
    return null;
  }

  /** The band held now (call check() first). */
  band(targetW: number, now: number): BandState {
    const t = this.target;
    if (!t) return { minW: targetW, maxW: targetW, source: 'config', until: null, reason: null, expired: this.expired };
    // Ends at its `until` or when it goes stale, whichever comes first.
    const staleAt = now - this.fresh.age(now) + this.fresh.limitMs();
    const until = t.until !== undefined ? Math.min(t.until, staleAt) : staleAt;
    return { minW: t.minW, maxW: t.maxW, source: 'grid-target', until, reason: t.reason ?? null, expired: false };
  }
}

/** The latest charger power, while fresh. */
export class ChargerPower {
  private sample: ChargerSample | null = null;
  private readonly fresh = new Freshness({ expectedMs: CHARGER_EXPECTED_MS, factor: 2 });

  set(c: ChargerSample, now: number): void {
    this.fresh.good(now);
    this.sample = { power: Math.max(0, c.power), timestamp: c.timestamp };
  }

  /** W to leave to the grid now: the latest power while fresh, else 0. `stale` says whether there was one that went stale. */
  now(now: number): { power: number; stale: boolean } {
    if (!this.sample) return { power: 0, stale: false };
    if (!this.fresh.fresh(now)) return { power: 0, stale: true };
    return { power: this.sample.power, stale: false };
  }
}
