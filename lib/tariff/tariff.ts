/**
 * The price at an instant from the configured source: fixed, a weekday × hour table (the KSEM's
 * Tariff menu) or dynamic day-ahead prices through the consumer-price formula. Pure.
 */
import { localFields } from '../util/local-time';
import { consumerPrices, type PriceFormula } from './formula';
import type { PriceBook } from './prices';

export interface TariffSpec {
  source: 'fixed' | 'table' | 'dynamic';
  timeZone: string;
  /** EUR/kWh: the fixed prices, and the fallback of a dynamic tariff where no price is known. */
  importPrice: number;
  exportPrice: number;
  /** 7 × 24 EUR/kWh, Monday first (source `table`). */
  importTable?: number[][];
  exportTable?: number[][];
  formula: PriceFormula;
}

export interface PricePoint {
  start: number;
  end: number;
  importPrice: number;
  exportPrice: number;
  /** EUR/MWh for dynamic slots. */
  spot?: number;
  source: 'fixed' | 'table' | 'dynamic' | 'fallback';
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/** The local clock hour around t: [start, start + 1 h), DST-correct (a local hour is a UTC hour or quarter-aligned). */
function localHour(t: number, tz: string): { start: number; weekday: number; hour: number } {
  const f = localFields(t, tz);
  const start = t - (t % MIN) - f.minute * MIN;
  return { start, weekday: f.weekday, hour: f.hour };
}

export function priceAt(s: TariffSpec, book: PriceBook | undefined, t: number): PricePoint {
  if (s.source === 'dynamic' && book) {
    const slot = book.at(t);
    if (slot) return { start: slot.start, end: slot.end, spot: slot.spot, ...consumerPrices(slot.spot, s.formula), source: 'dynamic' };
  }
  const h = localHour(t, s.timeZone);
  if (s.source === 'table' && s.importTable && s.exportTable) {
    return { start: h.start, end: h.start + HOUR, importPrice: s.importTable[h.weekday][h.hour], exportPrice: s.exportTable[h.weekday][h.hour], source: 'table' };
  }
  return { start: h.start, end: h.start + HOUR, importPrice: s.importPrice, exportPrice: s.exportPrice, source: s.source === 'dynamic' ? 'fallback' : 'fixed' };
}

/** The slots from the one holding `t` for `spanMs`: the known dynamic slots, or hourly table/fixed slots. */
export function comingSlots(s: TariffSpec, book: PriceBook | undefined, t: number, spanMs: number): PricePoint[] {
  const out: PricePoint[] = [];
  if (s.source === 'dynamic' && book) {
    for (const slot of book.between(t, spanMs)) out.push({ start: slot.start, end: slot.end, spot: slot.spot, ...consumerPrices(slot.spot, s.formula), source: 'dynamic' });
    return out;
  }
  for (let at = t; at < t + spanMs; ) {
    const p = priceAt(s, book, at);
    out.push(p);
    at = p.end;
  }
  return out;
}

/** Checks a 7 × 24 table of finite numbers (and nulls, with `nulls`); returns the problem or undefined. */
export function checkTable(t: unknown, name: string, nulls = false): string | undefined {
  if (!Array.isArray(t) || t.length !== 7) return `${name}: must be 7 days (Monday first)`;
  for (let d = 0; d < 7; d++) {
    if (!Array.isArray(t[d]) || t[d].length !== 24) return `${name}[${d}]: must have 24 hours`;
    for (let h = 0; h < 24; h++) if (!(nulls && t[d][h] === null) && (typeof t[d][h] !== 'number' || !Number.isFinite(t[d][h]))) return `${name}[${d}][${h}]: must be a number (EUR/kWh)${nulls ? ' or null (the fixed price)' : ''}`;
  }
  return undefined;
}
