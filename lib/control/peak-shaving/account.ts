/**
 * The capacity-tariff account (Flanders, since 2023): each month's peak is its highest clock
 * quarter-hour average import, counted at least at the floor (2.5 kW); the capacity charge for a
 * month is the mean of the last 12 month peaks × the yearly rate (EUR per kW per year) ÷ 12.
 * Facts: the VREG / Fluvius capacity-tariff pages (the 2.5 kW minimum, the 12-month mean); the
 * rates per grid area are a setting (the node help lists the 2026 Fluvius ones).
 *
 * Month peaks come from two places: the meter's 0-0:98.1.0 history (the months it lists are taken
 * as billed, it is the meter that the bill is read from) and the running month as this package
 * sees it (the higher of the controller's own quarter averages and the meter's 1-0:1.6.0). With
 * fewer than 12 months known the mean is over those months. Pure: time and time zone passed in.
 */
import type { CapacityHistoryEntry } from '../../api/types';
import { CONSTRAINT_MAX_W } from '../../api/control-schemas';
import { localFields } from '../../util/local-time';

/** A month peak the account keeps: 0 … CONSTRAINT_MAX_W W (a meter's garbage or a corrupt store is skipped). */
const validPeakW = (w: unknown): w is number => typeof w === 'number' && Number.isFinite(w) && w >= 0 && w <= CONSTRAINT_MAX_W;

export interface MonthPeak {
  /** Local month "YYYY-MM". */
  month: string;
  peakW: number;
  /** "meter": from the meter's 0-0:98.1.0 history; "node": seen by this node. */
  source: 'meter' | 'node';
}

export interface CapacitySummary {
  /** The last 12 months, oldest first, the running month last. */
  months: MonthPeak[];
  /** Mean of those month peaks, each at least the floor, W. */
  billedMeanW: number;
  floorW: number;
  /** EUR per kW per year, or null when no rate is set. */
  rateEurPerKWYear: number | null;
  costPerYearEur: number | null;
  costPerMonthEur: number | null;
}

export interface AccountSnapshot {
  version: 1;
  months: MonthPeak[];
}

const KEEP = 13;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** "2026-09" → "2026-08". */
function monthBefore(m: string): string {
  const y = Number(m.slice(0, 4));
  const n = Number(m.slice(5, 7));
  return n === 1 ? `${y - 1}-12` : `${y}-${String(n - 1).padStart(2, '0')}`;
}

export class CapacityAccount {
  private months = new Map<string, MonthPeak>();

  constructor(
    private readonly timeZone: string,
    private readonly rateEurPerKWYear: number | null,
    private readonly floorW = 2500,
  ) {}

  /** Takes a saved snapshot (from context); anything malformed is skipped. */
  restore(saved: unknown): void {
    const rows = saved && typeof saved === 'object' && Array.isArray((saved as AccountSnapshot).months) ? (saved as AccountSnapshot).months : [];
    for (const r of rows) {
      if (r && typeof r.month === 'string' && MONTH.test(r.month) && validPeakW(r.peakW) && (r.source === 'meter' || r.source === 'node')) this.months.set(r.month, { month: r.month, peakW: r.peakW, source: r.source });
    }
    this.trim();
  }

  snapshot(): AccountSnapshot {
    return { version: 1, months: [...this.months.values()].sort((a, b) => a.month.localeCompare(b.month)) };
  }

  /**
   * The meter's month history (0-0:98.1.0). An entry is stamped with the start of the month after
   * its peak (local midnight on the 1st), so the stamp's local month minus one is the peak's month.
   * True when something changed.
   */
  fromMeter(history: CapacityHistoryEntry[]): boolean {
    let changed = false;
    for (const e of history) {
      if (!e || typeof e.month !== 'string' || !validPeakW(e.peakW)) continue;
      const t = Date.parse(e.month);
      if (!Number.isFinite(t)) continue;
      // a minute before the stamp is the last minute of the peak's month
      const month = localFields(t - 60_000, this.timeZone).date.slice(0, 7);
      const had = this.months.get(month);
      if (!had || had.source !== 'meter' || had.peakW !== e.peakW) {
        this.months.set(month, { month, peakW: e.peakW, source: 'meter' });
        changed = true;
      }
    }
    if (changed) this.trim();
    return changed;
  }

  /** The running month's peak as the node sees it (never lowers what is known). True when it changed. */
  current(month: string, peakW: number): boolean {
    if (!MONTH.test(month) || !validPeakW(peakW)) return false;
    const had = this.months.get(month);
    if (had && had.peakW >= peakW) return false;
    this.months.set(month, { month, peakW, source: had?.source === 'meter' ? 'meter' : 'node' });
    this.trim();
    return true;
  }

  /** The last 12 months up to `now`'s month, their billed mean and its cost. */
  summary(now: number): CapacitySummary {
    const thisMonth = localFields(now, this.timeZone).date.slice(0, 7);
    let m = thisMonth;
    const out: MonthPeak[] = [];
    for (let k = 0; k < 12; k++, m = monthBefore(m)) {
      const p = this.months.get(m);
      if (p) out.unshift(p);
      else if (k === 0) out.unshift({ month: m, peakW: 0, source: 'node' });
    }
    const billedMeanW = Math.round(out.reduce((a, p) => a + Math.max(this.floorW, p.peakW), 0) / out.length);
    const rate = this.rateEurPerKWYear;
    const perYear = rate === null ? null : Math.round((billedMeanW / 1000) * rate * 100) / 100;
    return {
      months: out,
      billedMeanW,
      floorW: this.floorW,
      rateEurPerKWYear: rate,
      costPerYearEur: perYear,
      costPerMonthEur: perYear === null ? null : Math.round((perYear / 12) * 100) / 100,
    };
  }

  private trim(): void {
    const keys = [...this.months.keys()].sort();
    for (const k of keys.slice(0, Math.max(0, keys.length - KEEP))) this.months.delete(k);
  }
}
